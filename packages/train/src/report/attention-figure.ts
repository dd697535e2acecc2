/**
 * attention.png: for the heads that return attention, one row per example (instruction above it):
 * the source image, then each head's map resized bilinearly to the image size, scaled to its own
 * minimum and maximum, coloured with viridis and blended over the image; a viridis colour bar
 * (low to high) at the bottom. Images are scaled up with nearest neighbour (see grid.ts).
 */
import { resizeBilinear } from '../data/resize.js';
import { normalizeMinMax, viridis } from './colormap.js';
import { exampleText } from './examples-figure.js';
import { drawText, textWidth } from './font.js';
import { columnLeft, drawCell, drawGridFrame, layoutGrid, TEXT_SCALE, type GridLayout } from './grid.js';
import { HEATMAP_ALPHA } from './palette.js';
import { blend, createImage, fillRect, fromPlanar, type RgbImage } from './raster.js';
import type { AttentionMap, ExampleRow } from './types.js';

const COLOR_BAR_HEIGHT = 14;
const FOOTER_HEIGHT = COLOR_BAR_HEIGHT + 4 + 7 * TEXT_SCALE;

/** The attention map resized to the example (bilinear, half-pixel centres) and scaled to [0, 1]. */
export function attentionAtImageSize(attention: AttentionMap, width: number, height: number): Float32Array {
  if (attention.map.length !== attention.width * attention.height) {
    throw new Error(`attention: map has ${attention.map.length} values, expected ${attention.height}x${attention.width}`);
  }
  const resized = resizeBilinear({ data: attention.map, channels: 1, width: attention.width, height: attention.height }, width, height);
  return normalizeMinMax(resized);
}

function renderHeatmapCell(example: ExampleRow, base: RgbImage, attention: AttentionMap, scale: number): RgbImage {
  const { width, height } = example;
  const heat = attentionAtImageSize(attention, width, height);
  const cell = createImage(width * scale, height * scale);
  for (let dy = 0; dy < cell.height; dy++) {
    for (let dx = 0; dx < cell.width; dx++) {
      const source = Math.floor(dy / scale) * width + Math.floor(dx / scale);
      const color = blend([base.data[source * 3], base.data[source * 3 + 1], base.data[source * 3 + 2]], viridis(heat[source]), HEATMAP_ALPHA);
      cell.data.set(color, (dy * cell.width + dx) * 3);
    }
  }
  return cell;
}

/** The heads, in `fusions` order, that have attention in at least one example. */
export function attentionFusions(examples: readonly ExampleRow[], fusions: readonly string[]): string[] {
  return fusions.filter((f) => examples.some((e) => e.attention?.[f]));
}

/** The grid's geometry: the examples with attention, columns image then `heads`. */
export function layoutAttention(examples: readonly ExampleRow[], heads: readonly string[]): GridLayout {
  return layoutGrid(['image', ...heads], examples.map((e) => ({ width: e.width, height: e.height, text: exampleText(e) })), FOOTER_HEIGHT);
}

/** Draws the attention grid, or returns undefined when no example has attention for any of `fusions`. */
export function renderAttentionFigure(examples: readonly ExampleRow[], fusions: readonly string[]): RgbImage | undefined {
  const heads = attentionFusions(examples, fusions);
  const rows = examples.filter((e) => heads.some((h) => e.attention?.[h]));
  if (heads.length === 0 || rows.length === 0) return undefined;
  const layout = layoutAttention(rows, heads);
  const canvas = drawGridFrame(layout);
  rows.forEach((example, row) => {
    const { scale, imageWidth, imageHeight } = layout.rows[row];
    const base = fromPlanar(example.image, example.width, example.height);
    const plain = createImage(imageWidth, imageHeight);
    for (let dy = 0; dy < imageHeight; dy++) for (let dx = 0; dx < imageWidth; dx++) {
      const s = (Math.floor(dy / scale) * example.width + Math.floor(dx / scale)) * 3;
      plain.data.set(base.data.subarray(s, s + 3), (dy * imageWidth + dx) * 3);
    }
    drawCell(canvas, layout, row, 0, plain);
    heads.forEach((head, i) => {
      const attention = example.attention?.[head];
      if (!attention) {
        drawCell(canvas, layout, row, 1 + i, createImage(imageWidth, imageHeight, [220, 220, 220]), 'n/a');
        return;
      }
      drawCell(canvas, layout, row, 1 + i, renderHeatmapCell(example, base, attention, scale), `map ${attention.width}x${attention.height}`);
    });
  });
  // colour bar under the first heatmap column
  const left = columnLeft(layout, 1);
  const barWidth = layout.columnWidth;
  const top = layout.footerTop;
  for (let x = 0; x < barWidth; x++) fillRect(canvas, left + x, top, 1, COLOR_BAR_HEIGHT, viridis(x / Math.max(1, barWidth - 1)));
  drawText(canvas, 'low', left, top + COLOR_BAR_HEIGHT + 4, [34, 34, 34], TEXT_SCALE);
  drawText(canvas, 'high', left + barWidth - textWidth('high', TEXT_SCALE), top + COLOR_BAR_HEIGHT + 4, [34, 34, 34], TEXT_SCALE);
  return canvas;
}
