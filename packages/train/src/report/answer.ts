/**
 * The report's plain-language answer, generated from the numbers: which fusion head is best at the
 * study threshold and whether its lead is larger than the eval set's noise, how the heads compare to
 * the all-background and mean-mask prior baselines, which heads predict (almost) only background,
 * which heads keep meaning and position (per-kind mean IoU against the baselines), and whether the
 * other threshold changes the winner.
 *
 * "Clearly different" means the gap in mean IoU exceeds max(0.01, 2·sqrt(se_a² + se_b²)), an unpaired
 * two-standard-error rule (conservative: heads are scored on the same samples). A per-kind split
 * without a standard error uses 0.5/sqrt(n), the largest a mean of values in [0, 1] can have.
 */
import { STUDY_THRESHOLD, type LabelSplit, type Metrics, type ThresholdKey } from '../metrics/types.js';
import { formatPercent, formatRatio } from './format.js';
import { fusionKindSplit, reportKinds } from './tables.js';
import type { BaselineResult, FusionResult, RunReport } from './types.js';

/** The smallest mean-IoU gap ever called a difference. */
export const MIN_MEANINGFUL_GAP = 0.01;
/** A head predicting less than this fraction of the true foreground is said to predict background. */
const BACKGROUND_COLLAPSE_RATIO = 0.1;

/** The gap in mean IoU above which two scores are called different. */
export function noiseMargin(stdErrorA: number, stdErrorB: number): number {
  return Math.max(MIN_MEANINGFUL_GAP, 2 * Math.sqrt(stdErrorA * stdErrorA + stdErrorB * stdErrorB));
}

function splitStdError(split: LabelSplit): number {
  return split.meanIoUStdError ?? 0.5 / Math.sqrt(Math.max(1, split.count));
}

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function rankByMeanIoU(heads: FusionResult[], key: ThresholdKey): FusionResult[] {
  const score = (f: FusionResult) => (Number.isNaN(f.metrics[key].meanIoU) ? -Infinity : f.metrics[key].meanIoU);
  return [...heads].sort((a, b) => score(b) - score(a));
}

/** Whether `m` beats `baseline` by more than the noise. */
function beats(m: Metrics, baseline: Metrics): boolean {
  return m.meanIoU - baseline.meanIoU > noiseMargin(m.meanIoUStdError, baseline.meanIoUStdError);
}

function rankingSentence(ranked: FusionResult[], key: ThresholdKey, report: RunReport): string {
  const best = ranked[0];
  const m = best.metrics[key];
  let text = `On ${report.dataset.name} (${m.samples} eval samples, mask threshold ${key}), ${best.fusion} has the highest mean IoU (${formatRatio(m.meanIoU)} ± ${formatRatio(m.meanIoUStdError)}).`;
  if (ranked.length === 1) return text;
  const second = ranked[1];
  const s = second.metrics[key];
  const gap = m.meanIoU - s.meanIoU;
  const noise = noiseMargin(m.meanIoUStdError, s.meanIoUStdError);
  if (gap <= noise) {
    text += ` Its lead over ${second.fusion} (${formatRatio(s.meanIoU)}) is only ${formatRatio(gap)}, within this eval set's noise (about ${formatRatio(noise)}), so the two are not clearly different.`;
  } else {
    text += ` It is clearly ahead of the next head, ${second.fusion} (${formatRatio(s.meanIoU)}; a gap of ${formatRatio(gap)} against a noise level of about ${formatRatio(noise)}).`;
  }
  if (ranked.length > 2) {
    text += ` The others reach ${joinNames(ranked.slice(2).map((f) => `${formatRatio(f.metrics[key].meanIoU)} (${f.fusion})`))}.`;
  }
  return text;
}

function baselineSentence(ranked: FusionResult[], key: ThresholdKey, background?: BaselineResult, prior?: BaselineResult): string {
  const parts: string[] = [];
  const best = ranked[0];
  if (background) {
    const bg = background.metrics[key];
    const noBetter = ranked.filter((f) => !beats(f.metrics[key], bg)).map((f) => f.fusion);
    const bgText = `the all-background baseline (mIoU ${formatRatio(bg.meanIoU)}, which scores only the samples with an empty mask)`;
    if (noBetter.length === ranked.length) {
      const subject = ranked.length === 1 ? `${best.fusion} is` : `every head (${joinNames(noBetter)}) is`;
      parts.push(`But ${subject} no better than ${bgText}, so this run does not show that any fusion learned to find the region.`);
      return parts.join(' ');
    }
    parts.push(`Against the baselines, ${best.fusion} beats ${bgText} by ${formatRatio(best.metrics[key].meanIoU - bg.meanIoU)}`);
    if (prior) {
      const p = prior.metrics[key];
      parts[0] += beats(best.metrics[key], p)
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
    parts.push(beats(best.metrics[key], p)
      ? `Against the mean-mask prior (${formatRatio(p.meanIoU)}), ${best.fusion} is clearly better.`
      : `Against the mean-mask prior (${formatRatio(p.meanIoU)}), ${best.fusion} is no better.`);
  }
  return parts.join(' ');
}

function backgroundSentences(heads: FusionResult[], key: ThresholdKey): string[] {
  return heads
    .filter((f) => {
      const m = f.metrics[key];
      return m.trueForeground > 0 && m.predictedForeground < BACKGROUND_COLLAPSE_RATIO * m.trueForeground;
    })
    .map((f) => {
      const m = f.metrics[key];
      return `The ${f.fusion} head predicts almost only background (${formatPercent(m.predictedForeground)} of pixels foreground against ${formatPercent(m.trueForeground)} in the truth): its IoU comes from empty masks, not from found regions.`;
    });
}

/** Heads that beat every baseline on `kind` and are within noise of the best head on it. */
function keepers(heads: FusionResult[], baselines: BaselineResult[], key: ThresholdKey, kind: string): { names: string[]; best?: { fusion: string; split: LabelSplit } } {
  const scored = heads
    .map((f) => ({ fusion: f.fusion, split: fusionKindSplit(f, key)?.[kind] }))
    .filter((s): s is { fusion: string; split: LabelSplit } => s.split !== undefined && !Number.isNaN(s.split.meanIoU))
    .sort((a, b) => b.split.meanIoU - a.split.meanIoU);
  if (scored.length === 0) return { names: [] };
  const best = scored[0];
  const baselineSplits = baselines.map((b) => b.metrics[key]?.byLabel?.[kind]).filter((s): s is LabelSplit => s !== undefined);
  const names = scored
    .filter((s) => baselineSplits.every((b) => s.split.meanIoU - b.meanIoU > noiseMargin(splitStdError(s.split), splitStdError(b))))
    .filter((s) => best.split.meanIoU - s.split.meanIoU <= noiseMargin(splitStdError(best.split), splitStdError(s.split)))
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
  const sentences = [`By instruction kind, the best head is ${joinNames(described)}.`];
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

function thresholdSentence(heads: FusionResult[], key: ThresholdKey): string | undefined {
  const other: ThresholdKey = key === '0.7' ? '0.5' : '0.7';
  const available = heads.filter((f) => f.metrics[other]);
  if (available.length < 2) return undefined;
  const bestHere = rankByMeanIoU(heads, key)[0];
  const bestThere = rankByMeanIoU(available, other)[0];
  if (bestThere.fusion === bestHere.fusion) {
    return `At threshold ${other} the same head leads (${formatRatio(bestThere.metrics[other].meanIoU)}).`;
  }
  return `At threshold ${other}, ${bestThere.fusion} leads instead (${formatRatio(bestThere.metrics[other].meanIoU)} against ${formatRatio(bestHere.metrics[other]?.meanIoU ?? Number.NaN)} for ${bestHere.fusion}), so the ranking depends on the threshold.`;
}

/**
 * One paragraph answering the study's question from the report's numbers, at `threshold`
 * (default: the study's 0.7; falls back to 0.5 for heads without it).
 */
export function writeAnswer(report: RunReport, threshold: ThresholdKey = STUDY_THRESHOLD): string {
  const key: ThresholdKey = report.fusions.some((f) => f.metrics[threshold]) ? threshold : threshold === '0.7' ? '0.5' : '0.7';
  const heads = report.fusions.filter((f) => f.metrics[key]);
  if (heads.length === 0) return 'No fusion head was evaluated, so this run answers nothing yet.';
  const ranked = rankByMeanIoU(heads, key);
  const background = report.baselines.find((b) => b.name === 'all-background');
  const prior = report.baselines.find((b) => b.name === 'mean-mask prior');
  const sentences = [
    rankingSentence(ranked, key, report),
    baselineSentence(ranked, key, background, prior),
    ...backgroundSentences(ranked, key),
    ...kindSentences(report, ranked, key),
    thresholdSentence(ranked, key),
    ...ranked.filter((f) => Number.isNaN(f.metrics[key].bce)).map((f) => `The ${f.fusion} head diverged: its eval BCE is not a number.`),
  ];
  return sentences.filter((s): s is string => Boolean(s)).join(' ');
}
