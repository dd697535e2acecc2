/**
 * Drawing images, masks and heatmaps onto canvases, at the data's own resolution (CSS scales the
 * canvas; `image-rendering: pixelated` keeps small maps crisp). The predicted mask is the report's
 * red, heatmaps its viridis; the true mask is outlined in white (the report's green fill would be
 * confused with the green objects of the synthetic scenes on an outline).
 */
import { PREDICTED_MASK_COLOR, normalizeMinMax, toHwcBytes, viridis, type AttentionMap, type DecodedImage } from '@fusion/train';

/** Outline of the true mask: white, a colour no synthetic object has. */
const TRUE_OUTLINE: readonly [number, number, number] = [255, 255, 255];

/** Sizes `canvas` to width x height and returns its pixels to fill. */
function pixels(canvas: HTMLCanvasElement, width: number, height: number): { ctx: CanvasRenderingContext2D; img: ImageData } {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  return { ctx, img: ctx.createImageData(width, height) };
}

/** RGB of pixel i of a decoded image. */
function rgbAt(image: DecodedImage, i: number): [number, number, number] {
  const p = i * image.channels;
  return [image.data[p], image.data[p + 1], image.data[p + 2]];
}

/** Planar CHW floats in [0, 1] as a decoded RGB image. */
export function fromPlanar(chw: Float32Array, width: number, height: number): DecodedImage {
  return { width, height, channels: 3, data: toHwcBytes(chw, width, height) };
}

/**
 * The image with the predicted mask tinted red (opacity 0.6) and outlined, and, when given, the
 * true mask's outline in white.
 */
export function drawMaskOverlay(canvas: HTMLCanvasElement, image: DecodedImage, mask: Uint8Array, trueMask?: Uint8Array): void {
  const { width, height } = image;
  const { ctx, img } = pixels(canvas, width, height);
  const edge = (m: Uint8Array, x: number, y: number) =>
    m[y * width + x] === 1 && (x === 0 || y === 0 || x === width - 1 || y === height - 1 || !m[y * width + x - 1] || !m[y * width + x + 1] || !m[(y - 1) * width + x] || !m[(y + 1) * width + x]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let [r, g, b] = rgbAt(image, i);
      if (mask[i]) {
        const a = edge(mask, x, y) ? 0.95 : 0.6;
        [r, g, b] = [r + (PREDICTED_MASK_COLOR[0] - r) * a, g + (PREDICTED_MASK_COLOR[1] - g) * a, b + (PREDICTED_MASK_COLOR[2] - b) * a];
      }
      if (trueMask && edge(trueMask, x, y)) [r, g, b] = TRUE_OUTLINE;
      img.data.set([r, g, b, 255], 4 * i);
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** Values in [0, 1] (or min-max normalised with `normalize`) as a viridis heatmap. */
export function drawHeatmap(canvas: HTMLCanvasElement, values: Float32Array, width: number, height: number, normalize = false): void {
  const { ctx, img } = pixels(canvas, width, height);
  const v = normalize ? normalizeMinMax(values) : values;
  for (let i = 0; i < width * height; i++) img.data.set([...viridis(v[i]), 255], 4 * i);
  ctx.putImageData(img, 0, 0);
}

/** An attention map (its own min-max scale) as a heatmap. */
export function drawAttention(canvas: HTMLCanvasElement, map: AttentionMap): void {
  drawHeatmap(canvas, map.map, map.width, map.height, true);
}

/** A decoded image as is. */
export function drawImage(canvas: HTMLCanvasElement, image: DecodedImage): void {
  const { ctx, img } = pixels(canvas, image.width, image.height);
  for (let i = 0; i < image.width * image.height; i++) img.data.set([...rgbAt(image, i), 255], 4 * i);
  ctx.putImageData(img, 0, 0);
}
