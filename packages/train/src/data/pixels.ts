/**
 * Decoded images and the planar float layout of samples, without any codec (Node-free: a page
 * decodes with the browser, Node with image.ts).
 * Layouts: decoded images are interleaved HWC bytes (RGB or RGBA); samples are planar CHW float32.
 */

/** A decoded image: interleaved HWC bytes, 3 (RGB) or 4 (RGBA) channels. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 3 | 4;
  /** width * height * channels bytes, row-major, channels interleaved. */
  data: Uint8Array;
}

/**
 * Converts decoded interleaved bytes to planar RGB floats in [0, 1] (alpha dropped).
 * Shape: (H, W, C) uint8 -> (3, H, W) float32.
 */
export function toChwFloat(image: DecodedImage): Float32Array {
  const { width, height, channels, data } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0, p = 0; i < plane; i++, p += channels) {
    out[i] = data[p] / 255;
    out[plane + i] = data[p + 1] / 255;
    out[2 * plane + i] = data[p + 2] / 255;
  }
  return out;
}

/**
 * Converts planar RGB floats in [0, 1] to interleaved RGB bytes (rounded, clamped), e.g. for encodePng.
 * Shape: (3, H, W) float32 -> (H, W, 3) uint8.
 */
export function toHwcBytes(chw: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  if (chw.length !== 3 * plane) throw new Error(`toHwcBytes: ${chw.length} floats is not 3x${height}x${width}`);
  const out = new Uint8Array(3 * plane);
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    for (let c = 0; c < 3; c++) {
      const v = Math.round(chw[c * plane + i] * 255);
      out[p + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
