/**
 * Axis arithmetic for the hand-written plots: "nice" linear ticks (steps of 1, 2 or 5 times a power
 * of ten), logarithmic ticks (decades, with 2 and 5 between them when the range is short), tick label
 * text, and the debiased exponential moving average used to smooth training loss.
 */

/** Linear ticks covering [min, max], extended outwards to whole steps; about `target` of them. */
export function linearTicks(min: number, max: number, target = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) throw new Error(`linearTicks: range [${min}, ${max}] is not finite`);
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, target - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Logarithmic ticks covering [min, max] (both > 0): powers of ten, plus 2x and 5x when the range spans fewer than 3 decades. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0 && max > 0)) throw new Error(`logTicks: range [${min}, ${max}] must be positive`);
  if (max < min) [min, max] = [max, min];
  let low = Math.floor(Math.log10(min));
  let high = Math.ceil(Math.log10(max));
  if (high === low) high++;
  const dense = high - low < 3;
  const ticks: number[] = [];
  for (let e = low; e <= high; e++) {
    for (const m of dense ? [1, 2, 5] : [1]) {
      const v = Number((m * 10 ** e).toPrecision(12));
      ticks.push(v);
    }
  }
  // trim to one tick beyond the data on each side
  const firstInside = ticks.findIndex((t) => t >= min);
  const lastInside = ticks.length - 1 - [...ticks].reverse().findIndex((t) => t <= max);
  low = Math.max(0, firstInside - 1);
  high = Math.min(ticks.length - 1, lastInside + 1);
  return ticks.slice(low, high + 1);
}

/** A short label for a tick value: up to 4 significant digits, thousands as "k". */
export function tickLabel(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 10000) return `${Number((value / 1000).toPrecision(4))}k`;
  return String(Number(value.toPrecision(4)));
}

/**
 * Exponential moving average with bias correction (TensorBoard's smoothing): s_t = w s_{t-1} + (1-w) x_t,
 * reported as s_t / (1 - w^t), so the first point is not pulled towards 0. `weight` 0 returns the input.
 */
export function smoothEma(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`smoothEma: weight must be in [0, 1), got ${weight}`);
  let state = 0;
  let correction = 1;
  return values.map((x) => {
    state = weight * state + (1 - weight) * x;
    correction *= weight;
    return state / (1 - correction);
  });
}
