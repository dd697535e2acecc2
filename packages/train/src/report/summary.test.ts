/** metrics.json's `summary` and scripts/study-table.mjs, which prints it as the README's table. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LabelSplit, Metrics, MetricsByThreshold } from '../metrics/types.js';
import { renderReportJson } from './json.js';
import { aggregateSeeds } from './seeds.js';
import { headSummaries } from './summary.js';
import type { FusionResult, RunReport } from './types.js';

function metrics(meanIoU: number, extra: Partial<Metrics> = {}): Metrics {
  return {
    bce: 0.2, pixelAccuracy: 0.9, meanIoU, meanIoUStdError: 0.01, overallIoU: meanIoU, dice: meanIoU, precisionAt50: meanIoU, precisionAt70: 0,
    precisionAt90: 0, predictedForeground: 0.08, trueForeground: 0.08, samples: 300, pixels: 300 * 1024, ...extra,
  };
}
const both = (iou: number, extra: Partial<Metrics> = {}): MetricsByThreshold => ({ '0.5': metrics(iou + 0.1, extra), '0.7': metrics(iou, extra) });
const s = (meanIoU: number, count: number): LabelSplit => ({ meanIoU, count, meanIoUStdError: 0.02 });
/** seen 0.1 above the head's score, unseen 0.1 below; per kind such that the kind-matched seen is seen - 0.05. */
const held = (iou: number): FusionResult['holdout'] => ({ '0.7': {
  seen: s(iou + 0.1, 400), unseen: s(iou - 0.1, 200),
  'seen/meaning': s(iou + 0.2, 200), 'seen/relational': s(iou, 200), 'unseen/meaning': s(iou - 0.05, 50), 'unseen/relational': s(iou - 0.12, 150),
} });

function fusion(name: string, seed: number, iou: number, extra: Partial<FusionResult> = {}): FusionResult {
  return { fusion: name, parameters: 1, trainSeconds: 1, imagesPerSecond: 1, epochs: 4, bestEpoch: 4, stoppedEarly: false, seed, metrics: both(iou), lossCurve: [], evalCurve: [], holdout: held(iou), ...extra };
}

const report: RunReport = {
  title: 't', createdAt: '2025-01-01', command: 'pnpm train --study --out docs/study', machine: { adapter: 'lavapipe', cpus: 2, os: 'linux' }, config: {},
  dataset: { name: 'synthetic (holdout split)', train: 4000, eval: 600, holdout: { seen: 400, unseen: 200 } },
  fusions: [
    aggregateSeeds([0.3, 0.4, 0.5].map((iou, seed) => fusion('cross-pixel', seed, iou))),
    aggregateSeeds([0, 1, 2].map((seed) => fusion('concat', seed, 0, { metrics: both(0, { predictedForeground: 0 }), holdout: held(0.1) }))),
    aggregateSeeds([0, 1, 2].map((seed) => fusion('film', seed, 0.2, seed === 1 ? { metrics: both(0.2, { bce: Number.NaN }) } : {}))),
  ],
  baselines: [{ name: 'all-background', metrics: both(0) }], examples: [], wallSeconds: 2629.9, notes: [],
};

describe('headSummaries', () => {
  const [crossPixel, concat, film] = headSummaries(report);

  it('gives mean ± sd over seeds and seen, kind-matched seen and unseen scores per threshold', () => {
    expect(crossPixel.status).toBe('ranked');
    expect(crossPixel.seeds).toBe(3);
    expect(crossPixel.thresholds['0.7']!.meanIoU).toBeCloseTo(0.4, 12);
    expect(crossPixel.thresholds['0.7']!.sd).toBeCloseTo(0.1, 12);
    const h = crossPixel.thresholds['0.7']!.holdout!;
    expect(h.seen).toBeCloseTo(0.5, 12);
    expect(h.seenKindMatched).toBeCloseTo(0.25 * 0.6 + 0.75 * 0.4, 12);
    expect(h.seenKindMatchedSd).toBeCloseTo(0.1, 12);
    expect(h.unseen).toBeCloseTo(0.3, 12);
    expect(h.unseenCount).toBe(200);
    expect(crossPixel.thresholds['0.5']!.holdout).toBeUndefined();
  });

  it('marks the heads the answer does not rank', () => {
    expect(concat.status).toBe('never left background');
    expect(film.status).toBe('diverged');
  });
});

describe('scripts/study-table.mjs', () => {
  const root = resolve(import.meta.dirname, '../../../..');
  const dir = mkdtempSync(join(tmpdir(), 'fusion-table-'));
  const file = join(dir, 'metrics.json');
  writeFileSync(file, renderReportJson(report));
  const run = (...args: string[]) => execFileSync(process.execPath, [join(root, 'scripts/study-table.mjs'), ...args], { encoding: 'utf8' });

  it('prints the README table from metrics.json', () => {
    const out = run(file).split('\n');
    expect(out[0]).toBe('| head | mIoU@0.7 | seen@0.7 (kind-matched) | unseen@0.7 | mIoU@0.5 |');
    expect(out[2]).toBe('| cross-pixel | 0.400 ± 0.100 | 0.450 ± 0.100 | 0.300 ± 0.100 | 0.500 ± 0.100 |');
    expect(out[3]).toBe('| concat (never left background: not ranked) | 0.000 ± 0.000 | 0.150 ± 0.000 | 0.000 ± 0.000 | 0.100 ± 0.000 |');
    expect(out[4]).toMatch(/^\| film \(diverged: not ranked\) \|/);
    expect(out[5]).toBe('| all-background (baseline) | 0.000 |  |  | 0.100 |');
    expect(out.join('\n')).toContain('Mean ± sd over 3 seeds; 600 eval samples, 200 of them unseen combinations; 4000 training samples per epoch. Wall time 44 min (2630 s) on lavapipe, 2 CPUs. Command: pnpm train --study --out docs/study');
  });

  it('stops with a clear message on a missing file or an old metrics.json', () => {
    expect(() => execFileSync(process.execPath, [join(root, 'scripts/study-table.mjs'), join(dir, 'none.json')], { stdio: 'pipe' })).toThrow(/none.json does not exist/);
    const old = join(dir, 'old.json');
    writeFileSync(old, JSON.stringify({ fusions: [] }));
    expect(() => execFileSync(process.execPath, [join(root, 'scripts/study-table.mjs'), old], { stdio: 'pipe' })).toThrow(/has no "summary"/);
  });
});
