/**
 * The demo page in Chromium, tab by tab, as a person uses it, with a screenshot of each tab kept
 * in test-results/browser/ and no console error allowed:
 *   - it shows the adapter it got, and without WebGPU, what to enable;
 *   - Predict: the shipped head on a shipped image gives the mask `predictMask` gives in Node
 *     (Dawn, lavapipe) for the same head file, image file and instruction, also after typing a new
 *     instruction, and after loading a head file through the file picker. Same kernels, different
 *     adapters and GEMM variants, so equal up to f32 rounding: probabilities within 1e-4 of Node's,
 *     and the same mask except at pixels whose probability is within 1e-4 of the threshold;
 *   - Train: a few steps of the tiny cross-pixel head run, the first loss is Node's for the same
 *     seed and batch (the same initial weights and data) within 2e-4 (relative), the loss falls,
 *     and the trained model goes to the Predict tab;
 *   - Kernel benchmarks: the quick matmul grid runs with TF.js as the peer and shows the table.
 * The numbers measured (img/s of the Train tab, the benchmark rows) go to
 * test-results/browser/numbers.json.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { init, manualSeed, Adam, destroyDevice } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH } from '@fusion/models';
import { PRESETS, batchTensors, decodeImage, disposeBatch, headPredictor, parseHead, predictMask, syntheticSource, trainStep, type MaskPrediction } from '@fusion/train';
import { BROWSER_OUTPUT, disconnect, openDemo, sharedBrowser, type TestPage } from './page.js';

const demoDir = resolve(import.meta.dirname, '../../demo/public');
/**
 * Probabilities may differ from Node's by this much: f32 rounding through the whole model, with
 * other GEMM variants (SwiftShader runs `direct`, lavapipe `subgroup`); measured here ~4e-7.
 */
const PROBABILITY_TOLERANCE = 1e-4;

const numbers: Record<string, unknown> = {};

beforeAll(async () => {
  await init();
});
afterAll(async () => {
  writeFileSync(join(BROWSER_OUTPUT, 'numbers.json'), `${JSON.stringify(numbers, null, 2)}\n`);
  await disconnect();
  destroyDevice();
});

/** What the Predict tab made, as plain arrays. */
interface PagePrediction {
  instruction: string;
  image: string;
  probabilities: number[];
  mask: number[];
  threshold: number;
}

async function pagePrediction(t: TestPage, image: string, instruction: string): Promise<PagePrediction> {
  await t.page.waitForFunction(
    (img, text) => {
      const p = window.fusionDemo.predict;
      return (p?.state === 'done' && p.last?.image === img && p.last.instruction === text) || p?.state === 'error';
    },
    { timeout: 300_000, polling: 200 },
    image, instruction,
  );
  return t.page.evaluate(() => {
    const p = window.fusionDemo.predict!;
    if (p.state === 'error') throw new Error(`the Predict tab failed: ${document.querySelector('#tab-predict .error')?.textContent}`);
    const last = p.last!;
    return { instruction: last.instruction, image: last.image, probabilities: Array.from(last.prediction.probabilities), mask: Array.from(last.prediction.mask), threshold: last.prediction.threshold };
  });
}

async function nodePrediction(image: string, instruction: string): Promise<MaskPrediction> {
  const head = parseHead(new Uint8Array(readFileSync(join(demoDir, 'head.fusion'))), 'head.fusion');
  const predictor = headPredictor(head);
  try {
    const file = join(demoDir, 'samples', image);
    return await predictMask(predictor, decodeImage(new Uint8Array(readFileSync(file)), file), instruction);
  } finally {
    predictor.model.dispose();
  }
}

function compare(page: PagePrediction, node: MaskPrediction): { maxDiff: number; maskPixels: number } {
  expect(page.probabilities.length).toBe(node.probabilities.length);
  let maxDiff = 0;
  for (let i = 0; i < node.probabilities.length; i++) maxDiff = Math.max(maxDiff, Math.abs(page.probabilities[i] - node.probabilities[i]));
  expect(maxDiff, 'largest |page - Node| probability').toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
  const differing: number[] = [];
  for (let i = 0; i < node.mask.length; i++) {
    if (page.mask[i] !== node.mask[i] && Math.abs(node.imageProbabilities[i] - node.threshold) > PROBABILITY_TOLERANCE) differing.push(i);
  }
  expect(differing, 'mask pixels that differ away from the threshold').toEqual([]);
  const maskPixels = node.mask.reduce((s, v) => s + v, 0);
  expect(maskPixels, 'the shipped head finds something to edit').toBeGreaterThan(0);
  return { maxDiff, maskPixels };
}

describe('the demo page in Chromium', () => {
  it('says what to enable when the browser gives no WebGPU', async () => {
    const page = await (await sharedBrowser()).newPage();
    await page.setViewport({ width: 1280, height: 600 });
    // As a browser without WebGPU: no navigator.gpu.
    await page.evaluateOnNewDocument(() => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
    await page.goto(new URL('index.html', inject('demoUrl')).href);
    await page.waitForSelector('[data-testid=no-webgpu]', { timeout: 60_000 });
    const text = await page.$eval('[data-testid=no-webgpu]', (e) => e.textContent ?? '');
    for (const part of ['no WebGPU', 'Chrome or Edge 113+', '--enable-unsafe-webgpu', 'secure context', 'navigator.gpu is undefined']) expect(text).toContain(part);
    expect(await page.$eval('#tabs', (e) => getComputedStyle(e).display)).toBe('none');
    expect(await page.$eval('main', (e) => getComputedStyle(e).display)).toBe('none');
    await page.screenshot({ path: join(BROWSER_OUTPUT, 'no-webgpu.png') });
    await page.close();
  });

  it('Predict: the shipped head gives the mask Node gives, also for a typed instruction', async () => {
    const t = await openDemo('index.html#predict');
    const samples = JSON.parse(readFileSync(join(demoDir, 'samples/samples.json'), 'utf8')).samples as { file: string; instruction: string }[];
    const first = samples[0];
    const shown = await pagePrediction(t, first.file, first.instruction);
    expect(await t.page.$eval('[data-testid=adapter-name]', (e) => e.textContent)).toMatch(/\S/);
    numbers.predict = [{ image: first.file, instruction: first.instruction, ...compare(shown, await nodePrediction(first.file, first.instruction)) }];

    const other = samples.find((s) => s.file.startsWith('relational'))!;
    await t.page.evaluate((file) => window.fusionDemo.predict!.selectSample(file), other.file);
    const typed = 'make the purple triangle bigger';
    const input = await t.page.$('[data-testid=instruction]');
    await input!.click({ count: 3 });
    await input!.type(typed, { delay: 5 });
    const afterTyping = await pagePrediction(t, other.file, typed);
    (numbers.predict as unknown[]).push({ image: other.file, instruction: typed, ...compare(afterTyping, await nodePrediction(other.file, typed)) });
    await t.page.screenshot({ path: join(BROWSER_OUTPUT, 'predict.png'), fullPage: true });

    // A head picked from disk (here the shipped file itself) replaces the shipped one.
    const before = await t.page.evaluate(() => window.fusionDemo.predict!.last!.ms);
    await (await t.page.$('[data-testid=head-file]'))!.uploadFile(join(demoDir, 'head.fusion'));
    await t.page.waitForFunction((ms) => window.fusionDemo.predict!.state === 'done' && window.fusionDemo.predict!.last!.ms !== ms, { timeout: 120_000, polling: 200 }, before);
    expect(await t.page.$eval('[data-testid=head-info]', (e) => e.textContent)).toMatch(/^cross-pixel · 229\u202f370 parameters · 32×32 input · epoch \d+ · head\.fusion$/);
    compare(await pagePrediction(t, other.file, typed), await nodePrediction(other.file, typed));
    expect(t.errors).toEqual([]);
    await t.page.close();
  });

  it('Train: a few steps run in the page, the first loss is Node\'s and the loss falls', async () => {
    const settings = { head: 'cross-pixel', batch: 8, perEpoch: 48, epochs: 1, lr: 0.002, seed: 0 };
    const t = await openDemo('index.html#train');
    await t.page.waitForFunction(() => !!window.fusionDemo.train, { timeout: 60_000 });
    await t.page.evaluate((s) => {
      window.fusionDemo.train!.configure(s);
      (document.querySelector('[data-testid=train-start]') as HTMLButtonElement).click();
    }, settings);
    await t.page.waitForFunction(() => ['done', 'stopped', 'error'].includes(window.fusionDemo.train!.state), { timeout: 540_000, polling: 1000 });
    const result = await t.page.evaluate(() => {
      const tr = window.fusionDemo.train!;
      return { state: tr.state, losses: tr.losses.map((l) => l.loss), epochs: tr.epochs, imagesPerSecond: tr.imagesPerSecond, examples: document.querySelectorAll('[data-testid=train-examples] figure').length };
    });
    await t.page.screenshot({ path: join(BROWSER_OUTPUT, 'train.png'), fullPage: true });
    expect(result.state).toBe('done');
    const steps = settings.perEpoch / settings.batch;
    expect(result.losses).toHaveLength(steps);
    expect(result.losses.every(Number.isFinite)).toBe(true);

    // Node, same seed, same batch: the same initial weights and data give the same first loss.
    const tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
    manualSeed(settings.seed);
    const preset = PRESETS.tiny;
    const model = new MaskModel({ ...preset.model(settings.head, preset.size, tokenizer.vocabSize), freezeEncoders: preset.freezeEncoders });
    const optimizer = new Adam(model.trainableParameters(), { lr: settings.lr });
    const data = syntheticSource({ seed: settings.seed, size: preset.size, train: settings.perEpoch, validation: 1, eval: 0 });
    const b = batchTensors(data.trainBatch(0, settings.batch), tokenizer, preset.maxTokens);
    const loss = trainStep(model, optimizer, b, { posWeight: preset.posWeight });
    const nodeFirst = (await loss.toArray())[0];
    for (const x of [loss, model, optimizer]) x.dispose();
    disposeBatch(b);
    expect(Math.abs(result.losses[0] - nodeFirst), `page ${result.losses[0]} vs Node ${nodeFirst}`).toBeLessThanOrEqual(2e-4 * Math.abs(nodeFirst));

    const last = result.losses.slice(-2);
    expect((last[0] + last[1]) / 2, `losses ${result.losses.map((l) => l.toFixed(4)).join(' ')}`).toBeLessThan(result.losses[0]);
    expect(result.epochs).toHaveLength(1);
    expect(Number.isFinite(result.epochs[0].bce) && result.epochs[0].meanIoU >= 0).toBe(true);
    expect(result.examples).toBe(6);
    numbers.train = { settings, losses: result.losses, nodeFirstLoss: nodeFirst, imagesPerSecond: result.imagesPerSecond };

    // The trained model predicts in the Predict tab.
    await t.page.click('[data-testid=train-use]');
    await t.page.waitForFunction(() => window.fusionDemo.predict?.state === 'done' && /trained here/.test(document.querySelector('[data-testid=head-info]')?.textContent ?? ''), { timeout: 300_000, polling: 200 });
    expect(await t.page.evaluate(() => window.fusionDemo.predict!.last!.prediction.probabilities.length)).toBe(32 * 32);
    expect(t.errors).toEqual([]);
    await t.page.close();
  });

  it('Kernel benchmarks: the quick matmul grid runs beside TF.js and shows the table', async () => {
    const t = await openDemo('index.html#bench');
    await t.page.waitForFunction(() => !!window.fusionDemo.bench, { timeout: 60_000 });
    await t.page.evaluate(() => window.fusionDemo.bench!.run('matmul'));
    const state = await t.page.evaluate(() => window.fusionDemo.bench!.state);
    const table = await t.page.$eval('[data-testid=bench-table]', (e) => e.textContent ?? '');
    await t.page.screenshot({ path: join(BROWSER_OUTPUT, 'bench.png'), fullPage: true });
    expect(state, await t.page.$eval('[data-testid=bench-log]', (e) => e.textContent)).toBe('done');
    const report = (await t.page.evaluate(() => window.fusionDemo.bench!.report)) as { rows: { kernel: string; shape: string; ms: number; peer?: { name: string; ms: number }; speedup?: number }[] };
    const rows = report.rows.filter((r) => r.kernel === 'matmul');
    expect(rows.map((r) => r.shape)).toEqual(['128x128x128', '256x256x256']);
    for (const r of rows) {
      expect(r.ms).toBeGreaterThan(0);
      expect(r.peer?.name).toMatch(/^tfjs-webgpu 4\.22\.0 tf\.matMul/);
      expect(r.speedup).toBeCloseTo(r.peer!.ms / r.ms, 6);
    }
    expect(table).toMatch(/matmul\s+\S+\s+256x256x256/);
    numbers.bench = rows;
    expect(t.errors).toEqual([]);
    await t.page.close();
  });
});
