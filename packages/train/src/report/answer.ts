/**
 * The report's plain-language answer, every sentence computed from the numbers: how many seeds the
 * scores rest on, which heads are not ranked (diverged, or never left background), which ranked head
 * is best at the study threshold and whether its lead is larger than the noise, how the heads compare
 * to the all-background and mean-mask prior baselines, which heads keep meaning and position
 * (per-kind mean IoU), how the heads do on combinations held out of training (`--holdout`), and
 * whether the other threshold changes the winner.
 *
 * The noise rule, the same for every sentence: a score's uncertainty is u = sqrt(se² + sd²/n), with
 * se the eval-sample standard error, sd the standard deviation over n training seeds (0 for one
 * seed); two scores are "clearly different" when their gap exceeds max(0.01, 2·sqrt(u_a² + u_b²)).
 * A per-kind split without a standard error uses 0.5/sqrt(count), the largest a mean of values in
 * [0, 1] can have. Baselines have no seeds.
 */
import { STUDY_THRESHOLD, type LabelSplit, type Metrics, type ThresholdKey } from '../metrics/types.js';
import { formatPercent, formatRatio } from './format.js';
import { scoreUncertainty, seedCount } from './seeds.js';
import { fusionKindSplit, reportKinds } from './tables.js';
import type { BaselineResult, FusionResult, RunReport } from './types.js';

/** The smallest mean-IoU gap ever called a difference. */
export const MIN_MEANINGFUL_GAP = 0.01;
/** A head predicting less than this fraction of the true foreground is said to predict background. */
export const BACKGROUND_COLLAPSE_RATIO = 0.1;

/** The gap in mean IoU above which two scores of uncertainties uA and uB are called different. */
export function noiseMargin(uncertaintyA: number, uncertaintyB: number): number {
  return Math.max(MIN_MEANINGFUL_GAP, 2 * Math.sqrt(uncertaintyA * uncertaintyA + uncertaintyB * uncertaintyB));
}

/** A score with its uncertainty (see the module comment). */
interface Score {
  value: number;
  u: number;
}

function splitStdError(split: LabelSplit): number {
  return split.meanIoUStdError ?? 0.5 / Math.sqrt(Math.max(1, split.count));
}

/** A head's overall mean IoU at `key`, seed spread included. */
function headScore(f: FusionResult, key: ThresholdKey): Score {
  const m = f.metrics[key];
  return { value: m.meanIoU, u: scoreUncertainty(m.meanIoUStdError, f.seedSpread?.[key]?.meanIoU, seedCount(f)) };
}

/** A head's mean IoU on one label of a split (`kinds` or `holdout`), seed spread included. */
function splitScore(f: FusionResult, split: LabelSplit, sd: number | undefined): Score {
  return { value: split.meanIoU, u: scoreUncertainty(splitStdError(split), sd, seedCount(f)) };
}

const baselineScore = (m: Metrics): Score => ({ value: m.meanIoU, u: m.meanIoUStdError });
const splitBaseline = (s: LabelSplit): Score => ({ value: s.meanIoU, u: splitStdError(s) });

/** Whether a is above b by more than the noise. */
export function clearlyAbove(a: Score, b: Score): boolean {
  return a.value - b.value > noiseMargin(a.u, b.u);
}

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function rankByMeanIoU(heads: FusionResult[], key: ThresholdKey): FusionResult[] {
  const score = (f: FusionResult) => (Number.isNaN(f.metrics[key]?.meanIoU) ? -Infinity : f.metrics[key]?.meanIoU ?? -Infinity);
  return [...heads].sort((a, b) => score(b) - score(a));
}

const withSd = (f: FusionResult, key: ThresholdKey) => {
  const sd = f.seedSpread?.[key]?.meanIoU;
  return seedCount(f) > 1 && sd !== undefined ? `${formatRatio(f.metrics[key].meanIoU)} ± ${formatRatio(sd)} sd over seeds` : formatRatio(f.metrics[key].meanIoU);
};

/** Whether a head diverged: flagged by the training loop, or a non-finite eval BCE. */
export function hasDiverged(f: FusionResult, key: ThresholdKey): boolean {
  return f.diverged !== undefined || !Number.isFinite(f.metrics[key]?.bce ?? Number.NaN) || Number.isNaN(f.metrics[key]?.meanIoU ?? Number.NaN);
}

/** Whether a head predicts (almost) only background at `key`. */
export function predictsBackground(f: FusionResult, key: ThresholdKey): boolean {
  const m = f.metrics[key];
  return m.trueForeground > 0 && m.predictedForeground < BACKGROUND_COLLAPSE_RATIO * m.trueForeground;
}

function seedSentence(heads: FusionResult[]): string {
  const counts = [...new Set(heads.map(seedCount))];
  const rule = 'a gap counts as clear when it exceeds max(0.01, 2·sqrt(u_a² + u_b²))';
  if (counts.length === 1 && counts[0] === 1) {
    return `This is a single-seed run: each head was trained once, so the noise rule (${rule}, u = the eval-sample standard error) cannot see how much a head's score moves with its initial weights and data order; run with --seeds 3 or more for that.`;
  }
  return `Each head was trained ${joinNames(counts.map(String))} times (different initial weights and data order, the same eval set); scores are means over seeds, and ${rule}, where u = sqrt(se² + sd²/n) combines the eval-sample standard error se with the standard deviation sd over the n seeds.`;
}

function excludedSentences(diverged: FusionResult[], background: FusionResult[], key: ThresholdKey, emptyShare: number | undefined): string[] {
  const out = diverged.map((f) => (f.diverged
    ? `The ${f.fusion} head diverged (${f.diverged.reason}, at step ${f.diverged.step}, epoch ${f.diverged.epoch}), so it is not ranked.`
    : `The ${f.fusion} head diverged (its eval BCE is not a finite number), so it is not ranked.`));
  for (const f of background) {
    const m = f.metrics[key];
    const source = emptyShare !== undefined && emptyShare > 0
      ? ` its mean IoU (${formatRatio(m.meanIoU)}) comes from the ${formatPercent(emptyShare)} of eval samples whose mask is empty`
      : ` its mean IoU is ${formatRatio(m.meanIoU)}`;
    out.push(`The ${f.fusion} head predicts almost only background (${formatPercent(m.predictedForeground)} of pixels foreground against ${formatPercent(m.trueForeground)} in the truth): it never left background, so it is not ranked;${source}.`);
  }
  return out;
}

function rankingSentence(ranked: FusionResult[], key: ThresholdKey, report: RunReport): string {
  const best = ranked[0];
  const m = best.metrics[key];
  const sb = headScore(best, key);
  let text = `On ${report.dataset.name} (${m.samples} eval samples, mask threshold ${key}), ${best.fusion} has the highest mean IoU (${formatRatio(m.meanIoU)} ± ${formatRatio(sb.u)}).`;
  if (ranked.length === 1) return text;
  const second = ranked[1];
  const ss = headScore(second, key);
  const gap = sb.value - ss.value;
  const noise = noiseMargin(sb.u, ss.u);
  if (gap <= noise) {
    text += ` Its lead over ${second.fusion} (${withSd(second, key)}) is only ${formatRatio(gap)}, within the noise (about ${formatRatio(noise)}), so the two are not clearly different.`;
  } else {
    text += ` It is clearly ahead of the next head, ${second.fusion} (${withSd(second, key)}; a gap of ${formatRatio(gap)} against a noise level of about ${formatRatio(noise)}).`;
  }
  if (ranked.length > 2) {
    text += ` The others reach ${joinNames(ranked.slice(2).map((f) => `${formatRatio(f.metrics[key].meanIoU)} (${f.fusion})`))}.`;
  }
  return text;
}

function baselineSentence(ranked: FusionResult[], key: ThresholdKey, background?: BaselineResult, prior?: BaselineResult): string {
  const parts: string[] = [];
  const best = ranked[0];
  const emptyNote = (bg: Metrics) => (bg.meanIoU > 0 ? `, which scores only the samples with an empty mask` : ': no eval mask is empty, so it scores 0');
  if (background) {
    const bg = background.metrics[key];
    const noBetter = ranked.filter((f) => !clearlyAbove(headScore(f, key), baselineScore(bg))).map((f) => f.fusion);
    const bgText = `the all-background baseline (mIoU ${formatRatio(bg.meanIoU)}${emptyNote(bg)})`;
    if (noBetter.length === ranked.length) {
      const subject = ranked.length === 1 ? `${best.fusion} is` : `every ranked head (${joinNames(noBetter)}) is`;
      parts.push(`But ${subject} no better than ${bgText}, so this run does not show that any fusion learned to find the region.`);
      return parts.join(' ');
    }
    parts.push(`Against the baselines, ${best.fusion} beats ${bgText} by ${formatRatio(best.metrics[key].meanIoU - bg.meanIoU)}`);
    if (prior) {
      const p = prior.metrics[key];
      parts[0] += clearlyAbove(headScore(best, key), baselineScore(p))
        ? ` and the mean-mask prior (${formatRatio(p.meanIoU)}) by ${formatRatio(best.metrics[key].meanIoU - p.meanIoU)}.`
        : `, but not clearly the mean-mask prior (${formatRatio(p.meanIoU)}): it has learned little beyond where edit regions usually are.`;
    } else {
      parts[0] += '.';
    }
    if (noBetter.length > 0) {
      parts.push(`Of the other heads, ${joinNames(noBetter)} ${noBetter.length === 1 ? 'is' : 'are'} no better than the all-background baseline.`);
    }
  } else if (prior) {
    const p = prior.metrics[key];
    parts.push(clearlyAbove(headScore(best, key), baselineScore(p))
      ? `Against the mean-mask prior (${formatRatio(p.meanIoU)}), ${best.fusion} is clearly better.`
      : `Against the mean-mask prior (${formatRatio(p.meanIoU)}), ${best.fusion} is no better.`);
  }
  return parts.join(' ');
}

/** Heads that beat every baseline on `kind` and are within noise of the best head on it. */
function keepers(heads: FusionResult[], baselines: BaselineResult[], key: ThresholdKey, kind: string): { names: string[]; best?: { fusion: string; split: LabelSplit } } {
  const scored = heads
    .map((f) => {
      const split = fusionKindSplit(f, key)?.[kind];
      return { fusion: f.fusion, split, score: split ? splitScore(f, split, f.seedSpread?.[key]?.byLabel?.[kind]) : undefined };
    })
    .filter((s): s is { fusion: string; split: LabelSplit; score: Score } => s.split !== undefined && !Number.isNaN(s.split.meanIoU))
    .sort((a, b) => b.split.meanIoU - a.split.meanIoU);
  if (scored.length === 0) return { names: [] };
  const best = scored[0];
  const baselineSplits = baselines.map((b) => b.metrics[key]?.byLabel?.[kind]).filter((s): s is LabelSplit => s !== undefined);
  const names = scored
    .filter((s) => baselineSplits.every((b) => clearlyAbove(s.score, splitBaseline(b))))
    .filter((s) => !clearlyAbove(best.score, s.score))
    .map((s) => s.fusion);
  return { names, best };
}

function kindSentences(report: RunReport, heads: FusionResult[], key: ThresholdKey): string[] {
  const kinds = reportKinds(report);
  if (kinds.length === 0) return ['The eval set carries no instruction kinds, so this run cannot separate meaning from position.'];
  const background = report.baselines.find((b) => b.name === 'all-background');
  const perKind = kinds.map((kind) => ({ kind, ...keepers(heads, report.baselines, key, kind) }));
  const described = perKind.filter((k) => k.best).map((k) => {
    const bg = background?.metrics[key]?.byLabel?.[k.kind];
    const close = k.names.filter((n) => n !== k.best!.fusion);
    const details = [
      formatRatio(k.best!.split.meanIoU),
      ...(close.length > 0 ? [`${joinNames(close)} within noise`] : []),
      ...(bg ? [`all-background ${formatRatio(bg.meanIoU)}`] : []),
    ];
    return `${k.best!.fusion} on ${k.kind} (${details.join('; ')})`;
  });
  if (described.length === 0) return [];
  const sentences = [`By instruction kind, the best ranked head is ${joinNames(described)}.`];
  const meaning = perKind.find((k) => k.kind === 'meaning');
  const position = perKind.find((k) => k.kind === 'position');
  if (meaning?.best && position?.best) {
    const both = meaning.names.filter((n) => position.names.includes(n));
    if (both.length > 0) {
      sentences.push(`So ${joinNames(both)} ${both.length === 1 ? 'keeps' : 'keep'} both meaning and position: ${both.length === 1 ? 'it beats' : 'each beats'} the baselines on both kinds and is within noise of the best head on each.`);
    } else {
      const say = (k: typeof meaning, what: string) => (k.names.length > 0
        ? `${what} is kept by ${joinNames(k.names)}`
        : `no head clearly beats the baselines on ${what} instructions`);
      sentences.push(`No single head keeps both: ${say(meaning, 'meaning')}, and ${say(position, 'position')}.`);
    }
  }
  return sentences;
}

/** Seen against unseen combinations (`--holdout`): the best head on unseen ones, and which heads drop. */
function holdoutSentences(heads: FusionResult[], key: ThresholdKey): string[] {
  const scored = heads.flatMap((f) => {
    const seen = f.holdout?.[key]?.seen;
    const unseen = f.holdout?.[key]?.unseen;
    if (!seen || !unseen || Number.isNaN(unseen.meanIoU)) return [];
    const sd = f.seedSpread?.[key]?.holdout;
    return [{ fusion: f.fusion, seen: splitScore(f, seen, sd?.seen), unseen: splitScore(f, unseen, sd?.unseen), count: unseen.count }];
  });
  if (scored.length === 0) return [];
  scored.sort((a, b) => b.unseen.value - a.unseen.value);
  const best = scored[0];
  const tied = scored.slice(1).filter((s) => !clearlyAbove(best.unseen, s.unseen)).map((s) => s.fusion);
  const out = [`On the ${best.count} eval samples whose target combination never appeared in training (held out), ${best.fusion} is best (${formatRatio(best.unseen.value)}${tied.length ? `; ${joinNames(tied)} within noise` : ''}).`];
  const drops = scored.filter((s) => clearlyAbove(s.seen, s.unseen)).map((s) => `${s.fusion} (${formatRatio(s.seen.value)} seen, ${formatRatio(s.unseen.value)} unseen)`);
  const holds = scored.filter((s) => !clearlyAbove(s.seen, s.unseen)).map((s) => s.fusion);
  if (drops.length) out.push(`Clearly worse on unseen than on seen combinations, so partly memorising: ${joinNames(drops)}.`);
  if (holds.length) out.push(`Within noise of their seen score on unseen combinations: ${joinNames(holds)}.`);
  return out;
}

function thresholdSentence(heads: FusionResult[], key: ThresholdKey): string | undefined {
  const other: ThresholdKey = key === '0.7' ? '0.5' : '0.7';
  const available = heads.filter((f) => f.metrics[other]);
  if (available.length < 2) return undefined;
  const bestHere = rankByMeanIoU(heads, key)[0];
  const bestThere = rankByMeanIoU(available, other)[0];
  if (bestThere.fusion === bestHere.fusion) {
    return `At threshold ${other} the same head leads (${formatRatio(bestThere.metrics[other].meanIoU)}).`;
  }
  const there = headScore(bestThere, other);
  const here = bestHere.metrics[other] ? headScore(bestHere, other) : undefined;
  const against = `${formatRatio(there.value)} against ${formatRatio(here?.value ?? Number.NaN)} for ${bestHere.fusion}`;
  if (here && !clearlyAbove(there, here)) {
    return `At threshold ${other}, ${bestThere.fusion} scores highest (${against}), but within the noise (about ${formatRatio(noiseMargin(there.u, here.u))}), so the threshold does not clearly change the winner.`;
  }
  return `At threshold ${other}, ${bestThere.fusion} leads instead (${against}), by more than the noise, so the ranking depends on the threshold.`;
}

/**
 * One paragraph answering the study's question from the report's numbers, at `threshold`
 * (default: the study's 0.7; falls back to 0.5 for heads without it).
 */
export function writeAnswer(report: RunReport, threshold: ThresholdKey = STUDY_THRESHOLD): string {
  const key: ThresholdKey = report.fusions.some((f) => f.metrics[threshold]) ? threshold : threshold === '0.7' ? '0.5' : '0.7';
  const heads = report.fusions.filter((f) => f.metrics[key]);
  if (heads.length === 0) return 'No fusion head was evaluated, so this run answers nothing yet.';
  const background = report.baselines.find((b) => b.name === 'all-background');
  const prior = report.baselines.find((b) => b.name === 'mean-mask prior');
  const diverged = heads.filter((f) => hasDiverged(f, key));
  const collapsed = heads.filter((f) => !hasDiverged(f, key) && predictsBackground(f, key));
  const ranked = rankByMeanIoU(heads.filter((f) => !diverged.includes(f) && !collapsed.includes(f)), key);
  const sentences = [seedSentence(heads), ...excludedSentences(diverged, collapsed, key, background?.metrics[key].meanIoU)];
  if (ranked.length === 0) {
    sentences.push('No head is left to rank, so this run does not show that any fusion learned to find the region.');
    return sentences.join(' ');
  }
  sentences.push(
    rankingSentence(ranked, key, report),
    baselineSentence(ranked, key, background, prior),
    ...kindSentences(report, ranked, key),
    ...holdoutSentences(ranked, key),
    thresholdSentence(ranked, key) ?? '',
  );
  return sentences.filter((s) => s.length > 0).join(' ');
}
