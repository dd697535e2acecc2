/**
 * How numbers are printed in the report, one rule per kind of number, so every table column uses
 * the same format: ratios with 3 decimals, BCE with 4, seconds and rates with 1, counts grouped by
 * thousands. A non-finite number prints as "n/a" (NaN) or "inf".
 */

function finiteOr(value: number, format: (v: number) => string): string {
  if (Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return format(value);
}

/** A ratio in [0, 1] (IoU, Dice, precision, accuracy): "0.734". */
export function formatRatio(value: number): string {
  return finiteOr(value, (v) => v.toFixed(3));
}

/** A standard error of a ratio: "0.012". */
export const formatStdError = formatRatio;

/** A cross-entropy in nats: "0.1234". */
export function formatBce(value: number): string {
  return finiteOr(value, (v) => v.toFixed(4));
}

/** A fraction as a percentage with one decimal: "12.5%". */
export function formatPercent(value: number): string {
  return finiteOr(value, (v) => `${(v * 100).toFixed(1)}%`);
}

/** Seconds with one decimal: "12.3 s". */
export function formatSeconds(value: number): string {
  return finiteOr(value, (v) => `${v.toFixed(1)} s`);
}

/** A rate with one decimal: "123.4". */
export function formatRate(value: number): string {
  return finiteOr(value, (v) => v.toFixed(1));
}

/** A count grouped by thousands with commas: "25,557,032". */
export function formatCount(value: number): string {
  return finiteOr(value, (v) => Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ','));
}
