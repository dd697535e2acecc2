// Seeded fuzzing of the image decoder (PNG through pngjs, JPEG through jpeg-js): truncations,
// bit flips, splices and length-field overwrites of valid files (RGB, RGBA, grey, 16-bit PNG;
// baseline and progressive-free JPEG), and header edits (IHDR and SOF sizes, chunk lengths).
// Every case must decode to a consistent image or throw an Error naming the file.
import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { fuzzReader, type FuzzEdit } from '@fusion/tensor/testing';
import { decodeImage, encodePng } from './image.js';

function pixels(w: number, h: number, channels: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: w * h * channels }, (_, i) => (i * 37 + seed * 11 + ((i / channels) | 0) * 5) & 255);
}

function pngOf(w: number, h: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16): Uint8Array {
  const png = new PNG({ width: w, height: h, colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
  png.data = Buffer.from(pixels(w, h, 4, colorType + bitDepth));
  const out = PNG.sync.write(png, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const inputs = [
  encodePng(pixels(13, 7, 3, 1), 13, 7),
  encodePng(pixels(9, 11, 4, 2), 9, 11),
  pngOf(10, 6, 0, 8),
  pngOf(5, 8, 2, 16),
  pngOf(7, 7, 4, 8),
  new Uint8Array(jpeg.encode({ width: 17, height: 9, data: Buffer.from(pixels(17, 9, 4, 3)) }, 80).data),
  new Uint8Array(jpeg.encode({ width: 8, height: 24, data: Buffer.from(pixels(8, 24, 4, 4)) }, 30).data),
];

/** Offsets of the width and height fields of the first PNG IHDR or JPEG SOF segment. */
function sizeFields(b: Uint8Array): { at: number; bytes: 2 | 4 }[] {
  if (b[0] === 0x89) return [{ at: 16, bytes: 4 }, { at: 20, bytes: 4 }];
  for (let i = 2; i + 9 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1] >= 0xc0 && b[i + 1] <= 0xc2) return [{ at: i + 5, bytes: 2 }, { at: i + 7, bytes: 2 }];
  }
  return [];
}

const edits: FuzzEdit[] = [
  (b, r) => {
    const fields = sizeFields(b);
    if (!fields.length) return null;
    const out = b.slice();
    const view = new DataView(out.buffer);
    const f = fields[Math.floor(r() * fields.length)];
    const value = f.bytes === 4 ? [0, 1, 0x7fffffff, 0xffffffff, 65535, 100000][Math.floor(r() * 6)] : [0, 1, 65535, 30000][Math.floor(r() * 4)];
    if (f.bytes === 4) view.setUint32(f.at, value);
    else view.setUint16(f.at, value);
    return { name: `size field at ${f.at} set to ${value}`, bytes: out };
  },
  (b, r) => {
    if (b[0] !== 0x89) return null;
    // a PNG chunk's length field (chunks start at 8: length, type, data, crc)
    const out = b.slice();
    const view = new DataView(out.buffer);
    const starts: number[] = [];
    for (let at = 8; at + 8 <= out.length; at += 12 + view.getUint32(at)) starts.push(at);
    const at = starts[Math.floor(r() * starts.length)];
    const value = [0, 0x7fffffff, 0xffffffff, view.getUint32(at) + 1][Math.floor(r() * 4)];
    view.setUint32(at, value);
    return { name: `chunk length at ${at} set to ${value}`, bytes: out };
  },
];

describe('image decoder under fuzzing', () => {
  it('every mutated PNG or JPEG decodes consistently or fails with an error naming the file', async () => {
    const report = await fuzzReader({
      seed: 99, inputs, cases: 1500, budgetMs: 20_000, edits, fileName: 'fuzzed/photo.png',
      read: (bytes, name) => {
        const image = decodeImage(bytes, name);
        expect(image.data.length).toBe(image.width * image.height * image.channels);
      },
    });
    expect(report.failures).toEqual([]);
    expect(report.ran).toBeGreaterThan(100);
    expect(report.rejected).toBeGreaterThan(report.ran / 4);
    expect(report.valid).toBeGreaterThan(0);
  }, 120_000);
});
