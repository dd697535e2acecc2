import { describe, expect, it } from 'vitest';
import { MeanMaskPrior } from './prior.js';

describe('MeanMaskPrior', () => {
  it('is the per-pixel mean of all masks added, across batches', () => {
    const prior = new MeanMaskPrior(3);
    prior.add(Uint8Array.from([1, 0, 0, 1, 1, 0]));
    prior.add(Float32Array.from([1, 0, 1, 1, 0, 0]));
    expect(prior.samples).toBe(4);
    expect(Array.from(prior.result())).toEqual([1, 0.25, 0.25]);
  });

  it('throws on partial masks, non-binary values, and an empty result', () => {
    const prior = new MeanMaskPrior(2);
    expect(() => prior.result()).toThrow(/no masks/);
    expect(() => prior.add(new Uint8Array(3))).toThrow(/whole number/);
    expect(() => prior.add(Uint8Array.from([0, 2]))).toThrow(/value 2 at index 1/);
  });
});
