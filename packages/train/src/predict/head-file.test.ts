import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, manualSeed, memory, parseSafetensors, serializeSafetensors, destroyDevice } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH, type BertTokenizer, type MaskModelConfig } from '@fusion/models';
import { PRESETS } from '../presets.js';
import { generateSample } from '../data/synthetic.js';
import { hostTensors } from '../loop/host-tensors.js';
import { HEAD_FORMAT, headPredictor, parseHead, serializeHead, type HeadInfo } from './head-file.js';
import { predictMask } from './predict-mask.js';
import type { DecodedImage } from '../data/pixels.js';

let tokenizer: BertTokenizer;
let config: MaskModelConfig;
let info: HeadInfo;
let weights: Awaited<ReturnType<typeof hostTensors>>;
let image: DecodedImage;

beforeAll(async () => {
  await init();
  tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
  config = { ...PRESETS.tiny.model('cross-pixel', 32, tokenizer.vocabSize), freezeEncoders: false };
  manualSeed(3);
  const model = new MaskModel(config);
  weights = await hostTensors(model.stateDict());
  model.dispose();
  info = { fusion: 'cross-pixel', model: config, maxTokens: 16, tokenizer: readFileSync(DEFAULT_TOKENIZER_PATH, 'utf8'), epoch: '2' };
  const s = generateSample({ seed: 5, size: 48 }, 0);
  const data = new Uint8Array(48 * 48 * 3);
  for (let i = 0; i < 48 * 48; i++) for (let c = 0; c < 3; c++) data[3 * i + c] = Math.round(s.image[c * 48 * 48 + i] * 255);
  image = { width: 48, height: 48, channels: 3, data };
});
afterAll(() => destroyDevice());

describe('the single-file head', () => {
  it('round-trips config, tokenizer and weights, and predicts the same mask as the model it came from', async () => {
    const head = parseHead(serializeHead(info, weights), 'h.fusion');
    expect(head.fusion).toBe('cross-pixel');
    expect(head.model).toEqual(JSON.parse(JSON.stringify(config)));
    expect([head.maxTokens, head.epoch]).toEqual([16, '2']);
    for (const name of Object.keys(weights)) expect(Array.from(head.weights.read(name).data)).toEqual(Array.from(weights[name].data));
    const live = memory().liveTensors;
    const fromFile = headPredictor(head);
    manualSeed(3);
    const original = { model: new MaskModel(config), tokenizer, maxTokens: 16 };
    const a = await predictMask(fromFile, image, 'remove the red circle');
    const b = await predictMask(original, image, 'remove the red circle');
    expect(Array.from(a.probabilities)).toEqual(Array.from(b.probabilities));
    expect(a.mask.length).toBe(48 * 48);
    expect(a.words?.map((w) => w.token)).toEqual(['remove', 'the', 'red', 'circle']);
    fromFile.model.dispose();
    original.model.dispose();
    expect(memory().liveTensors).toBe(live);
  });

  it('stores floats as f16 with half, integers as i32', () => {
    const half = parseHead(serializeHead(info, weights, true), 'h.fusion');
    const full = parseHead(serializeHead(info, weights), 'h.fusion');
    const float = Object.keys(weights).find((n) => weights[n].dtype === 'f32')!;
    const int = Object.keys(weights).find((n) => weights[n].dtype === 'i32')!;
    expect(half.weights.info(float).dtype).toBe('F16');
    expect(half.weights.info(int).dtype).toBe('I32');
    const a = half.weights.read(float).data;
    const b = full.weights.read(float).data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(Math.abs(b[i]) * 2 ** -10 + 1e-7);
  });

  it('names the file and the field that is wrong', () => {
    const withMeta = (meta: Record<string, string>) => serializeSafetensors({ w: { shape: [1], dtype: 'f32', data: new Float32Array(1) } }, meta);
    const good = parseSafetensors(serializeHead(info, weights), 'x').metadata;
    expect(() => parseHead(withMeta({}), 'a.fusion')).toThrow(`a.fusion: not a Fusion head file (.fusion, made by pnpm export): metadata "format" is undefined, expected "${HEAD_FORMAT}"`);
    expect(() => parseHead(withMeta({ ...good, tokenizer: '' }), 'b.fusion')).toThrow('b.fusion: not a Fusion head file (.fusion, made by pnpm export): metadata "tokenizer" is missing');
    expect(() => parseHead(withMeta({ ...good, model: '{' }), 'c.fusion')).toThrow(/c\.fusion: .*metadata "model" is not JSON/);
    expect(() => parseHead(withMeta({ ...good, model: '{"x":1}' }), 'd.fusion')).toThrow(/d\.fusion: .*metadata "model" is not a model config/);
    expect(() => parseHead(withMeta({ ...good, max_tokens: '1.5' }), 'e.fusion')).toThrow(/e\.fusion: .*"max_tokens" must be an integer >= 2, got "1.5"/);
    expect(() => parseHead(new Uint8Array([1, 2, 3]), 'f.fusion')).toThrow(/^f\.fusion: /);
    expect(() => headPredictor(parseHead(withMeta(good), 'g.fusion'))).toThrow(/g\.fusion: the weights do not fit the model config/);
  });
});
