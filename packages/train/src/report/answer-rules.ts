/**
 * The rules the report's answer (answer.ts) applies to the numbers, one place for each:
 *
 * The noise rule, the same for every comparison: a score's uncertainty is u = sqrt(se² + sd²/n),
 * with se the eval-sample standard error, sd the standard deviation over n training seeds (0 for
 * one seed); score a is "clearly above" score b when a − b exceeds max(0.01, 2·sqrt(u_a² + u_b²)).
 * A split without a standard error uses 0.5/sqrt(count), the largest a mean of values in [0, 1]
 * can have. Baselines have no seeds.
 *
 * Which heads are not ranked: a head that diverged (flagged by the loop, or a non-finite eval BCE
 * or mean IoU), and a head that never left background: at every threshold it was evaluated at it
 * predicts less than 10% of the true foreground. A head that does so only at the study threshold
 * did leave background (its probabilities rarely pass 0.7) and is ranked by its low score.
 * Pure functions.
 */
import { THRESHOLD_KEYS, type LabelSplit, type Metrics, type ThresholdKey } from '../metrics/types.js';
import { scoreUncertainty, seedCount } from './seeds.js';
import type { FusionResult, RunReport } from './types.js';

/** The smallest mean-IoU gap ever called a difference. */
export const MIN_MEANINGFUL_GAP = 0.01;
/** A head predicting less than this fraction of the true foreground is said to predict background. */
export const BACKGROUND_COLLAPSE_RATIO = 0.1;

/** A score with its uncertainty u (see the module comment). */
export interface Score {
  value: number;
  u: number;
}

/** The gap in mean IoU above which two scores of uncertainties uA and uB are called different. */
export function noiseMargin(uncertaintyA: number, uncertaintyB: number): number {
  return Math.max(MIN_MEANINGFUL_GAP, 2 * Math.sqrt(uncertaintyA * uncertaintyA + uncertaintyB * uncertaintyB));
}

/** Whether a is above b by more than the noise. */
export function clearlyAbove(a: Score, b: Score): boolean {
  return a.value - b.value > noiseMargin(a.u, b.u);
}

/** The standard error of a split's mean IoU (the bound 0.5/sqrt(n) when the split has none). */
export function splitStdError(split: LabelSplit): number {
  return split.meanIoUStdError ?? 0.5 / Math.sqrt(Math.max(1, split.count));
}

/** A head's overall mean IoU at `key`, seed spread included. */
export function headScore(f: FusionResult, key: ThresholdKey): Score {
  const m = f.metrics[key];
  return { value: m.meanIoU, u: scoreUncertainty(m.meanIoUStdError, f.seedSpread?.[key]?.meanIoU, seedCount(f)) };
}

/** A head's mean IoU on one split (a kind, seen or unseen), with its sd over seeds when known. */
export function splitScore(f: FusionResult, split: LabelSplit, sd: number | undefined): Score {
  return { value: split.meanIoU, u: scoreUncertainty(splitStdError(split), sd, seedCount(f)) };
}

/** A baseline's score (no seeds). */
export const baselineScore = (m: Metrics): Score => ({ value: m.meanIoU, u: m.meanIoUStdError });

/** A baseline's score on one split (no seeds). */
export const splitBaselineScore = (s: LabelSplit): Score => ({ value: s.meanIoU, u: splitStdError(s) });

/** Whether a head diverged: flagged by the training loop, or a non-finite eval BCE or mean IoU. */
export function hasDiverged(f: FusionResult, key: ThresholdKey): boolean {
  return f.diverged !== undefined || !Number.isFinite(f.metrics[key]?.bce ?? Number.NaN) || Number.isNaN(f.metrics[key]?.meanIoU ?? Number.NaN);
}

/** Whether a head predicts (almost) only background at `key`. */
export function predictsBackground(f: FusionResult, key: ThresholdKey): boolean {
  const m = f.metrics[key];
  return m !== undefined && m.trueForeground > 0 && m.predictedForeground < BACKGROUND_COLLAPSE_RATIO * m.trueForeground;
}

/** The thresholds a head was evaluated at, lowest first. */
export function headThresholds(f: FusionResult): ThresholdKey[] {
  return THRESHOLD_KEYS.filter((k) => f.metrics[k] !== undefined);
}

/** Whether a head never left background: (almost) only background at every threshold it has. */
export function neverLeftBackground(f: FusionResult): boolean {
  const keys = headThresholds(f);
  return keys.length > 0 && keys.every((k) => predictsBackground(f, k));
}

/** The seeds (of a several-seed head) that on their own never left background. */
export function seedsNeverLeftBackground(f: FusionResult): FusionResult[] {
  return seedCount(f) > 1 ? (f.seeds ?? []).filter(neverLeftBackground) : [];
}

/**
 * The share of eval samples whose mask is empty: counted by the run when it recorded them, else the
 * all-background baseline's mean IoU at `key` (which is exactly that share: it scores 1 on an empty
 * mask and 0 elsewhere). Undefined when neither is known.
 */
export function emptyMaskShare(report: RunReport, key: ThresholdKey): number | undefined {
  const { emptyMasks, eval: evalCount } = report.dataset;
  if (emptyMasks !== undefined && evalCount > 0) return emptyMasks / evalCount;
  return report.baselines.find((b) => b.name === 'all-background')?.metrics[key]?.meanIoU;
}
