import { describe, expect, it } from 'vitest';
import type { LabelSplit, Metrics } from '../metrics/types.js';
import { holdoutKindLabel, holdoutScores, kindMatchedSeen } from './holdout.js';
import { aggregateSeeds } from './seeds.js';
import type { FusionResult } from './types.js';

const split = (meanIoU: number, count: number, meanIoUStdError?: number): LabelSplit => ({ meanIoU, count, ...(meanIoUStdError === undefined ? {} : { meanIoUStdError }) });

function metrics(meanIoU: number): Metrics {
  return {
    bce: 0.2, pixelAccuracy: 0.9, meanIoU, meanIoUStdError: 0.01, overallIoU: meanIoU, dice: meanIoU, precisionAt50: meanIoU, precisionAt70: 0,
    precisionAt90: 0, predictedForeground: 0.08, trueForeground: 0.08, samples: 300, pixels: 300 * 1024,
  };
}

function head(seed: number, held: Record<string, LabelSplit>): FusionResult {
  return {
    fusion: 'film', parameters: 1, trainSeconds: 1, imagesPerSecond: 1, epochs: 1, bestEpoch: 1, stoppedEarly: false, seed,
    metrics: { '0.5': metrics(0.5), '0.7': metrics(0.4) }, lossCurve: [], evalCurve: [], holdout: { '0.7': held },
  };
}

describe('kindMatchedSeen', () => {
  it('weights the seen per-kind scores by the unseen kind counts, with the standard error of that sum', () => {
    const matched = kindMatchedSeen({
      seen: split(0.5, 300), unseen: split(0.2, 100),
      'seen/meaning': split(0.7, 200, 0.02), 'seen/relational': split(0.1, 100, 0.03),
      'unseen/meaning': split(0.3, 20, 0.05), 'unseen/relational': split(0.17, 80, 0.04),
    })!;
    expect(matched.meanIoU).toBeCloseTo(0.2 * 0.7 + 0.8 * 0.1, 12);
    expect(matched.meanIoUStdError).toBeCloseTo(Math.sqrt((0.2 * 0.02) ** 2 + (0.8 * 0.03) ** 2), 12);
    expect(matched.count).toBe(300);
    expect(holdoutKindLabel('unseen', 'position')).toBe('unseen/position');
  });

  it('is undefined without per-kind labels, or when an unseen kind has no seen sample', () => {
    expect(kindMatchedSeen({ seen: split(0.5, 300), unseen: split(0.2, 100) })).toBeUndefined();
    expect(kindMatchedSeen({ 'seen/meaning': split(0.7, 200), 'unseen/meaning': split(0.3, 20), 'unseen/position': split(0.3, 20) })).toBeUndefined();
  });

  it('uses the 0.5/sqrt(n) bound for a seen split without a standard error', () => {
    const matched = kindMatchedSeen({ 'seen/meaning': split(0.6, 25), 'unseen/meaning': split(0.3, 10) })!;
    expect(matched.meanIoU).toBeCloseTo(0.6, 12);
    expect(matched.meanIoUStdError).toBeCloseTo(0.1, 12);
  });
});

describe('holdoutScores', () => {
  const held = (seen: number, unseen: number) => ({
    seen: split(seen, 300, 0.02), unseen: split(unseen, 100, 0.03),
    'seen/meaning': split(seen + 0.1, 200, 0.02), 'seen/relational': split(seen - 0.2, 100, 0.03),
    'unseen/meaning': split(unseen + 0.1, 50, 0.04), 'unseen/relational': split(unseen - 0.1, 50, 0.04),
  });

  it('gives the kind-matched seen score of a single-seed head, without seed spreads', () => {
    const s = holdoutScores(head(0, held(0.5, 0.3)), '0.7')!;
    expect(s.matched).toBe(true);
    expect(s.seen.meanIoU).toBeCloseTo(0.5 * 0.6 + 0.5 * 0.3, 12);
    expect(s.unseen.meanIoU).toBe(0.3);
    expect(s.seenSd).toBeUndefined();
    expect(s.unseenSd).toBeUndefined();
    expect(holdoutScores(head(0, held(0.5, 0.3)), '0.5')).toBeUndefined();
  });

  it('takes the sd over seeds of each seed\'s kind-matched score', () => {
    const agg = aggregateSeeds([head(0, held(0.4, 0.2)), head(1, held(0.6, 0.3)), head(2, held(0.5, 0.4))]);
    const s = holdoutScores(agg, '0.7')!;
    // matched per seed = seen - 0.05: 0.35, 0.55, 0.45 (sd 0.1); unseen 0.2, 0.3, 0.4 (sd 0.1)
    expect(s.seen.meanIoU).toBeCloseTo(0.45, 12);
    expect(s.seenSd).toBeCloseTo(0.1, 12);
    expect(s.unseen.meanIoU).toBeCloseTo(0.3, 12);
    expect(s.unseenSd).toBeCloseTo(0.1, 12);
  });

  it('falls back to the raw seen score, marked unmatched', () => {
    const s = holdoutScores(head(0, { seen: split(0.5, 300), unseen: split(0.3, 100) }), '0.7')!;
    expect(s.matched).toBe(false);
    expect(s.seen.meanIoU).toBe(0.5);
  });
});
