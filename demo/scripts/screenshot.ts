/**
 * Writes docs/demo.png, the README's picture of the demo: the Predict tab on a shipped sample in
 * headless Chromium (demo/test/chromium.ts), as `pnpm demo` serves it. The screenshot is stored
 * as a 256-colour indexed PNG (the UI is flat colours; the noisy scene textures lose a little), to
 * keep the file small in the repository.
 * Run: pnpm exec tsx --conditions=source demo/scripts/screenshot.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { decodeImage, type DecodedImage } from '@fusion/train';
import { launchChromium } from '../test/chromium.js';
import { serveDemo } from '../test/demo-server.js';

const SAMPLE = 'relational-1.png';
const VIEWPORT = { width: 1100, height: 860 };
const out = join(import.meta.dirname, '../../docs/demo.png');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let crc = 0xffffffff;
  for (const b of body) crc = CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return Buffer.concat([head, body, tail]);
}

/**
 * An 8-bit indexed PNG of the image: the palette is the 256 most frequent colours at 5 bits per
 * channel (their mean colour), every pixel takes the nearest palette entry.
 */
function indexedPng(img: DecodedImage): Buffer {
  const { width, height, channels, data } = img;
  const key = (p: number) => ((data[p] >> 3) << 10) | ((data[p + 1] >> 3) << 5) | (data[p + 2] >> 3);
  const bins = new Map<number, { n: number; r: number; g: number; b: number }>();
  for (let p = 0; p < width * height * channels; p += channels) {
    const k = key(p);
    const bin = bins.get(k) ?? { n: 0, r: 0, g: 0, b: 0 };
    bin.n++;
    bin.r += data[p];
    bin.g += data[p + 1];
    bin.b += data[p + 2];
    bins.set(k, bin);
  }
  const palette = [...bins.values()].sort((a, b) => b.n - a.n).slice(0, 256).map((c) => [c.r / c.n, c.g / c.n, c.b / c.n].map(Math.round));
  const nearest = new Map<number, number>();
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      const k = key(p);
      let index = nearest.get(k);
      if (index === undefined) {
        let best = Infinity;
        palette.forEach((c, i) => {
          const d = (c[0] - data[p]) ** 2 + (c[1] - data[p + 1]) ** 2 + (c[2] - data[p + 2]) ** 2;
          if (d < best) [best, index] = [d, i];
        });
        nearest.set(k, index!);
      }
      raw[y * (width + 1) + 1 + x] = index!;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 3, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('PLTE', Uint8Array.from(palette.flat())), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0)),
  ]);
}

const demo = await serveDemo();
const chromium = await launchChromium();
try {
  const page = await chromium.browser.newPage();
  await page.setViewport(VIEWPORT);
  await page.goto(`${demo.url}#predict`);
  await page.waitForFunction(() => window.fusionDemo?.predict?.state === 'done', { timeout: 300_000 });
  await page.evaluate((file) => window.fusionDemo.predict!.selectSample(file), SAMPLE);
  await page.waitForFunction((file) => window.fusionDemo.predict!.state === 'done' && window.fusionDemo.predict!.last?.image === file, { timeout: 300_000 }, SAMPLE);
  const shot = await page.screenshot({ type: 'png' });
  const png = indexedPng(decodeImage(new Uint8Array(shot), 'screenshot'));
  writeFileSync(out, png);
  console.log(`wrote ${out} (${VIEWPORT.width}x${VIEWPORT.height}, ${(png.length / 1024).toFixed(0)} KiB)`);
} finally {
  await chromium.close();
  await demo.close();
}
