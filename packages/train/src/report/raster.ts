/**
 * A minimal RGB raster for the report's figures: an interleaved 8-bit image, rectangles, alpha
 * blending, pixel reads, and conversions from the samples' planar float images and masks.
 * Layout: data is (H, W, 3) bytes, row-major.
 */
import type { Rgb } from './palette.js';

/** An 8-bit RGB image, channels interleaved. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A new image filled with `color` (white by default). */
export function createImage(width: number, height: number, color: Rgb = [255, 255, 255]): RgbImage {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`createImage: size must be positive integers, got ${width}x${height}`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(color, i);
  return { width, height, data };
}

/** The colour at (x, y). */
export function getPixel(image: RgbImage, x: number, y: number): [number, number, number] {
  const p = (y * image.width + x) * 3;
  return [image.data[p], image.data[p + 1], image.data[p + 2]];
}

/** Sets (x, y) to `color`; outside the image does nothing. */
export function setPixel(image: RgbImage, x: number, y: number, color: Rgb): void {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  image.data.set(color, (y * image.width + x) * 3);
}

/** Fills a rectangle, clipped to the image. */
export function fillRect(image: RgbImage, x: number, y: number, width: number, height: number, color: Rgb): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(image.width, Math.floor(x + width));
  const y1 = Math.min(image.height, Math.floor(y + height));
  for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) image.data.set(color, (yy * image.width + xx) * 3);
}

/** Mixes `color` over `base` with opacity `alpha`, rounded: base (1 - alpha) + color alpha. */
export function blend(base: Rgb, color: Rgb, alpha: number): [number, number, number] {
  const a = Math.min(1, Math.max(0, alpha));
  return [
    Math.round(base[0] * (1 - a) + color[0] * a),
    Math.round(base[1] * (1 - a) + color[1] * a),
    Math.round(base[2] * (1 - a) + color[2] * a),
  ];
}

/**
 * A planar float image as an RgbImage, values in [0, 1] rounded and clamped.
 * Shape: (3, H, W) float32 -> (H, W, 3) bytes.
 */
export function fromPlanar(chw: Float32Array, width: number, height: number): RgbImage {
  const plane = width * height;
  if (chw.length !== 3 * plane) throw new Error(`fromPlanar: ${chw.length} values is not 3x${height}x${width}`);
  const image = createImage(width, height);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.round(chw[c * plane + i] * 255);
      image.data[i * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : Number.isNaN(v) ? 0 : v;
    }
  }
  return image;
}

/** A greyscale copy (Rec. 601 luma, rounded) in all three channels. */
export function toGreyscale(image: RgbImage): RgbImage {
  const out = createImage(image.width, image.height);
  for (let p = 0; p < image.data.length; p += 3) {
    const luma = Math.round(0.299 * image.data[p] + 0.587 * image.data[p + 1] + 0.114 * image.data[p + 2]);
    out.data[p] = out.data[p + 1] = out.data[p + 2] = luma;
  }
  return out;
}

/** Copies `source` into `target` with its top-left at (x, y), each pixel a `scale` x `scale` block (nearest neighbour); clipped. */
export function drawScaled(target: RgbImage, source: RgbImage, x: number, y: number, scale: number): void {
  for (let sy = 0; sy < source.height; sy++) {
    for (let sx = 0; sx < source.width; sx++) {
      const p = (sy * source.width + sx) * 3;
      fillRect(target, x + sx * scale, y + sy * scale, scale, scale, [source.data[p], source.data[p + 1], source.data[p + 2]]);
    }
  }
}
