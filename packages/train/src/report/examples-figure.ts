/**
 * examples.png: one row per example with its instruction above it; columns: the source image, the
 * true mask (green overlay), and each fusion head's prediction (red overlay where the probability is
 * above 0.5, opacity growing with the probability, the true mask's outline in green, and the example's
 * IoU at 0.5 as caption). Overlays go on a greyscale copy of the image, so they stay visible on objects
 * of their own colour. Images are scaled up with nearest neighbour (see grid.ts).
 */
import { sampleIoU } from '../metrics/tally.js';
import { drawCell, drawGridFrame, layoutGrid, type GridLayout } from './grid.js';
import { OVERLAY_THRESHOLD, PREDICTED_MASK_COLOR, PREDICTED_MASK_MAX_ALPHA, TRUE_MASK_ALPHA, TRUE_MASK_COLOR, type Rgb } from './palette.js';
import { blend, createImage, fromPlanar, toGreyscale, type RgbImage } from './raster.js';
import type { ExampleRow } from './types.js';

/** How a cell paints each display pixel. */
type CellMode = { kind: 'image' } | { kind: 'truth' } | { kind: 'prediction'; probabilities: Float32Array };

function checkExample(example: ExampleRow, index: number): void {
  const plane = example.width * example.height;
  if (example.image.length !== 3 * plane) throw new Error(`examples: example ${index} image has ${example.image.length} values, expected 3x${example.height}x${example.width}`);
  if (example.trueMask.length !== plane) throw new Error(`examples: example ${index} mask has ${example.trueMask.length} values, expected ${plane}`);
  for (const [fusion, p] of Object.entries(example.predicted)) {
    if (p.length !== plane) throw new Error(`examples: example ${index} prediction of ${fusion} has ${p.length} values, expected ${plane}`);
  }
}

/** The example drawn at `scale`, overlaid as `mode` says (on `base`, the colour image or its greyscale copy). */
function renderCell(example: ExampleRow, base: RgbImage, scale: number, mode: CellMode): RgbImage {
  const { width, height, trueMask } = example;
  const cell = createImage(width * scale, height * scale);
  const inMask = (dx: number, dy: number) =>
    dx >= 0 && dy >= 0 && dx < cell.width && dy < cell.height && trueMask[Math.floor(dy / scale) * width + Math.floor(dx / scale)] !== 0;
  for (let dy = 0; dy < cell.height; dy++) {
    for (let dx = 0; dx < cell.width; dx++) {
      const source = Math.floor(dy / scale) * width + Math.floor(dx / scale);
      let color: Rgb = [base.data[source * 3], base.data[source * 3 + 1], base.data[source * 3 + 2]];
      if (mode.kind === 'truth' && trueMask[source]) color = blend(color, TRUE_MASK_COLOR, TRUE_MASK_ALPHA);
      if (mode.kind === 'prediction') {
        const p = mode.probabilities[source];
        if (p > OVERLAY_THRESHOLD) color = blend(color, PREDICTED_MASK_COLOR, PREDICTED_MASK_MAX_ALPHA * p);
        const edge = inMask(dx, dy) && !(inMask(dx - 1, dy) && inMask(dx + 1, dy) && inMask(dx, dy - 1) && inMask(dx, dy + 1));
        if (edge) color = TRUE_MASK_COLOR;
      }
      cell.data.set(color, (dy * cell.width + dx) * 3);
    }
  }
  return cell;
}

/** IoU of one example's probabilities against its mask at the overlay threshold (1 when both are empty). */
export function exampleIoU(probabilities: Float32Array, trueMask: Uint8Array): number {
  let intersection = 0, predicted = 0, truth = 0;
  for (let i = 0; i < trueMask.length; i++) {
    const p = probabilities[i] > OVERLAY_THRESHOLD ? 1 : 0;
    const t = trueMask[i] ? 1 : 0;
    predicted += p;
    truth += t;
    intersection += p & t;
  }
  return sampleIoU({ intersection, predicted, truth, pixels: trueMask.length });
}

/** The row text of an example: "[kind] instruction". */
export function exampleText(example: ExampleRow): string {
  return example.kind ? `[${example.kind}] ${example.instruction}` : example.instruction;
}

/** The grid's geometry for these examples and heads (columns: image, truth, then `fusions`). */
export function layoutExamples(examples: readonly ExampleRow[], fusions: readonly string[]): GridLayout {
  return layoutGrid(['image', 'truth', ...fusions], examples.map((e) => ({ width: e.width, height: e.height, text: exampleText(e) })));
}

/** Draws the examples grid; `fusions` names the prediction columns in order. Throws on an example whose arrays do not match its size. */
export function renderExamplesFigure(examples: readonly ExampleRow[], fusions: readonly string[]): RgbImage {
  if (examples.length === 0) throw new Error('examples: no examples to draw');
  examples.forEach(checkExample);
  const layout = layoutExamples(examples, fusions);
  const canvas = drawGridFrame(layout);
  examples.forEach((example, row) => {
    const { scale } = layout.rows[row];
    const colour = fromPlanar(example.image, example.width, example.height);
    const grey = toGreyscale(colour);
    drawCell(canvas, layout, row, 0, renderCell(example, colour, scale, { kind: 'image' }));
    const truthPixels = example.trueMask.reduce((s, v) => s + (v ? 1 : 0), 0);
    drawCell(canvas, layout, row, 1, renderCell(example, grey, scale, { kind: 'truth' }), truthPixels === 0 ? 'empty mask' : undefined);
    fusions.forEach((fusion, i) => {
      const probabilities = example.predicted[fusion];
      if (!probabilities) {
        drawCell(canvas, layout, row, 2 + i, createImage(layout.rows[row].imageWidth, layout.rows[row].imageHeight, [220, 220, 220]), 'n/a');
        return;
      }
      drawCell(canvas, layout, row, 2 + i, renderCell(example, grey, scale, { kind: 'prediction', probabilities }), `IoU ${exampleIoU(probabilities, example.trueMask).toFixed(2)}`);
    });
  });
  return canvas;
}
