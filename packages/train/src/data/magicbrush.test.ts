import jpeg from 'jpeg-js';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from './image.js';
import { maskFromImage, openMagicBrush, type MagicBrushDataset, type MagicBrushOptions } from './magicbrush.js';
import type { Sample } from './types.js';
import { writeShard, type Row } from './testing/parquet-shard.js';

// --- test images: 8x8 sources, masks whose edit region is the top-right 4x4 quadrant ------------------

const N = 8;

/** RGB bytes whose pixel (x, y) depends on a seed, so every image differs. */
function sourceRgb(seed: number, width = N, height = N): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([(i * 7 + seed * 31) % 256, (i * 13 + seed * 5) % 256, (seed * 40 + (i % width) * 20) % 256], 3 * i);
  return data;
}

/** RGBA mask, transparent (alpha 0..127) in the top-right quadrant, opaque elsewhere. */
function rgbaMask(size = N): Uint8Array {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const inside = x >= size / 2 && y < size / 2;
    data.set([0, 0, 0, inside ? (x + y) % 128 : 128 + ((x * y) % 128)], 4 * (y * size + x));
  }
  return data;
}

/** RGB mask, near-white (>= 200) in the top-right quadrant, darker or only partly white elsewhere. */
function whiteMask(size = N): Uint8Array {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const inside = x >= size / 2 && y < size / 2;
    data.set(inside ? [200 + x, 255, 230] : [255, 199, 255], 3 * (y * size + x));
  }
  return data;
}

const EXPECTED_MASK_4 = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0];

/** What a 2x bilinear downscale must give: the mean of each 2x2 block, planar, in [0, 1]. */
function blockMean(rgb: Uint8Array, width: number, height: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < 3; c++) for (let y = 0; y < height / 2; y++) for (let x = 0; x < width / 2; x++) {
    let sum = 0;
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) sum += rgb[3 * ((2 * y + dy) * width + 2 * x + dx) + c];
    out.push(sum / 4 / 255);
  }
  return out;
}

function expectImage(actual: Float32Array | undefined, expected: number[]): void {
  expect(actual).toBeDefined();
  expect(actual!.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual![i], `value ${i}`).toBeCloseTo(e, 5));
}

async function collect(dataset: MagicBrushDataset): Promise<Sample[]> {
  const samples: Sample[] = [];
  for await (const s of dataset) samples.push(s);
  return samples;
}

async function iterationError(dataset: MagicBrushDataset): Promise<string> {
  try {
    await collect(dataset);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the iteration to throw');
}

async function openError(path: string, options: MagicBrushOptions = { size: 4 }): Promise<string> {
  try {
    await openMagicBrush(path, options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected openMagicBrush(${path}) to throw`);
}

// --- parquet shards like the Hugging Face release ------------------------------------------------

let root: string;
const rgbSource = (seed: number) => encodePng(sourceRgb(seed), N, N);
const jpegRgba = new Uint8Array(N * N * 4).map((_, i) => (i % 4 === 3 ? 255 : 60 + (i % 37) * 3));
const jpegSource = new Uint8Array(jpeg.encode({ data: jpegRgba, width: N, height: N }, 90).data);
const good = (img_id: string, turn_index: number, seed: number): Row => ({
  img_id, turn_index, source: rgbSource(seed), mask: encodePng(rgbaMask(), N, N), target: rgbSource(seed + 100), instruction: `edit ${img_id} turn ${turn_index}`,
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fusion-magicbrush-'));
  // a nested HF-style folder: two train shards (the first with one row per row group) and one dev shard
  await mkdir(join(root, 'hf', 'data'), { recursive: true });
  writeShard(join(root, 'hf', 'data', 'train-00000-of-00002-abc.parquet'), [good('100', 1, 1), good('100', 2, 2)], [], 1);
  writeShard(join(root, 'hf', 'data', 'train-00001-of-00002-def.parquet'), [{ ...good('205', 1, 3), source: jpegSource }]);
  writeShard(join(root, 'hf', 'data', 'dev-00000-of-00001.parquet'), [good('9', 1, 4)]);
  // listed before data/ by a recursive readdir, but sorted after it
  writeShard(join(root, 'hf', 'zz-extra.parquet'), [good('999', 1, 13)]);

  // bad shards, each a good row followed by one bad row
  await mkdir(join(root, 'bad'));
  writeShard(join(root, 'bad', 'corrupt.parquet'), [good('1', 1, 5), { ...good('2', 3, 6), source: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]) }]);
  writeShard(join(root, 'bad', 'empty.parquet'), [good('3', 1, 7), { ...good('4', 2, 8), instruction: '   ' }]);
  writeShard(join(root, 'bad', 'mismatch.parquet'), [good('5', 1, 9), { ...good('6', 1, 10), mask: encodePng(rgbaMask(4), 4, 4) }]);
  writeShard(join(root, 'bad', 'nocolumn.parquet'), [good('7', 1, 11), good('8', 1, 12)], ['instruction']);
  await writeFile(join(root, 'notparquet.parquet'), 'PAR1 nonsense');
  await mkdir(join(root, 'empty-folder', 'nested'), { recursive: true });
  await writeFile(join(root, 'empty-folder', 'nested', 'readme.txt'), 'nothing here');

  // the original release layout, with RGB (near-white) masks
  const orig = join(root, 'orig');
  for (const id of ['300', '301']) await mkdir(join(orig, 'images', id), { recursive: true });
  const put = (id: string, name: string, bytes: Uint8Array) => writeFile(join(orig, 'images', id, name), bytes);
  await put('300', '300-input.png', rgbSource(20));
  await put('300', '300-mask1.png', encodePng(whiteMask(), N, N));
  await put('300', '300-output1.png', rgbSource(21));
  await put('300', '300-mask2.png', encodePng(rgbaMask(), N, N));
  await put('300', '300-output2.png', rgbSource(22));
  await put('301', '301-input.png', rgbSource(23));
  await put('301', '301-mask1.png', encodePng(whiteMask(), N, N));
  await put('301', '301-output1.png', rgbSource(24));
  await put('301', 'corrupt.png', new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 9, 9]));
  await put('301', 'small-mask.png', encodePng(whiteMask(4), 4, 4));
  const turn = (input: string, mask: string, output: string, instruction: string) => ({ input, mask, output, instruction });
  const good300 = [turn('300-input.png', '300-mask1.png', '300-output1.png', 'make the sky blue'), turn('300-output1.png', '300-mask2.png', '300-output2.png', 'add a dog')];
  const good301 = turn('301-input.png', '301-mask1.png', '301-output1.png', 'remove the cup');
  await writeFile(join(orig, 'edit_sessions.json'), JSON.stringify({ 300: good300, 301: [good301] }));
  const bad = {
    'corrupt.json': turn('corrupt.png', '301-mask1.png', '301-output1.png', 'x'),
    'empty.json': turn('301-input.png', '301-mask1.png', '301-output1.png', ''),
    'mismatch.json': turn('301-input.png', 'small-mask.png', '301-output1.png', 'x'),
    'missing.json': turn('301-input.png', 'no-such-mask.png', '301-output1.png', 'x'),
    'no-instruction.json': { input: '301-input.png', mask: '301-mask1.png', output: '301-output1.png' },
  };
  for (const [name, badTurn] of Object.entries(bad)) await writeFile(join(orig, name), JSON.stringify({ 301: [good301, badTurn] }));
  await mkdir(join(root, 'badorig', 'images', '301'), { recursive: true });
  await writeFile(join(root, 'badorig', 'edit_sessions.json'), JSON.stringify({ 301: [good301, ...Object.values(bad)] }));
  for (const name of ['301-input.png', '301-mask1.png', '301-output1.png', 'corrupt.png', 'small-mask.png']) {
    await copyFile(join(orig, 'images', '301', name), join(root, 'badorig', 'images', '301', name));
  }
  await writeFile(join(root, 'broken.json'), '{"300": [');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('maskFromImage', () => {
  it('takes alpha < 128 as the region in RGBA masks', () => {
    const data = new Uint8Array([255, 255, 255, 127, 0, 0, 0, 128, 9, 9, 9, 0, 255, 255, 255, 255]);
    expect(Array.from(maskFromImage({ width: 4, height: 1, channels: 4, data }))).toEqual([1, 0, 1, 0]);
  });

  it('takes near-white (every channel >= 200) as the region in RGB masks', () => {
    const data = new Uint8Array([200, 200, 200, 199, 255, 255, 255, 255, 255, 255, 255, 150, 0, 0, 0]);
    expect(Array.from(maskFromImage({ width: 5, height: 1, channels: 3, data }))).toEqual([1, 0, 1, 0, 0]);
  });
});

describe('openMagicBrush, Hugging Face parquet layout', () => {
  it('finds nested shards, reads them in sorted order and resizes images and masks', async () => {
    const dataset = await openMagicBrush(join(root, 'hf'), { size: 4 });
    expect(dataset.layout).toBe('parquet');
    expect(dataset.count).toBe(5);
    expect(dataset.files.map((f) => f.slice(root.length))).toEqual([
      '/hf/data/dev-00000-of-00001.parquet', '/hf/data/train-00000-of-00002-abc.parquet', '/hf/data/train-00001-of-00002-def.parquet',
      '/hf/zz-extra.parquet',
    ]);
    const samples = await collect(dataset);
    expect(samples.map((s) => s.id)).toEqual(['9/1', '100/1', '100/2', '205/1', '999/1']);
    expect(samples.map((s) => s.instruction)).toEqual(['edit 9 turn 1', 'edit 100 turn 1', 'edit 100 turn 2', 'edit 205 turn 1', 'edit 999 turn 1']);
    for (const s of samples) {
      expect([s.width, s.height]).toEqual([4, 4]);
      expect(Array.from(s.mask)).toEqual(EXPECTED_MASK_4);
      expect(s.target).toBeUndefined();
      expect(s.kind).toBeUndefined();
    }
    expectImage(samples[1].image, blockMean(sourceRgb(1), N, N));
    expectImage(samples[2].image, blockMean(sourceRgb(2), N, N));
    // the JPEG source, compared with what jpeg-js decodes
    const decoded = jpeg.decode(jpegSource, { useTArray: true, formatAsRGBA: false });
    expectImage(samples[3].image, blockMean(decoded.data, N, N));
    expect(dataset.skipped).toEqual({});
  });

  it('selects a split, reads targets on request, and can iterate twice', async () => {
    const dataset = await openMagicBrush(join(root, 'hf'), { size: 4, split: 'train', withTarget: true });
    expect(dataset.count).toBe(3);
    const first = await collect(dataset);
    const second = await collect(dataset);
    expect(first.map((s) => s.id)).toEqual(['100/1', '100/2', '205/1']);
    expect(second.map((s) => s.id)).toEqual(first.map((s) => s.id));
    expectImage(first[0].target, blockMean(sourceRgb(101), N, N));
    expectImage(first[1].target, blockMean(sourceRgb(102), N, N));
    const single = await openMagicBrush(join(root, 'hf', 'data', 'dev-00000-of-00001.parquet'), { size: 8 });
    const [sample] = await collect(single);
    expect(sample.id).toBe('9/1');
    expectImage(sample.image, Array.from({ length: 3 * N * N }, (_, k) => sourceRgb(4)[3 * (k % (N * N)) + Math.floor(k / (N * N))] / 255));
    expect(Array.from(sample.mask)).toEqual(Array.from({ length: N * N }, (_, i) => (i % N >= 4 && i < 4 * N ? 1 : 0)));
  });

  it('names the file and row of each bad row', async () => {
    const corrupt = await iterationError(await openMagicBrush(join(root, 'bad', 'corrupt.parquet'), { size: 4 }));
    expect(corrupt).toContain(`${join(root, 'bad', 'corrupt.parquet')} row 1 (img_id 2, turn 3): source_img (2-source.png): corrupt PNG file`);
    const empty = await iterationError(await openMagicBrush(join(root, 'bad', 'empty.parquet'), { size: 4 }));
    expect(empty).toBe(`${join(root, 'bad', 'empty.parquet')} row 1 (img_id 4, turn 2): empty instruction`);
    const nullShard = join(root, 'null-instruction.parquet');
    writeShard(nullShard, [good('3', 1, 7), { ...good('4', 2, 8), instruction: null as unknown as string }]);
    expect(await iterationError(await openMagicBrush(nullShard, { size: 4 }))).toBe(`${nullShard} row 1 (img_id 4, turn 2): instruction is missing (null)`);
    const mismatch = await iterationError(await openMagicBrush(join(root, 'bad', 'mismatch.parquet'), { size: 4 }));
    expect(mismatch).toBe(`${join(root, 'bad', 'mismatch.parquet')} row 1 (img_id 6, turn 1): mask mask_img (6-mask.png) is 4x4 but source source_img (6-source.png) is 8x8`);
    const missing = await openError(join(root, 'bad', 'nocolumn.parquet'));
    expect(missing).toContain(`${join(root, 'bad', 'nocolumn.parquet')}: missing column(s) instruction`);
    expect(missing).toContain('(has img_id, turn_index, source_img, mask_img, target_img)');
  });

  it('skips and counts bad rows by reason with skipBad', async () => {
    const dataset = await openMagicBrush(join(root, 'bad'), { size: 4, skipBad: true });
    expect(dataset.count).toBe(8);
    const samples = await collect(dataset);
    expect(samples.map((s) => s.id)).toEqual(['1/1', '3/1', '5/1']);
    expect(dataset.skipped).toEqual({ 'corrupt-image': 1, 'empty-instruction': 1, 'mask-size-mismatch': 1, 'missing-column': 2 });
    await collect(dataset); // a second pass counts afresh
    expect(dataset.skipped).toEqual({ 'corrupt-image': 1, 'empty-instruction': 1, 'mask-size-mismatch': 1, 'missing-column': 2 });
  });
});

describe('openMagicBrush, original release layout', () => {
  it('reads edit_sessions.json and images/<img_id>/, with near-white RGB masks', async () => {
    const dataset = await openMagicBrush(join(root, 'orig'), { size: 4, withTarget: true });
    expect(dataset.layout).toBe('original');
    expect(dataset.count).toBe(3);
    expect(dataset.files).toEqual([join(root, 'orig', 'edit_sessions.json')]);
    const samples = await collect(dataset);
    expect(samples.map((s) => [s.id, s.instruction])).toEqual([['300/1', 'make the sky blue'], ['300/2', 'add a dog'], ['301/1', 'remove the cup']]);
    for (const s of samples) expect(Array.from(s.mask)).toEqual(EXPECTED_MASK_4);
    expectImage(samples[0].image, blockMean(sourceRgb(20), N, N));
    expectImage(samples[1].image, blockMean(sourceRgb(21), N, N)); // turn 2 starts from turn 1's output
    expectImage(samples[1].target, blockMean(sourceRgb(22), N, N));
    expectImage(samples[2].image, blockMean(sourceRgb(23), N, N));
  });

  it('names the session file, img_id, turn and image of each bad turn', async () => {
    const json = (name: string) => join(root, 'orig', name);
    const image = (name: string) => join(root, 'orig', 'images', '301', name);
    const message = async (name: string) => iterationError(await openMagicBrush(json(name), { size: 4 }));
    expect(await message('corrupt.json')).toContain(`${json('corrupt.json')} img_id 301 turn 2: ${image('corrupt.png')}: corrupt JPEG file`);
    expect(await message('empty.json')).toBe(`${json('empty.json')} img_id 301 turn 2: empty instruction`);
    expect(await message('no-instruction.json')).toBe(`${json('no-instruction.json')} img_id 301 turn 2: no 'instruction' field`);
    expect(await message('mismatch.json')).toBe(
      `${json('mismatch.json')} img_id 301 turn 2: mask ${image('small-mask.png')} is 4x4 but source ${image('301-input.png')} is 8x8`);
    expect(await message('missing.json')).toBe(`${json('missing.json')} img_id 301 turn 2: cannot read mask image ${image('no-such-mask.png')}: ENOENT`);
    expect(await openError(join(root, 'broken.json'))).toMatch(new RegExp(`^${join(root, 'broken.json')}: cannot read edit sessions`));
  });

  it('skips and counts bad turns by reason with skipBad', async () => {
    const dataset = await openMagicBrush(join(root, 'badorig'), { size: 4, skipBad: true });
    expect(dataset.count).toBe(6);
    const samples = await collect(dataset);
    expect(samples.map((s) => s.id)).toEqual(['301/1']);
    expect(dataset.skipped).toEqual({ 'corrupt-image': 1, 'empty-instruction': 1, 'mask-size-mismatch': 1, 'missing-image': 1, 'malformed-row': 1 });
  });
});

describe('openMagicBrush, unusable paths', () => {
  it('throws naming the path, with or without skipBad', async () => {
    for (const skipBad of [false, true]) {
      const missing = join(root, 'no-such-folder');
      expect(await openError(missing, { size: 4, skipBad })).toBe(`MagicBrush: ${missing} does not exist`);
      expect(await openError(join(root, 'empty-folder'), { size: 4, skipBad })).toBe(
        `MagicBrush: ${join(root, 'empty-folder')} holds no *.parquet shard and no edit_sessions.json (searched recursively)`);
      expect(await openError(join(root, 'notparquet.parquet'), { size: 4, skipBad })).toMatch(
        new RegExp(`^${join(root, 'notparquet.parquet')}: not a readable parquet file`));
    }
    expect(await openError(join(root, 'hf'), { size: 4, split: 'test' })).toContain("for split 'test'");
    expect(await openError(join(root, 'hf'), { size: 0 })).toMatch(/'size'/);
  });
});
