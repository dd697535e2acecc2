/**
 * Colours shared by the figures: one per fusion head (the Okabe-Ito palette, distinguishable with
 * colour-vision deficiencies), and the overlay colours of masks.
 */

/** Okabe-Ito colours, in the order heads are listed. */
export const SERIES_COLORS: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

/** The colour of the i-th series (cycles after eight). */
export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length];
}

/** Dash patterns that tell apart series sharing a colour: solid for the first eight, then dashed, then dotted. */
const SERIES_DASHES: readonly string[] = ['', '7 4', '2 3'];

/** The SVG stroke-dasharray of the i-th series ('' = solid). */
export function seriesDash(index: number): string {
  return SERIES_DASHES[Math.floor(index / SERIES_COLORS.length) % SERIES_DASHES.length];
}

/** An RGB triple, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

/** Overlay colour of the true mask (green). */
export const TRUE_MASK_COLOR: Rgb = [0, 200, 80];
/** Opacity of the true-mask overlay. */
export const TRUE_MASK_ALPHA = 0.55;
/** Overlay colour of a predicted mask (red). */
export const PREDICTED_MASK_COLOR: Rgb = [230, 30, 30];
/** Opacity of the predicted overlay at probability 1 (it scales with the probability). */
export const PREDICTED_MASK_MAX_ALPHA = 0.75;
/** Threshold above which a predicted pixel is overlaid. */
export const OVERLAY_THRESHOLD = 0.5;
/** Opacity of an attention heatmap over its image. */
export const HEATMAP_ALPHA = 0.65;
