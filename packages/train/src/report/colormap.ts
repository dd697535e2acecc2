/**
 * The viridis colormap (perceptually uniform, readable in greyscale and with colour-vision
 * deficiencies): matplotlib's viridis sampled at 9 evenly spaced stops, linearly interpolated.
 */
import type { Rgb } from './palette.js';

/** matplotlib viridis at 0, 1/8, ..., 1. */
const VIRIDIS_STOPS: readonly Rgb[] = [
  [0x44, 0x01, 0x54], [0x47, 0x2c, 0x7a], [0x3b, 0x51, 0x8b], [0x2c, 0x71, 0x8e], [0x21, 0x90, 0x8d],
  [0x27, 0xad, 0x81], [0x5c, 0xc8, 0x63], [0xaa, 0xdc, 0x32], [0xfd, 0xe7, 0x25],
];

/** The viridis colour of `t` in [0, 1] (clamped; NaN maps to 0). */
export function viridis(t: number): [number, number, number] {
  const v = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  const position = v * (VIRIDIS_STOPS.length - 1);
  const i = Math.min(Math.floor(position), VIRIDIS_STOPS.length - 2);
  const f = position - i;
  const a = VIRIDIS_STOPS[i];
  const b = VIRIDIS_STOPS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** `values` scaled to [0, 1] by their own minimum and maximum (all 0 when constant; non-finite values count as the minimum). */
export function normalizeMinMax(values: Float32Array): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { if (v < min) min = v; if (v > max) max = v; }
  const out = new Float32Array(values.length);
  if (!(max > min)) return out;
  for (let i = 0; i < values.length; i++) out[i] = Number.isFinite(values[i]) ? (values[i] - min) / (max - min) : 0;
  return out;
}
