import { describe, expect, it } from 'vitest';
import type { Metrics, MetricsByThreshold } from '../metrics/types.js';
import { aggregateSeeds, meanAndSd, scoreUncertainty, seedCount } from './seeds.js';
import type { FusionResult } from './types.js';

function metrics(meanIoU: number, stdError: number, labels: Record<string, number> = {}): Metrics {
  return {
    bce: 0.1 + meanIoU, pixelAccuracy: 0.9, meanIoU, meanIoUStdError: stdError, overallIoU: meanIoU, dice: meanIoU, precisionAt50: meanIoU,
    precisionAt70: 0, precisionAt90: 0, predictedForeground: 0.08, trueForeground: 0.08, samples: 300, pixels: 300 * 1024,
    byLabel: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, { meanIoU: v, count: 100, meanIoUStdError: stdError }])),
  };
}

function run(seed: number, iou: number, stdError: number, labels: Record<string, number>, extra: Partial<FusionResult> = {}): FusionResult {
  const m: MetricsByThreshold = { '0.5': metrics(iou + 0.1, stdError, labels), '0.7': metrics(iou, stdError, labels) };
  return {
    fusion: 'film', parameters: 10, trainSeconds: 10 * (seed + 1), imagesPerSecond: 100, epochs: 2, bestEpoch: 2, stoppedEarly: false, metrics: m, seed,
    lossCurve: [{ step: 0, loss: 1 + seed }, { step: 1, loss: 0.5 + seed }], evalCurve: [{ epoch: 1, loss: 0.3 + seed, meanIoU: iou }],
    holdout: { '0.7': { seen: { meanIoU: iou + 0.05, count: 200 }, unseen: { meanIoU: iou - 0.1, count: 100 } } }, ...extra,
  };
}

describe('meanAndSd', () => {
  it('gives the mean and the sample standard deviation (n - 1)', () => {
    const { mean, sd } = meanAndSd([0.2, 0.4, 0.6]);
    expect(mean).toBeCloseTo(0.4, 12);
    expect(sd).toBeCloseTo(0.2, 12);
    expect(meanAndSd([0.7])).toEqual({ mean: 0.7, sd: 0 });
    expect(meanAndSd([0.3, 0.3, 0.3]).sd).toBe(0);
    expect(Number.isNaN(meanAndSd([]).mean)).toBe(true);
  });
});

describe('aggregateSeeds', () => {
  const seeds = [run(0, 0.2, 0.03, { meaning: 0.5 }), run(1, 0.4, 0.04, { meaning: 0.7 }), run(2, 0.6, 0.0, { meaning: 0.9 })];
  const agg = aggregateSeeds(seeds);

  it('averages every metric over seeds and keeps each seed', () => {
    expect(agg.metrics['0.7'].meanIoU).toBeCloseTo(0.4, 12);
    expect(agg.metrics['0.5'].meanIoU).toBeCloseTo(0.5, 12);
    expect(agg.metrics['0.7'].bce).toBeCloseTo(0.5, 12);
    expect(agg.metrics['0.7'].byLabel!.meaning.meanIoU).toBeCloseTo(0.7, 12);
    expect(agg.trainSeconds).toBeCloseTo(20, 12);
    expect(agg.seeds).toHaveLength(3);
    expect(seedCount(agg)).toBe(3);
    expect(agg.lossCurve.map((p) => p.loss)).toEqual([2, 1.5]);
    expect(agg.evalCurve[0].meanIoU).toBeCloseTo(0.4, 12);
  });

  it('gives the sd over seeds and the rms of the eval standard errors', () => {
    expect(agg.seedSpread!['0.7']!.meanIoU).toBeCloseTo(0.2, 12);
    expect(agg.seedSpread!['0.7']!.byLabel!.meaning).toBeCloseTo(0.2, 12);
    expect(agg.seedSpread!['0.7']!.seeds).toBe(3);
    expect(agg.metrics['0.7'].meanIoUStdError).toBeCloseTo(Math.sqrt((0.03 ** 2 + 0.04 ** 2) / 3), 12);
    expect(agg.holdout!['0.7']!.unseen.meanIoU).toBeCloseTo(0.3, 12);
    expect(agg.seedSpread!['0.7']!.holdout!.unseen).toBeCloseTo(0.2, 12);
    // Identical seeds have no spread.
    expect(aggregateSeeds([seeds[0], { ...seeds[0], seed: 1 }]).seedSpread!['0.7']!.meanIoU).toBe(0);
  });

  it('leaves a diverged seed out of the means and marks the head diverged', () => {
    const bad = run(1, Number.NaN, 0.04, { meaning: Number.NaN }, { diverged: { step: 12, epoch: 0, reason: 'loss is NaN' } });
    const out = aggregateSeeds([seeds[0], bad, seeds[2]]);
    expect(out.metrics['0.7'].meanIoU).toBeCloseTo(0.4, 12);
    expect(out.diverged).toEqual({ step: 12, epoch: 0, reason: 'seed 1: loss is NaN' });
    expect(aggregateSeeds(seeds).diverged).toBeUndefined();
  });

  it('refuses results of different heads', () => {
    expect(() => aggregateSeeds([seeds[0], { ...seeds[1], fusion: 'concat' }])).toThrow(/different heads \(film, concat\)/);
  });
});

describe('scoreUncertainty', () => {
  it('combines the eval standard error with the seed spread of the mean', () => {
    expect(scoreUncertainty(0.03)).toBeCloseTo(0.03, 12);
    expect(scoreUncertainty(0.03, 0.08, 1)).toBeCloseTo(0.03, 12);
    expect(scoreUncertainty(0.03, 0.08, 4)).toBeCloseTo(Math.sqrt(0.03 ** 2 + 0.08 ** 2 / 4), 12);
  });
});
