/**
 * Image files in and out: PNG (pngjs) and JPEG (jpeg-js) decoding, detected by magic bytes, and PNG
 * encoding. The conversions between decoded interleaved bytes and the planar float layout the
 * samples use (pixels.ts), resizing and normalisation (resize.ts, normalize.ts) are re-exported here.
 *
 * Layouts: decoded images are interleaved HWC bytes (RGB or RGBA); samples are planar CHW float32.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { checkDeclaredSize } from './image-header.js';
import type { DecodedImage } from './pixels.js';

export { resizeBilinear, resizeNearest } from './resize.js';
export { IMAGENET_MEAN, IMAGENET_STD, normalizeImageNet } from './normalize.js';
export { toChwFloat, toHwcBytes, type DecodedImage } from './pixels.js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** Which format the bytes hold, by their magic number. */
export function detectImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (startsWith(bytes, PNG_MAGIC)) return 'png';
  if (startsWith(bytes, JPEG_MAGIC)) return 'jpeg';
  return undefined;
}

function decodePng(bytes: Uint8Array): DecodedImage {
  // pngjs normalises palette, grey, low and 16-bit depths to 8-bit RGBA.
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const { width, height } = png;
  const rgba = png.data;
  let hasAlpha = png.alpha;
  if (!hasAlpha) {
    // palette or grey images with a tRNS chunk carry transparency without the alpha colour type
    for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) { hasAlpha = true; break; }
  }
  if (hasAlpha) return { width, height, channels: 4, data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength) };
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; q < rgb.length; p += 4, q += 3) {
    rgb[q] = rgba[p];
    rgb[q + 1] = rgba[p + 1];
    rgb[q + 2] = rgba[p + 2];
  }
  return { width, height, channels: 3, data: rgb };
}

function decodeJpeg(bytes: Uint8Array): DecodedImage {
  // jpeg-js expands greyscale and CMYK to RGB when formatAsRGBA is false.
  const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
  return { width: decoded.width, height: decoded.height, channels: 3, data: decoded.data };
}

/**
 * Decodes a PNG or JPEG file's bytes. `name` (a path or a row label) only goes into errors:
 * an unknown format, a corrupt file, or a header declaring a size the file cannot hold (or past
 * MAX_IMAGE_PIXELS) throws an Error that starts with it, before the decoder allocates.
 */
export function decodeImage(bytes: Uint8Array, name: string): DecodedImage {
  const format = detectImageFormat(bytes);
  if (!format) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${name}: not a PNG or JPEG file (${bytes.length} bytes, starts with ${head || 'nothing'})`);
  }
  checkDeclaredSize(bytes, format, name);
  let image: DecodedImage;
  try {
    image = format === 'png' ? decodePng(bytes) : decodeJpeg(bytes);
  } catch (error) {
    // The decoders throw their own messages, strings, or (on malformed data) engine TypeErrors.
    const message = error instanceof Error ? error.message : String(error);
    const inside = error instanceof TypeError || error instanceof RangeError ? ` (the decoder failed on malformed data: ${message})` : `: ${message}`;
    throw new Error(`${name}: corrupt ${format.toUpperCase()} file${inside}`);
  }
  if (!(image.width > 0 && image.height > 0) || image.data.length !== image.width * image.height * image.channels) {
    throw new Error(`${name}: corrupt ${format.toUpperCase()} file: decoded ${image.width}x${image.height} with ${image.data.length} bytes`);
  }
  return image;
}

/**
 * Encodes interleaved RGB or RGBA bytes (channel count inferred from the length) as an 8-bit PNG,
 * RGB in RGB out and RGBA in RGBA out.
 */
export function encodePng(data: Uint8Array, width: number, height: number): Uint8Array {
  const pixels = width * height;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`encodePng: width and height must be positive integers, got ${width}x${height}`);
  }
  const channels = data.length / pixels;
  if (channels !== 3 && channels !== 4) {
    throw new Error(`encodePng: ${data.length} bytes is neither RGB nor RGBA for ${width}x${height}`);
  }
  const png = new PNG({ width, height });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const colorType = channels === 4 ? 6 : 2;
  const out = PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: channels === 4 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
