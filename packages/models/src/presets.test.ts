/** The full-size presets run on this adapter: resnet50 on a 64 x 64 image, bert-base on 8 tokens. */
import { beforeAll, describe, expect, it } from 'vitest';
import { init, noGrad, randn, tensor, manualSeed, memory } from '@fusion/tensor';
import { resnet50 } from './resnet.js';
import { bertBaseUncased } from './bert.js';

beforeAll(async () => {
  await init();
});

function finite(values: Float32Array | Int32Array): boolean {
  return values.every((x) => Number.isFinite(x));
}

describe('full-size presets', () => {
  it('resnet50() runs a 1 x 3 x 64 x 64 image: feature map (1, 2048, 2, 2), pooled, logits, finite', async () => {
    manualSeed(1);
    const live = memory().liveTensors;
    const m = resnet50().eval();
    const x = randn([1, 3, 64, 64]);
    const out = noGrad(() => m.forward(x));
    expect(out.featureMap.shape).toEqual([1, 2048, 2, 2]);
    expect(out.pooled.shape).toEqual([1, 2048]);
    expect(out.logits!.shape).toEqual([1, 1000]);
    for (const t of [out.featureMap, out.pooled, out.logits!]) expect(finite(await t.toArray())).toBe(true);
    expect((await out.pooled.toArray()).some((v) => v !== 0)).toBe(true);
    for (const t of [out.featureMap, out.pooled, out.logits!, x]) t.dispose();
    m.dispose();
    expect(memory().liveTensors).toBe(live);
  });

  it('bertBaseUncased() runs a 1 x 8 sentence: hidden (1, 8, 768), pooled (1, 768), finite', async () => {
    manualSeed(2);
    const m = bertBaseUncased().eval();
    const ids = tensor(new Int32Array([101, 7592, 2088, 1010, 2129, 2024, 2017, 102]), [1, 8], 'i32');
    const out = noGrad(() => m.forward({ inputIds: ids, attentionMask: tensor(new Int32Array([1, 1, 1, 1, 1, 1, 1, 1]), [1, 8], 'i32') }));
    expect(out.lastHiddenState.shape).toEqual([1, 8, 768]);
    expect(out.pooled.shape).toEqual([1, 768]);
    const h = await out.lastHiddenState.toArray();
    expect(finite(h)).toBe(true);
    expect(finite(await out.pooled.toArray())).toBe(true);
    // post-LayerNorm states: each token's vector has mean ~0 and variance ~1 (LayerNorm weight 1, bias 0)
    const row = Array.from(h.slice(0, 768));
    const mean = row.reduce((a, b) => a + b, 0) / 768;
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    expect(row.reduce((a, b) => a + (b - mean) ** 2, 0) / 768).toBeCloseTo(1, 3);
    out.lastHiddenState.dispose();
    out.pooled.dispose();
    ids.dispose();
    m.dispose();
  });
});
