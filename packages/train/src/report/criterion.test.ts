import { describe, expect, it } from 'vitest';
import type { Metrics } from '../metrics/types.js';
import { buildReportDocument } from './build-document.js';
import { budgetSentence, selectionCriterion } from './criterion.js';
import { renderMarkdown } from './markdown.js';
import { aggregateSeeds } from './seeds.js';
import type { FusionResult, RunReport } from './types.js';

function metrics(meanIoU: number): Metrics {
  return {
    bce: 0.2, pixelAccuracy: 0.9, meanIoU, meanIoUStdError: 0.01, overallIoU: meanIoU, dice: meanIoU, precisionAt50: meanIoU, precisionAt70: 0,
    precisionAt90: 0, predictedForeground: 0.08, trueForeground: 0.08, samples: 300, pixels: 300 * 1024,
  };
}

const head = (name: string, trainSamples: number | undefined, seed = 0): FusionResult => ({
  fusion: name, parameters: 1, trainSeconds: 1, imagesPerSecond: 1, epochs: 4, bestEpoch: 4, stoppedEarly: false, seed,
  metrics: { '0.5': metrics(0.5), '0.7': metrics(0.4) }, lossCurve: [], evalCurve: [], ...(trainSamples === undefined ? {} : { trainSamples }),
});

describe('selectionCriterion', () => {
  it('states the kept-weights criterion and whether training stops early, from the config', () => {
    expect(selectionCriterion({ select: 'bce', patience: 0 })).toBe('Selection (--select bce): the kept weights are those of the epoch with the lowest validation BCE (plain BCE, threshold-free, so a head still at mIoU 0 is selected by how close it is); no early stopping, so every head trains every epoch.');
    expect(selectionCriterion({ select: 'miou', patience: 2 })).toBe('Selection (--select miou): the kept weights are those of the epoch with the best validation mean IoU at threshold 0.5 (ties broken by BCE); early stopping after 2 epochs without a better validation mean IoU, so heads may see different numbers of training samples.');
    expect(selectionCriterion({})).toBeUndefined();
  });
});

describe('budgetSentence', () => {
  it('says the budgets are equal only when every seed of every head saw the same samples', () => {
    const equal = [aggregateSeeds([head('a', 16000, 0), head('a', 16000, 1)]), head('b', 16000)];
    expect(budgetSentence(equal)).toBe('Every head saw 16,000 training samples per seed: equal budgets.');
    const unequal = [aggregateSeeds([head('a', 16000, 0), head('a', 9600, 1)]), head('b', 16000)];
    expect(budgetSentence(unequal)).toBe('Budgets differ: heads saw between 9,600 and 16,000 training samples per seed.');
    expect(budgetSentence([head('a', undefined)])).toBeUndefined();
  });

  it('appears with the criterion in the cost table caption', () => {
    const report: RunReport = {
      title: 't', createdAt: '2025-01-01', command: 'pnpm train', machine: { adapter: 'a', cpus: 2, os: 'linux' }, config: { select: 'bce', patience: 0 },
      dataset: { name: 'synthetic', train: 4000, eval: 300 }, fusions: [head('a', 16000), head('b', 16000)], baselines: [], examples: [], wallSeconds: 1, notes: [],
    };
    const md = renderMarkdown(buildReportDocument(report, {}));
    const cost = md.slice(md.indexOf('## Training cost'));
    expect(cost).toContain('Every head saw 16,000 training samples per seed: equal budgets.');
    expect(cost).toContain('Selection (--select bce): the kept weights are those of the epoch with the lowest validation BCE');
  });
});
