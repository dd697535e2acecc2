/**
 * Timing policy: warm-up runs (the first compiles pipelines and touches fresh buffers; later ones
 * only while a run fits the budget), then as many timed runs as fit a time budget (within
 * [minRepeats, maxRepeats], but at least one and no more than fit `maxCaseMs`, so the largest
 * shapes are timed once or twice on a CPU adapter); the result is the median.
 * Each run is one region on a clock: 'timestamp' (GPU timestamp queries) or 'wall' (host time until
 * the GPU is done). A result is on the timestamp clock only when every run was.
 */
import type { Prepared } from './declare.js';

export type Clock = 'timestamp' | 'wall';

/** One timed run. */
export interface Sample {
  ms: number;
  clock: Clock;
  /** Host time of the run, recording and waiting included (always measured). */
  wallMs: number;
}

/** Times one synchronous function that records GPU work. */
export type Timer = (fn: () => void) => Promise<Sample>;

export interface MeasureOptions {
  /** Warm-up runs before timing (at least 1; the others only while a run fits `budgetMs`). */
  warmup: number;
  minRepeats: number;
  maxRepeats: number;
  /** Host time the timed runs may take, which sets their number within the bounds above. */
  budgetMs: number;
  /** Host time the timed runs of one case may never exceed, minRepeats notwithstanding (default: no limit). */
  maxCaseMs?: number;
}

export interface Measured {
  /** Median over the timed runs. */
  ms: number;
  clock: Clock;
  /** Every timed run, in ms, on `clock`. */
  samples: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs `prepared` under `timer`: warm-up, then the timed runs; returns their median. */
export async function measure(prepared: Prepared, timer: Timer, options: MeasureOptions): Promise<Measured> {
  const once = () => {
    prepared.reset?.();
    return timer(() => prepared.run());
  };
  let last = await once();
  for (let i = 1; i < options.warmup && last.wallMs <= options.budgetMs; i++) last = await once();
  const perRun = Math.max(last.wallMs, 1e-3);
  let repeats = Math.min(options.maxRepeats, Math.max(options.minRepeats, Math.floor(options.budgetMs / perRun)));
  if (options.maxCaseMs !== undefined) repeats = Math.min(repeats, Math.floor(options.maxCaseMs / perRun));
  repeats = Math.max(1, repeats);
  const samples: Sample[] = [];
  for (let i = 0; i < repeats; i++) samples.push(await once());
  const clock: Clock = samples.every((s) => s.clock === 'timestamp') ? 'timestamp' : 'wall';
  const values = samples.map((s) => (clock === 'timestamp' ? s.ms : s.wallMs));
  return { ms: median(values), clock, samples: values };
}
