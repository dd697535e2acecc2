/**
 * What an image file says about its size, read from its header before any decoder allocates:
 * the PNG IHDR (width, height, bit depth, colour type) or the JPEG SOF segment (width, height).
 * `checkDeclaredSize` rejects a size that cannot be real for the file (a PNG whose smallest raw
 * data is more than deflate's maximum expansion of the whole file) or that is past
 * MAX_IMAGE_PIXELS, so a corrupt or hostile length field never drives a huge allocation.
 */

/** Largest image accepted: 100 million pixels (PIL's decompression-bomb warning sits near 89M). */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** zlib's worst-case expansion is about 1032:1; anything a file cannot inflate to is corrupt. */
const DEFLATE_MAX_RATIO = 1032;

/** Samples per pixel of each PNG colour type. */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export interface DeclaredSize {
  width: number;
  height: number;
  /** The fewest bytes of decompressed data such an image needs (PNG), or 0 when unknown (JPEG). */
  minRawBytes: number;
}

/** The size a PNG or JPEG header declares, or null when the header cannot be found (the decoder then reports the file). */
export function declaredSize(bytes: Uint8Array, format: 'png' | 'jpeg'): DeclaredSize | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'png') {
    if (bytes.length < 29 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
    const width = view.getUint32(16);
    const height = view.getUint32(20);
    const channels = PNG_CHANNELS[bytes[25]] ?? 1;
    const depth = bytes[24] || 1;
    return { width, height, minRawBytes: height * (1 + Math.ceil((width * channels * depth) / 8)) };
  }
  // JPEG: walk the segments up to a start-of-frame marker (C0-CF except C4 DHT, C8 JPG, CC DAC).
  let at = 2;
  while (at + 9 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(at + 5), width: view.getUint16(at + 7), minRawBytes: 0 };
    }
    at += 2 + view.getUint16(at + 2);
  }
  return null;
}

/** Throws, naming `name`, when the declared size is past MAX_IMAGE_PIXELS or more than the file can hold. */
export function checkDeclaredSize(bytes: Uint8Array, format: 'png' | 'jpeg', name: string): void {
  const size = declaredSize(bytes, format);
  if (!size) return;
  const kind = format.toUpperCase();
  const pixels = size.width * size.height;
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new Error(`${name}: the ${kind} header declares ${size.width}x${size.height} = ${pixels.toLocaleString('en-US')} pixels, more than the ${MAX_IMAGE_PIXELS.toLocaleString('en-US')} this reader accepts (corrupt, or resize the image first)`);
  }
  if (size.minRawBytes > DEFLATE_MAX_RATIO * bytes.length + 65536) {
    throw new Error(`${name}: the ${kind} header declares ${size.width}x${size.height} pixels (at least ${size.minRawBytes.toLocaleString('en-US')} bytes of image data), more than a ${bytes.length}-byte file can hold: corrupt or truncated`);
  }
}
