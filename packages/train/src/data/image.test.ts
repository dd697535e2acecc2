import jpeg from 'jpeg-js';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage, detectImageFormat, encodePng, toChwFloat, toHwcBytes } from './image.js';

/** Interleaved bytes with distinct, position-dependent channels. */
function pattern(width: number, height: number, channels: 3 | 4): Uint8Array {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const p = (y * width + x) * channels;
    data[p] = (x * 37 + y * 11) % 256;
    data[p + 1] = (y * 53 + 7) % 256;
    data[p + 2] = (x * y * 5 + 100) % 256;
    if (channels === 4) data[p + 3] = (x * 29 + y * 3) % 256;
  }
  return data;
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** A hand-built 8-bit palette PNG (pngjs cannot write palettes). */
function palettePng(width: number, height: number, palette: number[][], indices: number[], alpha?: number[]): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 3, 0, 0, 0], 8); // depth 8, colour type 3 (palette)
  const rows: number[] = [];
  for (let y = 0; y < height; y++) rows.push(0, ...indices.slice(y * width, (y + 1) * width)); // filter 0 per row
  const parts = [
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Uint8Array.from(palette.flat())),
    ...(alpha ? [chunk('tRNS', Uint8Array.from(alpha))] : []),
    chunk('IDAT', deflateSync(Uint8Array.from(rows))),
    chunk('IEND', new Uint8Array(0)),
  ];
  return new Uint8Array(Buffer.concat(parts));
}

describe('PNG', () => {
  it('round-trips RGB and RGBA exactly', () => {
    for (const channels of [3, 4] as const) {
      const data = pattern(13, 7, channels);
      const bytes = encodePng(data, 13, 7);
      expect(detectImageFormat(bytes)).toBe('png');
      const decoded = decodeImage(bytes, 'roundtrip.png');
      expect([decoded.width, decoded.height, decoded.channels]).toEqual([13, 7, channels]);
      expect(Array.from(decoded.data)).toEqual(Array.from(data));
    }
  });

  it('expands greyscale and 16-bit PNGs to RGB bytes', () => {
    const grey = [0, 10, 50, 90, 128, 150, 200, 255, 1, 2, 3, 4];
    const png8 = new PNG({ width: 4, height: 3 });
    grey.forEach((g, i) => png8.data.set([g, g, g, 255], 4 * i));
    const decoded8 = decodeImage(new Uint8Array(PNG.sync.write(png8, { colorType: 0, bitDepth: 8 })), 'grey8.png');
    expect(decoded8.channels).toBe(3);
    expect(Array.from(decoded8.data)).toEqual(grey.flatMap((g) => [g, g, g]));
    // 16-bit input to pngjs' packer is native-endian uint16 RGBA; 257 * v rescales to exactly v
    const rgb = grey.map((g, i) => [g, (g + 40 * i) % 256, 255 - g]);
    const wide = new Uint16Array(4 * 12);
    rgb.forEach(([r, g, b], i) => wide.set([r * 257, g * 257, b * 257, 65535], 4 * i));
    const png16 = new PNG({ width: 4, height: 3 });
    png16.data = Buffer.from(wide.buffer);
    const decoded16 = decodeImage(new Uint8Array(PNG.sync.write(png16, { colorType: 2, bitDepth: 16 })), 'rgb16.png');
    expect(decoded16.channels).toBe(3);
    expect(Array.from(decoded16.data)).toEqual(rgb.flat());
  });

  it('reads palette PNGs, with transparency from tRNS as a 4th channel', () => {
    // 2x2, 8-bit palette of 3 colours; tRNS makes entry 1 half transparent
    const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
    const indices = [0, 1, 2, 0];
    const plain = decodeImage(palettePng(2, 2, palette, indices), 'palette.png');
    expect(plain.channels).toBe(3);
    expect(Array.from(plain.data)).toEqual(indices.flatMap((i) => palette[i]));
    const withAlpha = decodeImage(palettePng(2, 2, palette, indices, [255, 100]), 'palette-trns.png');
    expect(withAlpha.channels).toBe(4);
    expect(Array.from(withAlpha.data)).toEqual(indices.flatMap((i) => [...palette[i], i === 1 ? 100 : 255]));
  });

  it('rejects a wrong byte count', () => {
    expect(() => encodePng(new Uint8Array(10), 2, 2)).toThrow(/neither RGB nor RGBA/);
  });
});

describe('JPEG', () => {
  it('decodes a smooth image close to what was encoded', () => {
    const width = 32, height = 24;
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgba.set([x * 8, y * 10, 200 - x * 3, 255], (y * width + x) * 4);
    const bytes = new Uint8Array(jpeg.encode({ data: rgba, width, height }, 95).data);
    expect(detectImageFormat(bytes)).toBe('jpeg');
    const decoded = decodeImage(bytes, 'smooth.jpg');
    expect([decoded.width, decoded.height, decoded.channels]).toEqual([width, height, 3]);
    let error = 0;
    for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) error += Math.abs(decoded.data[3 * i + c] - rgba[4 * i + c]);
    expect(error / (width * height * 3)).toBeLessThan(3);
  });
});

describe('decodeImage errors', () => {
  it('names the file for unknown formats, truncated and corrupt files', () => {
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4, 5]), 'images/42/mask1.png')).toThrow(/^images\/42\/mask1\.png: not a PNG or JPEG/);
    expect(() => decodeImage(new Uint8Array(0), 'empty.png')).toThrow(/^empty\.png: not a PNG or JPEG/);
    const png = encodePng(pattern(16, 16, 3), 16, 16);
    expect(() => decodeImage(png.subarray(0, 40), 'cut.png')).toThrow(/^cut\.png: corrupt PNG file/);
    const broken = png.slice();
    broken.fill(7, 40, 80);
    expect(() => decodeImage(broken, 'broken.png')).toThrow(/^broken\.png: corrupt PNG file/);
    expect(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 1, 2]), 'cut.jpg')).toThrow(/^cut\.jpg: corrupt JPEG file/);
  });
});

describe('declared sizes are checked before decoding', () => {
  it('rejects a header past 100M pixels, or declaring more data than the file can hold, naming the file', () => {
    const png = encodePng(pattern(16, 16, 3), 16, 16);
    const huge = png.slice();
    new DataView(huge.buffer).setUint32(16, 60000);
    new DataView(huge.buffer).setUint32(20, 60000);
    expect(() => decodeImage(huge, 'photos/huge.png')).toThrow(
      'photos/huge.png: the PNG header declares 60000x60000 = 3,600,000,000 pixels, more than the 100,000,000 this reader accepts (corrupt, or resize the image first)',
    );
    const bomb = png.slice();
    new DataView(bomb.buffer).setUint32(16, 9000);
    new DataView(bomb.buffer).setUint32(20, 9000);
    expect(() => decodeImage(bomb, 'bomb.png')).toThrow(/^bomb\.png: the PNG header declares 9000x9000 pixels \(at least 243,009,000 bytes of image data\), more than a \d+-byte file can hold: corrupt or truncated$/);
    const rgba = new Uint8Array(8 * 8 * 4).fill(128);
    const jpg = new Uint8Array(jpeg.encode({ data: rgba, width: 8, height: 8 }, 90).data);
    const sof = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0);
    new DataView(jpg.buffer).setUint16(sof + 5, 40000);
    new DataView(jpg.buffer).setUint16(sof + 7, 40000);
    expect(() => decodeImage(jpg, 'big.jpg')).toThrow(/^big\.jpg: the JPEG header declares 40000x40000 = 1,600,000,000 pixels/);
  });
});

describe('layout conversions', () => {
  it('converts HWC bytes to planar floats and back', () => {
    const rgba = { width: 2, height: 1, channels: 4 as const, data: new Uint8Array([255, 0, 51, 9, 0, 102, 255, 9]) };
    const chw = toChwFloat(rgba);
    expect(Array.from(chw)).toEqual([1, 0, 0, 0.4, 0.2, 1].map(Math.fround));
    expect(Array.from(toHwcBytes(chw, 2, 1))).toEqual([255, 0, 51, 0, 102, 255]);
    expect(Array.from(toHwcBytes(new Float32Array([-0.5, 2, 0.5]), 1, 1))).toEqual([0, 255, 128]);
  });
});
