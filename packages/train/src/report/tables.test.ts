import { describe, expect, it } from 'vitest';
import type { Metrics, MetricsByThreshold } from '../metrics/types.js';
import { buildReportDocument } from './build-document.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { costTable, decoderWidthNote, headsTable, holdoutTable, kindTable, resultsTable } from './tables.js';
import { aggregateSeeds } from './seeds.js';
import type { FusionResult, RunReport } from './types.js';

function metrics(meanIoU: number, bce: number, extra: Partial<Metrics> = {}): Metrics {
  return {
    bce, pixelAccuracy: 0.9 + meanIoU / 20, meanIoU, meanIoUStdError: 0.012, overallIoU: meanIoU + 0.01, dice: meanIoU + 0.05,
    precisionAt50: meanIoU, precisionAt70: meanIoU / 2, precisionAt90: meanIoU / 4,
    predictedForeground: 0.071, trueForeground: 0.08, samples: 300, pixels: 300 * 1024, ...extra,
  };
}

const pair = (iou: number, bce: number, extra: Partial<Metrics> = {}): MetricsByThreshold => ({ '0.5': metrics(iou + 0.02, bce, extra), '0.7': metrics(iou, bce, extra) });

function fusion(name: string, m: MetricsByThreshold, extra: Partial<FusionResult> = {}): FusionResult {
  return { fusion: name, parameters: 25_557_032, trainSeconds: 123.45, imagesPerSecond: 88.04, epochs: 10, bestEpoch: 7, stoppedEarly: true, metrics: m, lossCurve: [], evalCurve: [], ...extra };
}

const report: RunReport = {
  title: 'Run <1>', createdAt: '2025-01-01T00:00:00Z', command: 'pnpm train --fusion all', machine: { adapter: 'lavapipe', cpus: 2, os: 'Linux' },
  config: { lr: 0.001, seed: 3 }, dataset: { name: 'synthetic', train: 1000, eval: 300, kinds: { meaning: 120, position: 120, relational: 60 } },
  fusions: [
    fusion('concat', pair(0.41, 0.21)),
    fusion('cross-pixel', pair(0.6, 0.1234)),
    fusion('x<b>&', pair(0.2, 0.3), { byKind: { meaning: { meanIoU: 0.3, count: 120 } } }),
  ],
  baselines: [
    { name: 'all-background', metrics: pair(0.05, 4.0294, { predictedForeground: 0 }) },
    { name: 'mean-mask prior', metrics: pair(0.11, 0.2801) },
  ],
  examples: [], wallSeconds: 400, notes: ['a note'],
};
report.fusions[0].metrics['0.7'].byLabel = { meaning: { meanIoU: 0.7, count: 120 }, position: { meanIoU: 0.2, count: 120 } };

describe('Table 1', () => {
  const table = resultsTable(report);
  const column = (header: string) => table.headers.indexOf(header);

  it('has a row per fusion and baseline at each threshold, fusions first', () => {
    expect(table.rows.map((r) => `${r[0].text}@${r[2].text}`)).toEqual([
      'concat@0.5', 'cross-pixel@0.5', 'x<b>&@0.5', 'all-background@0.5', 'mean-mask prior@0.5',
      'concat@0.7', 'cross-pixel@0.7', 'x<b>&@0.7', 'all-background@0.7', 'mean-mask prior@0.7',
    ]);
    expect(table.rows.map((r) => r[1].text)).toEqual(['fusion', 'fusion', 'fusion', 'baseline', 'baseline', 'fusion', 'fusion', 'fusion', 'baseline', 'baseline']);
    expect(table.groupEnds).toEqual([5, 10]);
  });

  it('formats every column consistently', () => {
    for (const header of ['mIoU', '± s.e.', 'oIoU', 'Dice', 'P@0.5', 'P@0.7', 'P@0.9', 'Pixel acc.']) {
      for (const row of table.rows) expect(row[column(header)].text, header).toMatch(/^\d\.\d{3}$/);
    }
    for (const row of table.rows) expect(row[column('BCE')].text).toMatch(/^\d+\.\d{4}$/);
    for (const row of table.rows) expect(row[column('Pred. fg')].text).toMatch(/^\d+\.\d%$/);
    expect(table.rows[6][column('mIoU')].text).toBe('0.600');
    expect(table.rows[8][column('BCE')].text).toBe('4.0294');
  });

  it('marks the best value per column within a threshold (lowest BCE, highest IoU)', () => {
    const bestRows = (header: string) => table.rows.map((r, i) => (r[column(header)].best ? i : -1)).filter((i) => i >= 0);
    expect(bestRows('mIoU')).toEqual([1, 6]);
    expect(bestRows('BCE')).toEqual([1, 6]);
    expect(bestRows('± s.e.')).toEqual([]);
  });

  it('renders to Markdown with each row, bold best values, right-aligned numbers', () => {
    const md = renderMarkdown(buildReportDocument(report, { curves: 'loss-curves.svg' }));
    expect(md).toContain('| cross-pixel | fusion | 0.7 | **0.600** | 0.012 | **0.610** |');
    expect(md).toContain('| all-background | baseline | 0.7 | 0.050 | 0.012 | 0.060 |');
    expect(md).toContain('| mean-mask prior | baseline | 0.5 | 0.130 |');
    expect(md).toContain('| :--- | :--- | ---: | ---: |');
    expect(md).toContain('| x<b>& | fusion | 0.5 |');
    expect(md).toContain('![Loss curves](loss-curves.svg)');
    expect(md).toContain('```sh\npnpm train --fusion all\n```');
    expect(md).toContain('"seed": 3');
    expect(md).toContain('Machine: lavapipe; 2 CPUs; Linux');
    expect(md).toContain('## Answer\n\nThis is a single-seed run');
    expect(md).toContain('On synthetic (300 eval samples, mask threshold 0.7), cross-pixel has the highest mean IoU');
  });

  it('renders to self-contained HTML with escaped text', () => {
    const html = renderHtml(buildReportDocument(report, { examples: 'examples.png' }));
    expect(html).toContain('<title>Run &lt;1&gt;</title>');
    expect(html).toContain('<td class="left">x&lt;b&gt;&amp;</td>');
    expect(html).not.toContain('x<b>&');
    expect(html).toContain('<td class="right best">0.600</td>');
    expect(html).toContain('<img src="examples.png"');
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<link|<script|https?:\/\//);
  });
});

describe('per-kind and cost tables', () => {
  it('splits mean IoU by kind, using byKind at 0.7 when byLabel is missing', () => {
    const table = kindTable(report)!;
    expect(table.headers).toEqual(['Method', 'Type', 'Threshold', 'meaning mIoU (n=120)', 'position mIoU (n=120)', 'relational mIoU (n=60)']);
    const row = (name: string, key: string) => table.rows.find((r) => r[0].text === name && r[2].text === key)!;
    expect(row('concat', '0.7').slice(3).map((c) => c.text)).toEqual(['0.700', '0.200', '—']);
    expect(row('x<b>&', '0.7').slice(3).map((c) => c.text)).toEqual(['0.300', '—', '—']);
    expect(table.rows.some((r) => r[0].text === 'x<b>&' && r[2].text === '0.5')).toBe(false);
    expect(row('concat', '0.7')[3].best).toBe(true);
  });

  it('has no kind table when nothing is split', () => {
    expect(kindTable({ ...report, dataset: { ...report.dataset, kinds: undefined }, fusions: [fusion('a', pair(0.3, 0.2))] })).toBeUndefined();
  });

  it('lists parameters, seeds, epochs, samples seen and throughput per head', () => {
    const table = costTable(report);
    expect(table.rows[0].map((c) => c.text)).toEqual(['concat', '25,557,032', '1', '10', '—', '7', 'yes', 'no', '123.5 s', '88.0']);
    const seeded = aggregateSeeds([
      fusion('film', pair(0.4, 0.2), { trainSamples: 16000, bestEpoch: 3, stoppedEarly: false, seed: 0 }),
      fusion('film', pair(0.5, 0.2), { trainSamples: 16000, bestEpoch: 4, stoppedEarly: false, seed: 1 }),
    ]);
    const row = costTable({ ...report, fusions: [seeded] }).rows[0].map((c) => c.text);
    expect(row).toEqual(['film', '25,557,032', '2', '10', '16,000', '3, 4', 'no', 'no', '123.5 s', '88.0']);
  });
});

describe('seeds, holdout and head tables', () => {
  // Seen: meaning 150, relational 50; unseen: meaning 25, relational 75 (relational is harder).
  const seedRun = (iou: number, seed: number, unseen: number) => fusion('film', pair(iou, 0.2), {
    seed,
    holdout: { '0.7': {
      seen: { meanIoU: iou, count: 200, meanIoUStdError: 0.02 }, unseen: { meanIoU: unseen, count: 100, meanIoUStdError: 0.03 },
      'seen/meaning': { meanIoU: iou + 0.2, count: 150, meanIoUStdError: 0.02 }, 'seen/relational': { meanIoU: iou - 0.2, count: 50, meanIoUStdError: 0.04 },
      'unseen/meaning': { meanIoU: unseen + 0.1, count: 25, meanIoUStdError: 0.05 }, 'unseen/relational': { meanIoU: unseen - 0.03, count: 75, meanIoUStdError: 0.04 },
    } },
  });
  const film = aggregateSeeds([seedRun(0.4, 0, 0.2), seedRun(0.5, 1, 0.3)]);
  const seeded: RunReport = { ...report, fusions: [film, report.fusions[1]], dataset: { ...report.dataset, holdout: { seen: 200, unseen: 100 } } };

  it('gives Table 1 an sd-over-seeds column only when a head has several seeds', () => {
    expect(resultsTable(report).headers).not.toContain('sd (seeds)');
    const table = resultsTable(seeded);
    const sd = table.headers.indexOf('sd (seeds)');
    const row = table.rows.find((r) => r[0].text === 'film' && r[2].text === '0.7')!;
    expect(row[table.headers.indexOf('mIoU')].text).toBe('0.450');
    expect(row[sd].text).toBe('0.071');
    expect(table.rows.find((r) => r[0].text === 'cross-pixel')![sd].text).toBe('—');
  });

  it('shows seen, kind-matched seen and unseen mean IoU with the sd over seeds', () => {
    const table = holdoutTable(seeded)!;
    expect(table.headers).toEqual(['Fusion', 'Threshold', 'seen mIoU (n=200)', 'seen, kind-matched', 'unseen mIoU (n=100)', 'unseen − seen (matched)']);
    // matched seen per seed: 0.25 * (iou + 0.2) + 0.75 * (iou - 0.2) = iou - 0.1 -> 0.3, 0.4
    expect(table.rows[0].map((c) => c.text)).toEqual(['film', '0.7', '0.450 ± 0.071', '0.350 ± 0.071', '0.250 ± 0.071', '-0.100']);
    // without per-kind labels the matched column is empty and the difference is against all seen samples
    const plain = (iou: number, seed: number, unseen: number) =>
      fusion('film', pair(iou, 0.2), { seed, holdout: { '0.7': { seen: { meanIoU: iou, count: 200 }, unseen: { meanIoU: unseen, count: 100 } } } });
    const unmatched = holdoutTable({ ...seeded, fusions: [aggregateSeeds([plain(0.4, 0, 0.2), plain(0.5, 1, 0.3)])] })!;
    expect(unmatched.rows[0].map((c) => c.text)).toEqual(['film', '0.7', '0.450 ± 0.071', '—', '0.250 ± 0.071', '-0.200']);
    expect(holdoutTable(report)).toBeUndefined();
  });

  it('lists how the heads differ and says when decoder inputs are not equal', () => {
    const traits = (decoderInputChannels: number, attention: 'none' | 'pixel-queries') => ({ coords: attention !== 'none', residualImagePath: true, attention, decoderInputChannels, parameters: 1234 });
    const withTraits: RunReport = { ...report, fusions: [fusion('outer', pair(0.1, 0.3), { traits: traits(1, 'none') }), fusion('cross-pixel', pair(0.6, 0.1), { traits: traits(32, 'pixel-queries') }), fusion('film', pair(0.5, 0.2), { traits: traits(32, 'none') })] };
    const table = headsTable(withTraits)!;
    expect(table.rows[1].map((c) => c.text)).toEqual(['cross-pixel', '1,234', '25,557,032', '32', 'yes', 'yes', 'pixels query words']);
    expect(decoderWidthNote(withTraits)).toContain('most heads give 32, but outer 1');
    expect(decoderWidthNote(withTraits)).toContain('outer\'s map is the 1-channel outer product');
    const equal = { ...withTraits, fusions: withTraits.fusions.slice(1) };
    expect(decoderWidthNote(equal)).toBe('Every head gives the decoder 32 input channels.');
    expect(headsTable(report)).toBeUndefined();
  });
});
