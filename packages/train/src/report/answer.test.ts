import { describe, expect, it } from 'vitest';
import type { LabelSplit, Metrics, MetricsByThreshold } from '../metrics/types.js';
import { writeAnswer } from './answer.js';
import type { FusionResult, RunReport } from './types.js';

/** Metrics with the given mean IoU (and anything else overridden); s.e. 0.01 unless set. */
function metrics(meanIoU: number, extra: Partial<Metrics> = {}): Metrics {
  return {
    bce: 0.2, pixelAccuracy: 0.9, meanIoU, meanIoUStdError: 0.01, overallIoU: meanIoU, dice: meanIoU,
    precisionAt50: meanIoU, precisionAt70: meanIoU / 2, precisionAt90: meanIoU / 4,
    predictedForeground: 0.08, trueForeground: 0.08, samples: 300, pixels: 300 * 1024, ...extra,
  };
}

const both = (iou07: number, iou05 = iou07, extra: Partial<Metrics> = {}): MetricsByThreshold => ({ '0.5': metrics(iou05, extra), '0.7': metrics(iou07, extra) });

function fusion(name: string, m: MetricsByThreshold): FusionResult {
  return { fusion: name, parameters: 1000, trainSeconds: 10, imagesPerSecond: 100, epochs: 3, bestEpoch: 3, stoppedEarly: false, metrics: m, lossCurve: [], evalCurve: [] };
}

function report(fusions: FusionResult[], baselines: RunReport['baselines'] = [{ name: 'all-background', metrics: both(0.05) }]): RunReport {
  return {
    title: 't', createdAt: '2025-01-01', command: 'pnpm train', machine: { adapter: 'a', cpus: 2, os: 'linux' }, config: {},
    dataset: { name: 'synthetic', train: 1000, eval: 300 }, fusions, baselines, examples: [], wallSeconds: 1, notes: [],
  };
}

function withKinds(m: MetricsByThreshold, kinds: Record<string, number>, stdError = 0.02): MetricsByThreshold {
  const byLabel: Record<string, LabelSplit> = {};
  for (const [k, v] of Object.entries(kinds)) byLabel[k] = { meanIoU: v, count: 100, meanIoUStdError: stdError };
  return { '0.5': { ...m['0.5'], byLabel }, '0.7': { ...m['0.7'], byLabel } };
}

describe('writeAnswer', () => {
  it('names the best head, and follows the numbers when they change', () => {
    const a = writeAnswer(report([fusion('concat', both(0.4)), fusion('cross-pixel', both(0.62))]));
    expect(a).toContain('cross-pixel has the highest mean IoU (0.620');
    expect(a).toContain('clearly ahead of the next head, concat (0.400');
    const b = writeAnswer(report([fusion('concat', both(0.7)), fusion('cross-pixel', both(0.62))]));
    expect(b).toContain('concat has the highest mean IoU (0.700');
    expect(b).toContain('clearly ahead of the next head, cross-pixel (0.620');
  });

  it('says when the lead is within noise', () => {
    const a = writeAnswer(report([fusion('outer', both(0.5, 0.5, { meanIoUStdError: 0.02 })), fusion('cross-text', both(0.49, 0.49, { meanIoUStdError: 0.02 }))]));
    expect(a).toContain('outer has the highest mean IoU');
    expect(a).toContain('not clearly different');
    expect(a).not.toContain('clearly ahead');
  });

  it('says "no better than the all-background baseline" exactly when that is true', () => {
    const bg = { name: 'all-background', metrics: both(0.3, 0.3, { meanIoUStdError: 0.03 }) };
    const weak = writeAnswer(report([fusion('concat', both(0.31)), fusion('outer', both(0.28))], [bg]));
    expect(weak).toContain('no better than the all-background baseline');
    expect(weak).toContain('does not show that any fusion learned');
    const strong = writeAnswer(report([fusion('concat', both(0.6)), fusion('outer', both(0.58))], [bg]));
    expect(strong).not.toContain('no better than the all-background');
    expect(strong).toContain('concat beats the all-background baseline (mIoU 0.300');
    const mixed = writeAnswer(report([fusion('concat', both(0.6)), fusion('outer', both(0.31))], [bg]));
    expect(mixed).toContain('Of the other heads, outer is no better than the all-background baseline.');
  });

  it('compares with the mean-mask prior', () => {
    const baselines = [{ name: 'all-background', metrics: both(0.05) }, { name: 'mean-mask prior', metrics: both(0.3) }];
    expect(writeAnswer(report([fusion('concat', both(0.6))], baselines))).toContain('and the mean-mask prior (0.300) by 0.300');
    expect(writeAnswer(report([fusion('concat', both(0.31))], baselines))).toContain('but not clearly the mean-mask prior (0.300)');
  });

  it('flags a head that predicts almost only background', () => {
    const collapsed = both(0.06, 0.06, { predictedForeground: 0.001, trueForeground: 0.08 });
    const a = writeAnswer(report([fusion('cross-text', both(0.5)), fusion('outer', collapsed)]));
    expect(a).toContain('The outer head predicts almost only background (0.1% of pixels foreground against 8.0% in the truth)');
    expect(a).not.toContain('The cross-text head predicts almost only background');
  });

  it('tells which head keeps meaning and position', () => {
    const baselines = [{ name: 'all-background', metrics: withKinds(both(0.05), { meaning: 0.05, position: 0.05 }) }];
    const oneKeepsBoth = writeAnswer(report([
      fusion('concat', withKinds(both(0.45), { meaning: 0.7, position: 0.2 })),
      fusion('cross-pixel', withKinds(both(0.68), { meaning: 0.71, position: 0.65 })),
    ], baselines));
    expect(oneKeepsBoth).toContain('So cross-pixel keeps both meaning and position');
    expect(oneKeepsBoth).toContain('cross-pixel on meaning (0.710; concat within noise; all-background 0.050)');

    const split = writeAnswer(report([
      fusion('concat', withKinds(both(0.5), { meaning: 0.8, position: 0.2 })),
      fusion('cross-pixel', withKinds(both(0.5), { meaning: 0.4, position: 0.6 })),
    ], baselines));
    expect(split).toContain('No single head keeps both: meaning is kept by concat, and position is kept by cross-pixel.');

    const nonePosition = writeAnswer(report([
      fusion('concat', withKinds(both(0.4), { meaning: 0.8, position: 0.06 })),
      fusion('outer', withKinds(both(0.3), { meaning: 0.5, position: 0.07 })),
    ], baselines));
    expect(nonePosition).toContain('no head clearly beats the baselines on position instructions');
  });

  it('says when the other threshold changes the winner', () => {
    const a = writeAnswer(report([fusion('concat', both(0.5, 0.7)), fusion('cross-pixel', both(0.6, 0.55))]));
    expect(a).toContain('cross-pixel has the highest mean IoU');
    expect(a).toContain('At threshold 0.5, concat leads instead (0.700 against 0.550 for cross-pixel)');
    const same = writeAnswer(report([fusion('concat', both(0.5, 0.45)), fusion('cross-pixel', both(0.6, 0.55))]));
    expect(same).toContain('At threshold 0.5 the same head leads (0.550)');
  });

  it('handles a run with no heads and a diverged head', () => {
    expect(writeAnswer(report([]))).toBe('No fusion head was evaluated, so this run answers nothing yet.');
    const a = writeAnswer(report([fusion('concat', both(0.4)), fusion('outer', both(0.05, 0.05, { bce: Number.NaN }))]));
    expect(a).toContain('The outer head diverged');
    expect(a).not.toContain('The concat head diverged');
  });
});
