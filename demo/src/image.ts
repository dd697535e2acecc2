/**
 * Decoding an image file in the page with the browser's own decoders (PNG, JPEG, WebP, ...), to the
 * layout `pnpm predict` gets from its PNG/JPEG decoders: interleaved RGB bytes (RGBA when the image
 * has transparency), no colour-space conversion, so a PNG gives the same bytes in both.
 */
import type { DecodedImage } from '@fusion/train';

/** Decodes an image file or fetched body; errors name `name`. */
export async function decodeImageBlob(blob: Blob, name: string): Promise<DecodedImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new Error(`${name}: not an image this browser can decode (${(e as Error).message})`);
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  let opaque = true;
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) { opaque = false; break; }
  if (!opaque) return { width, height, channels: 4, data: new Uint8Array(rgba.buffer.slice(0)) };
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; q < rgb.length; p += 4, q += 3) rgb.set(rgba.subarray(p, p + 3), q);
  return { width, height, channels: 3, data: rgb };
}

/** Fetches and decodes an image URL. */
export async function fetchImage(url: string): Promise<DecodedImage> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return decodeImageBlob(await response.blob(), url);
}
