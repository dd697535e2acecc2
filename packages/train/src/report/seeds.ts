/**
 * Several trainings of one head (`--seeds N`: different initial weights and data order, the same
 * validation and eval sets) folded into one FusionResult: every metric is the mean over the seeds,
 * `meanIoUStdError` the root mean square of the seeds' eval-sample standard errors (the eval set is
 * shared, so its sampling noise does not average away), `seedSpread` the sample standard deviation
 * over seeds of each mean IoU, and `seeds` keeps each seed's own result. A seed that diverged is
 * left out of the means and marks the whole head `diverged` (such a head is never ranked).
 * Pure functions.
 */
import { THRESHOLD_KEYS, type LabelSplit, type Metrics, type ThresholdKey } from '../metrics/types.js';
import type { FusionResult, SeedSpread } from './types.js';

/** Mean and sample standard deviation (n - 1; 0 for one value). */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  if (values.length === 0) return { mean: Number.NaN, sd: Number.NaN };
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (values.length === 1) return { mean, sd: 0 };
  const ss = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return { mean, sd: Math.sqrt(ss / (values.length - 1)) };
}

const rms = (values: readonly number[]) => Math.sqrt(values.reduce((s, v) => s + v * v, 0) / Math.max(1, values.length));

function meanSplits(splits: readonly (Record<string, LabelSplit> | undefined)[]): { mean: Record<string, LabelSplit>; sd: Record<string, number> } | undefined {
  const present = splits.filter((s): s is Record<string, LabelSplit> => s !== undefined);
  if (present.length === 0) return undefined;
  const mean: Record<string, LabelSplit> = {};
  const sd: Record<string, number> = {};
  for (const label of Object.keys(present[0])) {
    const each = present.map((s) => s[label]).filter((s): s is LabelSplit => s !== undefined);
    const m = meanAndSd(each.map((s) => s.meanIoU));
    const errors = each.map((s) => s.meanIoUStdError).filter((e): e is number => e !== undefined);
    mean[label] = { meanIoU: m.mean, count: each[0].count, ...(errors.length === each.length ? { meanIoUStdError: rms(errors) } : {}) };
    sd[label] = m.sd;
  }
  return { mean, sd };
}

function meanMetrics(all: readonly Metrics[]): Metrics {
  const first = all[0];
  const out = { ...first } as Metrics;
  for (const key of Object.keys(first) as (keyof Metrics)[]) {
    if (typeof first[key] === 'number') (out as unknown as Record<string, number>)[key] = meanAndSd(all.map((m) => m[key] as number)).mean;
  }
  out.meanIoUStdError = rms(all.map((m) => m.meanIoUStdError));
  const byLabel = meanSplits(all.map((m) => m.byLabel));
  if (byLabel) out.byLabel = byLabel.mean;
  return out;
}

/** The per-epoch (or per-step) mean of several curves, over the points all of them have. */
function meanCurve<T extends Record<string, number>>(curves: readonly T[][], key: keyof T): T[] {
  const length = Math.min(...curves.map((c) => c.length));
  return Array.from({ length }, (_, i) => {
    const point = { ...curves[0][i] };
    for (const field of Object.keys(point) as (keyof T)[]) {
      if (field !== key) (point as Record<keyof T, number>)[field] = meanAndSd(curves.map((c) => c[i][field] as number)).mean;
    }
    return point;
  });
}

/** One result per head from its seeds' results (in seed order); one seed gives a zero spread. */
export function aggregateSeeds(results: readonly FusionResult[]): FusionResult {
  if (results.length === 0) throw new Error('aggregateSeeds: no results');
  const names = new Set(results.map((r) => r.fusion));
  if (names.size !== 1) throw new Error(`aggregateSeeds: results of different heads (${[...names].join(', ')})`);
  const diverged = results.find((r) => r.diverged);
  const finite = results.filter((r) => !r.diverged);
  const used = finite.length > 0 ? finite : results;
  const first = used[0];
  const metrics = {} as FusionResult['metrics'];
  const seedSpread: Partial<Record<ThresholdKey, SeedSpread>> = {};
  const holdout: NonNullable<FusionResult['holdout']> = {};
  for (const key of THRESHOLD_KEYS) {
    const at = used.map((r) => r.metrics[key]).filter((m): m is Metrics => m !== undefined);
    if (at.length === 0) continue;
    metrics[key] = meanMetrics(at);
    const spread: SeedSpread = { seeds: at.length, meanIoU: meanAndSd(at.map((m) => m.meanIoU)).sd };
    const labels = meanSplits(at.map((m) => m.byLabel));
    if (labels) spread.byLabel = labels.sd;
    const held = meanSplits(used.map((r) => r.holdout?.[key]));
    if (held) {
      holdout[key] = held.mean;
      spread.holdout = held.sd;
    }
    seedSpread[key] = spread;
  }
  const out: FusionResult = {
    ...first,
    trainSeconds: meanAndSd(used.map((r) => r.trainSeconds)).mean,
    imagesPerSecond: meanAndSd(used.map((r) => r.imagesPerSecond)).mean,
    metrics,
    lossCurve: meanCurve(used.map((r) => r.lossCurve), 'step'),
    evalCurve: meanCurve(used.map((r) => r.evalCurve), 'epoch'),
    seeds: [...results],
    seedSpread,
  };
  if (Object.keys(holdout).length > 0) out.holdout = holdout;
  else delete out.holdout;
  if (diverged) out.diverged = { ...diverged.diverged!, reason: `seed ${diverged.seed ?? results.indexOf(diverged)}: ${diverged.diverged!.reason}` };
  return out;
}

/** How many seeds a result aggregates (1 for a plain result). */
export function seedCount(result: FusionResult): number {
  return result.seeds?.length ?? 1;
}

/**
 * The uncertainty of a head's mean IoU used by every "ahead" / "within noise" call: the eval-sample
 * standard error and the seed spread combined, sqrt(se² + sd² / n) for n seeds (just se for one seed).
 */
export function scoreUncertainty(stdError: number, seedSd = 0, seeds = 1): number {
  return Math.sqrt(stdError * stdError + (seeds > 1 ? (seedSd * seedSd) / seeds : 0));
}
