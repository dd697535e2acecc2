/**
 * The report's plain-language answer, every sentence computed from the numbers with the rules of
 * answer-rules.ts (one noise rule for every comparison): how many seeds the scores rest on; which
 * heads are not ranked (diverged, or never left background) and which ranked heads predict
 * background only at the study threshold or in some of their seeds; which ranked head is best at
 * the study threshold and which heads are within the noise of it; how the heads compare to the
 * all-background and mean-mask prior baselines (empty masks are mentioned only when some eval mask
 * is empty); which heads keep meaning and position (per-kind mean IoU); how the heads do on
 * combinations held out of training (`--holdout`, against the kind-matched seen score); and whether
 * the other threshold changes the winner by more than the noise.
 */
import { STUDY_THRESHOLD, type LabelSplit, type ThresholdKey } from '../metrics/types.js';
import { formatPercent, formatRatio } from './format.js';
import { holdoutScores } from './holdout.js';
import { seedCount } from './seeds.js';
import { fusionKindSplit, reportKinds } from './tables.js';
import {
  baselineScore, clearlyAbove, emptyMaskShare, hasDiverged, headScore, headThresholds, neverLeftBackground, noiseMargin,
  predictsBackground, seedsNeverLeftBackground, splitBaselineScore, splitScore, type Score,
} from './answer-rules.js';
import type { BaselineResult, FusionResult, RunReport } from './types.js';

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function rankByMeanIoU(heads: FusionResult[], key: ThresholdKey): FusionResult[] {
  const score = (f: FusionResult) => (Number.isNaN(f.metrics[key]?.meanIoU) ? -Infinity : f.metrics[key]?.meanIoU ?? -Infinity);
  return [...heads].sort((a, b) => score(b) - score(a));
}

/** "0.344 ± 0.024 sd over seeds" with several seeds, else "0.344". */
const withSd = (f: FusionResult, key: ThresholdKey) => {
  const sd = f.seedSpread?.[key]?.meanIoU;
  return seedCount(f) > 1 && sd !== undefined ? `${formatRatio(f.metrics[key].meanIoU)} ± ${formatRatio(sd)} sd over seeds` : formatRatio(f.metrics[key].meanIoU);
};

const seedList = (runs: FusionResult[]) => `seed${runs.length === 1 ? '' : 's'} ${joinNames(runs.map((r) => String(r.seed ?? '?')))}`;

function seedSentence(heads: FusionResult[]): string {
  const counts = [...new Set(heads.map(seedCount))];
  const rule = 'a gap counts as clear when it exceeds max(0.01, 2·sqrt(u_a² + u_b²))';
  if (counts.length === 1 && counts[0] === 1) {
    return `This is a single-seed run: each head was trained once, so the noise rule (${rule}, u = the eval-sample standard error) cannot see how much a head's score moves with its initial weights and data order; run with --seeds 3 or more for that.`;
  }
  return `Each head was trained ${joinNames(counts.map(String))} times (different initial weights and data order, the same eval set); scores are means over seeds, and ${rule}, where u = sqrt(se² + sd²/n) combines the eval-sample standard error se with the standard deviation sd over the n seeds.`;
}

/** Why a head that never left background scores what it does at `key`. */
function backgroundScoreClause(f: FusionResult, report: RunReport, key: ThresholdKey): string {
  const m = f.metrics[key];
  const empty = emptyMaskShare(report, key);
  const bg = report.baselines.find((b) => b.name === 'all-background')?.metrics[key];
  if (empty !== undefined && empty > 0 && bg && !clearlyAbove(headScore(f, key), baselineScore(bg))) {
    return `its mean IoU at ${key} (${formatRatio(m.meanIoU)}) is not clearly above the all-background baseline's (${formatRatio(bg.meanIoU)}), which scores only the ${formatPercent(empty)} of eval samples whose mask is empty`;
  }
  return `its mean IoU at ${key} is ${formatRatio(m.meanIoU)}`;
}

/** Sentences naming the heads that are not ranked, and why. */
function excludedSentences(diverged: FusionResult[], background: FusionResult[], report: RunReport, key: ThresholdKey): string[] {
  const out = diverged.map((f) => (f.diverged
    ? `The ${f.fusion} head diverged (${f.diverged.reason}, at step ${f.diverged.step}, epoch ${f.diverged.epoch}), so it is not ranked.`
    : `The ${f.fusion} head diverged (its eval BCE or mean IoU is not a finite number), so it is not ranked.`));
  for (const f of background) {
    const lowest = headThresholds(f)[0];
    const m = f.metrics[lowest];
    const n = seedCount(f);
    const alone = seedsNeverLeftBackground(f).length;
    const where = n > 1 ? (alone === n ? ` in any of its ${n} seeds` : ` on the mean over its ${n} seeds (${alone} of them on their own)`) : '';
    out.push(`The ${f.fusion} head never left background${where}: even at threshold ${lowest} it predicts almost no foreground (${formatPercent(m.predictedForeground)} of pixels against ${formatPercent(m.trueForeground)} in the truth), so it is not ranked; ${backgroundScoreClause(f, report, key)}.`);
  }
  return out;
}

/** Ranked heads that predict background only at `key`, or in some of their seeds. */
function partialBackgroundSentences(ranked: FusionResult[], key: ThresholdKey): string[] {
  const out: string[] = [];
  for (const f of ranked) {
    if (predictsBackground(f, key)) {
      const m = f.metrics[key];
      const other = headThresholds(f).find((k) => k !== key && !predictsBackground(f, k));
      const there = other ? ` but at ${other} it does (${formatPercent(f.metrics[other].predictedForeground)} of pixels, mean IoU ${formatRatio(f.metrics[other].meanIoU)}): its probabilities rarely pass ${key}, so it is ranked by its low score there` : '';
      out.push(`At threshold ${key} the ${f.fusion} head predicts almost no foreground (${formatPercent(m.predictedForeground)} of pixels against ${formatPercent(m.trueForeground)} in the truth)${there}.`);
    }
    const stuck = seedsNeverLeftBackground(f);
    if (stuck.length > 0) {
      out.push(`In ${stuck.length} of its ${seedCount(f)} seeds (${seedList(stuck)}) the ${f.fusion} head never left background; its mean and its spread over seeds include ${stuck.length === 1 ? 'that seed' : 'those seeds'}.`);
    }
  }
  return out;
}

function rankingSentence(ranked: FusionResult[], key: ThresholdKey, report: RunReport): string {
  const best = ranked[0];
  const m = best.metrics[key];
  const sb = headScore(best, key);
  let text = `On ${report.dataset.name} (${m.samples} eval samples, mask threshold ${key}), ${best.fusion} has the highest mean IoU (${withSd(best, key)}; u = ${formatRatio(sb.u)}).`;
  if (ranked.length === 1) return text;
  const others = ranked.slice(1);
  const tied = others.filter((f) => !clearlyAbove(sb, headScore(f, key)));
  const behind = others.filter((f) => !tied.includes(f));
  const gapText = (f: FusionResult) => {
    const s = headScore(f, key);
    return `gap ${formatRatio(sb.value - s.value)} against a noise level of about ${formatRatio(noiseMargin(sb.u, s.u))}`;
  };
  const list = (fs: FusionResult[]) => joinNames(fs.map((f) => `${formatRatio(f.metrics[key].meanIoU)} (${f.fusion})`));
  if (tied.length === 0) {
    const next = others[0];
    text += ` It is clearly ahead of every other ranked head; the next, ${next.fusion} (${withSd(next, key)}), trails by more than the noise (${gapText(next)}).`;
    if (others.length > 1) text += ` The others reach ${list(others.slice(1))}.`;
  } else {
    text += ` Its lead over ${joinNames(tied.map((f) => `${f.fusion} (${withSd(f, key)}; ${gapText(f)})`))} is within the noise, so ${tied.length === 1 ? 'the two are' : 'these heads are'} not clearly different.`;
    if (behind.length > 0) text += ` It is clearly ahead of the others: ${list(behind)}.`;
  }
  return text;
}

function baselineSentence(ranked: FusionResult[], key: ThresholdKey, report: RunReport, background?: BaselineResult, prior?: BaselineResult): string {
  const best = ranked[0];
  if (background) {
    const bg = background.metrics[key];
    const empty = emptyMaskShare(report, key) ?? bg.meanIoU;
    const note = empty > 0
      ? `: it scores 1 on the ${formatPercent(empty)} of eval samples whose mask is empty and 0 elsewhere`
      : ': no eval mask is empty, so it scores 0';
    const bgText = `the all-background baseline (mIoU ${formatRatio(bg.meanIoU)}${note})`;
    const beats = (f: FusionResult) => clearlyAbove(headScore(f, key), baselineScore(bg));
    const noBetter = ranked.filter((f) => !beats(f)).map((f) => f.fusion);
    if (noBetter.length === ranked.length) {
      const subject = ranked.length === 1 ? `${best.fusion} is` : `every ranked head (${joinNames(noBetter)}) is`;
      return `But ${subject} no better than ${bgText}, so this run does not show that any fusion learned to find the region.`;
    }
    const parts: string[] = [];
    if (beats(best)) {
      let first = `Against the baselines, ${best.fusion} beats ${bgText} by ${formatRatio(best.metrics[key].meanIoU - bg.meanIoU)}`;
      if (prior) {
        const p = prior.metrics[key];
        first += clearlyAbove(headScore(best, key), baselineScore(p))
          ? ` and the mean-mask prior (${formatRatio(p.meanIoU)}) by ${formatRatio(best.metrics[key].meanIoU - p.meanIoU)}.`
          : `, but not clearly the mean-mask prior (${formatRatio(p.meanIoU)}): it has learned little beyond where edit regions usually are.`;
      } else {
        first += '.';
      }
      parts.push(first);
    } else {
      const beaters = ranked.filter(beats).map((f) => f.fusion);
      parts.push(`Against the baselines, ${best.fusion}'s lead over ${bgText} is within its noise, while ${joinNames(beaters)} ${beaters.length === 1 ? 'is' : 'are'} clearly above it.`);
    }
    const othersNoBetter = noBetter.filter((n) => n !== best.fusion);
    if (othersNoBetter.length > 0) {
      parts.push(`Of the other heads, ${joinNames(othersNoBetter)} ${othersNoBetter.length === 1 ? 'is' : 'are'} no better than the all-background baseline.`);
    }
    return parts.join(' ');
  }
  if (prior) {
    const p = prior.metrics[key];
    return clearlyAbove(headScore(best, key), baselineScore(p))
      ? `Against the mean-mask prior (${formatRatio(p.meanIoU)}), ${best.fusion} is clearly better.`
      : `Against the mean-mask prior (${formatRatio(p.meanIoU)}), ${best.fusion} is no better.`;
  }
  return '';
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
    .filter((s) => baselineSplits.every((b) => clearlyAbove(s.score, splitBaselineScore(b))))
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
    const h = holdoutScores(f, key);
    if (!h || Number.isNaN(h.unseen.meanIoU) || Number.isNaN(h.seen.meanIoU)) return [];
    return [{ fusion: f.fusion, matched: h.matched, seen: splitScore(f, h.seen, h.seenSd), unseen: splitScore(f, h.unseen, h.unseenSd), count: h.unseen.count }];
  });
  if (scored.length === 0) return [];
  scored.sort((a, b) => b.unseen.value - a.unseen.value);
  const best = scored[0];
  const tied = scored.slice(1).filter((s) => !clearlyAbove(best.unseen, s.unseen)).map((s) => s.fusion);
  const out = [`On the ${best.count} eval samples whose target combination never appeared in training (held out), ${best.fusion} is best (${formatRatio(best.unseen.value)}${tied.length ? `; ${joinNames(tied)} within noise` : ''}).`];
  const matched = scored.every((s) => s.matched);
  const against = matched ? 'seen combinations of the same kind mix' : 'seen combinations (not matched by instruction kind)';
  const pair = (s: (typeof scored)[number]) => `${s.fusion} (${formatRatio(s.seen.value)} seen, ${formatRatio(s.unseen.value)} unseen)`;
  const drops = scored.filter((s) => clearlyAbove(s.seen, s.unseen));
  const gains = scored.filter((s) => clearlyAbove(s.unseen, s.seen));
  const holds = scored.filter((s) => !drops.includes(s) && !gains.includes(s)).map((s) => s.fusion);
  // Only a kind-matched gap is read as generalisation; a raw one also carries the kind mix.
  const reading = matched ? ', so partly tied to the combinations they were trained on' : '';
  if (drops.length) out.push(`Clearly worse on unseen combinations than on ${against}${reading}: ${joinNames(drops.map(pair))}.`);
  if (holds.length) out.push(`Within noise of their score on ${against}: ${joinNames(holds)}.`);
  if (gains.length) out.push(`Clearly better on unseen combinations than on ${against}: ${joinNames(gains.map(pair))}.`);
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
  if (!bestHere.metrics[other]) {
    return `At threshold ${other}, ${bestThere.fusion} scores highest (${formatRatio(there.value)}); ${bestHere.fusion} was not evaluated there.`;
  }
  const here = headScore(bestHere, other);
  const against = `${formatRatio(there.value)} against ${formatRatio(here.value)} for ${bestHere.fusion}`;
  const noise = formatRatio(noiseMargin(there.u, here.u));
  if (!clearlyAbove(there, here)) {
    return `At threshold ${other}, ${bestThere.fusion} scores highest (${against}), but within the noise (about ${noise}), so the threshold does not clearly change the winner.`;
  }
  return `At threshold ${other}, ${bestThere.fusion} leads instead (${against}), by more than the noise (about ${noise}), so the ranking depends on the threshold.`;
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
  const collapsed = heads.filter((f) => !diverged.includes(f) && neverLeftBackground(f));
  const ranked = rankByMeanIoU(heads.filter((f) => !diverged.includes(f) && !collapsed.includes(f)), key);
  const sentences = [seedSentence(heads), ...excludedSentences(diverged, collapsed, report, key)];
  if (ranked.length === 0) {
    sentences.push('No head is left to rank, so this run does not show that any fusion learned to find the region.');
    return sentences.join(' ');
  }
  sentences.push(
    ...partialBackgroundSentences(ranked, key),
    rankingSentence(ranked, key, report),
    baselineSentence(ranked, key, report, background, prior),
    ...kindSentences(report, ranked, key),
    ...holdoutSentences(ranked, key),
    thresholdSentence(ranked, key) ?? '',
  );
  return sentences.filter((s) => s.length > 0).join(' ');
}
