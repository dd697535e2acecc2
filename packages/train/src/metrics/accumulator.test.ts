import { describe, expect, it } from 'vitest';
import { evaluateSegmentation, SegmentationMetrics } from './accumulator.js';
import { PROBABILITY_EPSILON } from './bce.js';
import type { Metrics } from './types.js';

const logit = (p: number) => Math.log(p / (1 - p));

// Three 2x2 samples (hw = 4), hand-computed below.
// A: truth [1,1,0,0], p [0.9,0.6,0.2,0.8]  @0.5 P={0,1,3} I=2 U=3 | @0.7 P={0,3} I=1 U=3
// B: truth [0,0,0,0], p [0.1,0.2,0.3,0.4]  empty prediction, empty truth: IoU = Dice = 1
// C: truth [0,0,0,1], p [0.6,0.1,0.1,0.95] @0.5 P={0,3} I=1 U=2 (IoU exactly 0.5) | @0.7 P={3} I=1 U=1
const probabilities = [0.9, 0.6, 0.2, 0.8, 0.1, 0.2, 0.3, 0.4, 0.6, 0.1, 0.1, 0.95];
const logits = Float32Array.from(probabilities, logit);
const masks = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const labels = ['meaning', 'position', 'meaning'];
// prior: 0.5 is not > 0.5, so @0.5 P={0,1}; @0.7 P={1}
const prior = [0.6, 0.8, 0.1, 0.5];

/** -mean(ln q) over the probability q each pixel's true class gets. */
const meanNegLog = (q: number[]) => -q.reduce((s, v) => s + Math.log(v), 0) / q.length;

function expectMetrics(actual: Metrics, expected: Partial<Metrics>): void {
  for (const [key, value] of Object.entries(expected)) {
    if (typeof value === 'number') expect(actual[key as keyof Metrics], key).toBeCloseTo(value, 6);
    else expect(actual[key as keyof Metrics], key).toEqual(value);
  }
}

describe('SegmentationMetrics on hand-computed samples', () => {
  const result = evaluateSegmentation({ logits, masks, labels }, { pixelsPerSample: 4, prior });

  it('model at threshold 0.5', () => {
    expectMetrics(result.model['0.5'], {
      // probability of the true class per pixel: A .9 .6 .8 .2, B .9 .8 .7 .6, C .4 .9 .9 .95
      bce: meanNegLog([0.9, 0.6, 0.8, 0.2, 0.9, 0.8, 0.7, 0.6, 0.4, 0.9, 0.9, 0.95]),
      meanIoU: (2 / 3 + 1 + 0.5) / 3,
      meanIoUStdError: Math.sqrt(7) / 18, // IoUs 12/18, 18/18, 9/18: deviations -1, 5, -4 (/18)
      overallIoU: (2 + 0 + 1) / (3 + 0 + 2),
      dice: (4 / 5 + 1 + 2 / 3) / 3,
      precisionAt50: 2 / 3, // IoU exactly 0.5 does not exceed 0.5
      precisionAt70: 1 / 3,
      precisionAt90: 1 / 3,
      pixelAccuracy: (3 + 4 + 3) / 12,
      predictedForeground: 5 / 12,
      trueForeground: 3 / 12,
      samples: 3,
      pixels: 12,
          });
    // meaning: IoUs 2/3 and 1/2 (mean 7/12, deviations ±1/12, sample sd sqrt(2)/12, se 1/12); position: one sample
    const byLabel = result.model['0.5'].byLabel!;
    expect(Object.keys(byLabel)).toEqual(['meaning', 'position']);
    expect(byLabel.meaning.meanIoU).toBeCloseTo(7 / 12, 12);
    expect(byLabel.meaning.count).toBe(2);
    expect(byLabel.meaning.meanIoUStdError).toBeCloseTo(1 / 12, 12);
    expect(byLabel.position).toEqual({ meanIoU: 1, count: 1, meanIoUStdError: 0 });
  });

  it('model at threshold 0.7', () => {
    const m = result.model['0.7'];
    expectMetrics(m, {
      meanIoU: (1 / 3 + 1 + 1) / 3,
      overallIoU: (1 + 0 + 1) / (3 + 0 + 1),
      dice: (0.5 + 1 + 1) / 3,
      precisionAt50: 2 / 3,
      precisionAt70: 2 / 3,
      precisionAt90: 2 / 3,
      pixelAccuracy: (2 + 4 + 4) / 12,
      predictedForeground: 3 / 12,
    });
    expect(m.byLabel?.meaning.meanIoU).toBeCloseTo((1 / 3 + 1) / 2, 12);
    expect(m.byLabel?.position).toEqual({ meanIoU: 1, count: 1, meanIoUStdError: 0 });
    expect(m.bce).toBe(result.model['0.5'].bce);
  });

  it('all-background baseline: IoU 1 only on the empty sample', () => {
    const baseline = result.baselines.find((b) => b.name === 'all-background');
    expect(baseline).toBeDefined();
    for (const key of ['0.5', '0.7'] as const) {
      expectMetrics(baseline!.metrics[key], {
        meanIoU: 1 / 3,
        overallIoU: 0,
        dice: 1 / 3,
        precisionAt50: 1 / 3,
        precisionAt90: 1 / 3,
        pixelAccuracy: 9 / 12,
        predictedForeground: 0,
      });
      expect(baseline!.metrics[key].byLabel).toEqual({
        meaning: { meanIoU: 0, count: 2, meanIoUStdError: 0 },
        position: { meanIoU: 1, count: 1, meanIoUStdError: 0 },
      });
      // 3 foreground pixels at probability ε, 9 background pixels at 1 - ε
      expect(baseline!.metrics[key].bce).toBeCloseTo((3 * -Math.log(PROBABILITY_EPSILON) + 9 * -Math.log(1 - PROBABILITY_EPSILON)) / 12, 9);
    }
  });

  it('mean-mask prior baseline at both thresholds', () => {
    const baseline = result.baselines.find((b) => b.name === 'mean-mask prior');
    expect(baseline).toBeDefined();
    // true-class probabilities: A .6 .8 .9 .5, B .4 .2 .9 .5, C .4 .2 .9 .5
    const bce = meanNegLog([0.6, 0.8, 0.9, 0.5, 0.4, 0.2, 0.9, 0.5, 0.4, 0.2, 0.9, 0.5]);
    expectMetrics(baseline!.metrics['0.5'], {
      bce,
      // A: P={0,1} = T -> 1; B: P={0,1}, T empty -> 0; C: P={0,1}, T={3} -> 0
      meanIoU: 1 / 3,
      overallIoU: 2 / (2 + 2 + 3),
      dice: 1 / 3,
      precisionAt50: 1 / 3,
      pixelAccuracy: (4 + 2 + 1) / 12,
      predictedForeground: 6 / 12,
    });
    expectMetrics(baseline!.metrics['0.7'], {
      bce,
      // A: P={1}, T={0,1} -> 1/2; B: P={1} -> 0; C: P={1}, T={3} -> 0
      meanIoU: 0.5 / 3,
      overallIoU: 1 / (2 + 1 + 2),
      dice: 2 / 3 / 3,
      precisionAt50: 0,
      pixelAccuracy: (3 + 3 + 2) / 12,
      predictedForeground: 3 / 12,
    });
  });

  it('without a prior only the all-background baseline is measured', () => {
    const r = evaluateSegmentation({ logits, masks }, { pixelsPerSample: 4 });
    expect(r.baselines.map((b) => b.name)).toEqual(['all-background']);
    expect(r.model['0.5'].byLabel).toBeUndefined();
    expect(r.model['0.5'].meanIoU).toBeCloseTo(result.model['0.5'].meanIoU, 12);
  });
});

describe('SegmentationMetrics conventions', () => {
  it('an empty prediction on an empty truth scores 1; a set of empty masks has overall IoU 1', () => {
    const r = evaluateSegmentation({ logits: new Float32Array(8).fill(-5), masks: new Uint8Array(8) }, { pixelsPerSample: 4 });
    expectMetrics(r.model['0.5'], { meanIoU: 1, overallIoU: 1, dice: 1, precisionAt90: 1, pixelAccuracy: 1, meanIoUStdError: 0 });
  });

  it('any false positive on an empty truth scores 0', () => {
    const r = evaluateSegmentation({ logits: Float32Array.from([5, -5, -5, -5]), masks: new Uint8Array(4) }, { pixelsPerSample: 4 });
    expectMetrics(r.model['0.5'], { meanIoU: 0, overallIoU: 0, dice: 0, precisionAt50: 0, pixelAccuracy: 3 / 4 });
  });

  it('a probability equal to the threshold is background (strictly greater is foreground)', () => {
    const r = evaluateSegmentation({ logits: Float32Array.from([0, 0]), masks: Uint8Array.from([1, 0]) }, { pixelsPerSample: 2 });
    expect(r.model['0.5'].predictedForeground).toBe(0);
    const above = evaluateSegmentation({ logits: Float32Array.from([1e-3, 0]), masks: Uint8Array.from([1, 0]) }, { pixelsPerSample: 2 });
    expect(above.model['0.5'].meanIoU).toBe(1);
    expect(above.model['0.7'].meanIoU).toBe(0);
  });

  it('a NaN logit gives a NaN BCE and a background pixel', () => {
    const r = evaluateSegmentation({ logits: Float32Array.from([NaN, 5]), masks: Uint8Array.from([0, 1]) }, { pixelsPerSample: 2 });
    expect(r.model['0.5'].bce).toBeNaN();
    expect(r.model['0.5'].meanIoU).toBe(1);
  });

  it('throws on bad input before changing any sum', () => {
    const m = new SegmentationMetrics({ pixelsPerSample: 4 });
    expect(() => m.result()).toThrow(/no samples/);
    expect(() => m.add({ logits: new Float32Array(4), masks: new Uint8Array(3) })).toThrow(/4 logits but 3 mask/);
    expect(() => m.add({ logits: new Float32Array(6), masks: new Uint8Array(6) })).toThrow(/whole number/);
    expect(() => m.add({ logits: new Float32Array(8), masks: new Uint8Array(8), labels: ['a'] })).toThrow(/1 labels for 2 samples/);
    expect(() => m.add({ logits: new Float32Array(4), masks: Float32Array.from([0, 1, 0.5, 0]) })).toThrow(/0\.5 at index 2/);
    expect(() => m.result()).toThrow(/no samples/);
    expect(() => new SegmentationMetrics({ pixelsPerSample: 4, prior: [0.1, 0.2] })).toThrow(/2 values/);
    expect(() => new SegmentationMetrics({ pixelsPerSample: 2, prior: [0.1, 1.5] })).toThrow(/prior\[1\]/);
  });
});

describe('batched accumulation', () => {
  it('equals one-shot computation exactly', () => {
    let state = 12345;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const hw = 15;
    const batchSizes = [2, 1, 4, 3];
    const n = batchSizes.reduce((a, b) => a + b, 0);
    const allLogits = Float32Array.from({ length: n * hw }, () => (random() - 0.45) * 8);
    const allMasks = Float32Array.from({ length: n * hw }, () => (random() < 0.3 ? 1 : 0));
    const kinds = ['meaning', 'position', 'relational', undefined];
    const allLabels = Array.from({ length: n }, () => kinds[Math.floor(random() * 4)]);
    const priorValues = Float32Array.from({ length: hw }, () => random());
    const options = { pixelsPerSample: hw, prior: priorValues };

    const oneShot = evaluateSegmentation({ logits: allLogits, masks: allMasks, labels: allLabels }, options);
    const batched = new SegmentationMetrics(options);
    let start = 0;
    for (const size of batchSizes) {
      batched.add({
        logits: allLogits.subarray(start * hw, (start + size) * hw),
        masks: allMasks.subarray(start * hw, (start + size) * hw),
        labels: allLabels.slice(start, start + size),
      });
      start += size;
    }
    const result = batched.result();
    expect(result).toEqual(oneShot);
    expect(result.model['0.5'].samples).toBe(n);
    // the random set is not degenerate: the numbers being compared are informative
    expect(result.model['0.5'].meanIoU).toBeGreaterThan(0.05);
    expect(result.model['0.5'].meanIoU).toBeLessThan(0.95);
    expect(Object.keys(result.model['0.7'].byLabel ?? {}).length).toBeGreaterThanOrEqual(2);
  });
});
