/**
 * The report's tables, built from a RunReport as format-neutral `ReportTable`s: Table 1 (every metric for
 * each fusion head and each baseline, one block per threshold, best value per column and block
 * marked; with several seeds the means over seeds and the sd over seeds of the mean IoU), the
 * per-kind mean IoU split (mean ± sd over seeds), the seen / unseen split of a holdout run, how the
 * heads differ (from the heads' traits), and training cost per head (samples seen: equal budgets).
 */
import { THRESHOLD_KEYS, STUDY_THRESHOLD, type LabelSplit, type Metrics, type ThresholdKey } from '../metrics/types.js';
import type { ReportTable, ReportTableCell } from './document.js';
import { formatBce, formatCount, formatPercent, formatRatio, formatRate, formatSeconds, formatStdError } from './format.js';
import { seedCount } from './seeds.js';
import { holdoutScores } from './holdout.js';
import type { FusionResult, RunReport } from './types.js';

/** One Table 1 column: header, how to read and print it, and which direction is better. */
interface MetricColumn {
  header: string;
  value: (m: Metrics) => number;
  format: (v: number) => string;
  better?: 'higher' | 'lower';
}

/** Table 1's metric columns, in order. */
export const METRIC_COLUMNS: readonly MetricColumn[] = [
  { header: 'mIoU', value: (m) => m.meanIoU, format: formatRatio, better: 'higher' },
  { header: '± s.e.', value: (m) => m.meanIoUStdError, format: formatStdError },
  { header: 'oIoU', value: (m) => m.overallIoU, format: formatRatio, better: 'higher' },
  { header: 'Dice', value: (m) => m.dice, format: formatRatio, better: 'higher' },
  { header: 'P@0.5', value: (m) => m.precisionAt50, format: formatRatio, better: 'higher' },
  { header: 'P@0.7', value: (m) => m.precisionAt70, format: formatRatio, better: 'higher' },
  { header: 'P@0.9', value: (m) => m.precisionAt90, format: formatRatio, better: 'higher' },
  { header: 'Pixel acc.', value: (m) => m.pixelAccuracy, format: formatRatio, better: 'higher' },
  { header: 'BCE', value: (m) => m.bce, format: formatBce, better: 'lower' },
  { header: 'Pred. fg', value: (m) => m.predictedForeground, format: formatPercent },
];

/** A named row source: a fusion head or a baseline. */
interface MethodRow {
  name: string;
  type: 'fusion' | 'baseline';
  metrics: Partial<Record<ThresholdKey, Metrics>>;
  fusion?: FusionResult;
}

function methodRows(report: RunReport): MethodRow[] {
  return [
    ...report.fusions.map((f): MethodRow => ({ name: f.diverged ? `${f.fusion} (diverged)` : f.fusion, type: 'fusion', metrics: f.metrics, fusion: f })),
    ...report.baselines.map((b): MethodRow => ({ name: b.name, type: 'baseline', metrics: b.metrics })),
  ];
}

/** Whether any head of the report aggregates several seeds. */
export function hasSeeds(report: RunReport): boolean {
  return report.fusions.some((f) => seedCount(f) > 1);
}

/** A mean IoU with its sd over seeds when the head has several: "0.612 ± 0.020". */
function withSeedSd(value: number, sd: number | undefined, seeds: number): string {
  return seeds > 1 && sd !== undefined ? `${formatRatio(value)} ± ${formatRatio(sd)}` : formatRatio(value);
}

/** Indices of the best finite values (all ties), or none when no direction applies. */
function bestIndices(values: number[], better: 'higher' | 'lower' | undefined): Set<number> {
  const best = new Set<number>();
  if (!better) return best;
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) return best;
  const target = better === 'higher' ? Math.max(...finite) : Math.min(...finite);
  values.forEach((v, i) => { if (v === target) best.add(i); });
  return best;
}

/**
 * Table 1: one row per (threshold, method), fusion heads first then baselines, every metric column;
 * the best value of each column within a threshold block is marked.
 */
export function resultsTable(report: RunReport): ReportTable {
  const rows: ReportTableCell[][] = [];
  const groupEnds: number[] = [];
  const methods = methodRows(report);
  for (const key of THRESHOLD_KEYS) {
    const present = methods.filter((m) => m.metrics[key]);
    if (present.length === 0) continue;
    const columnCells = METRIC_COLUMNS.map((column) => {
      const values = present.map((m) => column.value(m.metrics[key]!));
      const best = bestIndices(values, column.better);
      return values.map((v, i): ReportTableCell => ({ text: column.format(v), best: best.has(i) }));
    });
    const seeds = hasSeeds(report);
    present.forEach((m, i) => {
      const sd = m.fusion && seedCount(m.fusion) > 1 ? m.fusion.seedSpread?.[key]?.meanIoU : undefined;
      const cells = columnCells.map((c) => c[i]);
      if (seeds) cells.splice(2, 0, { text: sd === undefined ? '—' : formatStdError(sd) });
      rows.push([{ text: m.name }, { text: m.type }, { text: key }, ...cells]);
    });
    groupEnds.push(rows.length);
  }
  const headers = METRIC_COLUMNS.map((c) => c.header);
  if (hasSeeds(report)) headers.splice(2, 0, 'sd (seeds)');
  return {
    headers: ['Method', 'Type', 'Threshold', ...headers],
    align: ['left', 'left', 'right', ...headers.map(() => 'right' as const)],
    rows,
    groupEnds,
  };
}

/** The per-kind split of a fusion head at a threshold: `metrics[t].byLabel`, else `byKind` at the study threshold. */
export function fusionKindSplit(fusion: FusionResult, key: ThresholdKey): Record<string, LabelSplit> | undefined {
  return fusion.metrics[key]?.byLabel ?? (key === STUDY_THRESHOLD ? fusion.byKind : undefined);
}

/** The instruction kinds a report knows, in the dataset's order, then any other label the splits carry. */
export function reportKinds(report: RunReport): string[] {
  const kinds = Object.keys(report.dataset.kinds ?? {});
  const add = (split: Record<string, LabelSplit> | undefined) => {
    for (const k of Object.keys(split ?? {})) if (!kinds.includes(k)) kinds.push(k);
  };
  for (const key of THRESHOLD_KEYS) {
    for (const f of report.fusions) add(fusionKindSplit(f, key));
    for (const b of report.baselines) add(b.metrics[key]?.byLabel);
  }
  return kinds;
}

/** Mean IoU per instruction kind for each method, one block per threshold; undefined when no split exists. */
export function kindTable(report: RunReport): ReportTable | undefined {
  const kinds = reportKinds(report);
  if (kinds.length === 0) return undefined;
  const splitOf = (m: MethodRow, key: ThresholdKey) => {
    const fusion = report.fusions.find((f) => f.fusion === m.name);
    return m.type === 'fusion' && fusion ? fusionKindSplit(fusion, key) : m.metrics[key]?.byLabel;
  };
  const counts = kinds.map((kind) => {
    const fromDataset = report.dataset.kinds?.[kind];
    if (fromDataset !== undefined) return fromDataset;
    for (const m of methodRows(report)) for (const key of THRESHOLD_KEYS) {
      const count = splitOf(m, key)?.[kind]?.count;
      if (count !== undefined) return count;
    }
    return undefined;
  });
  const rows: ReportTableCell[][] = [];
  const groupEnds: number[] = [];
  for (const key of THRESHOLD_KEYS) {
    const present = methodRows(report).filter((m) => splitOf(m, key));
    if (present.length === 0) continue;
    const columns = kinds.map((kind) => {
      const values = present.map((m) => splitOf(m, key)?.[kind]?.meanIoU ?? Number.NaN);
      const best = bestIndices(values, 'higher');
      return values.map((v, i): ReportTableCell => {
        const f = present[i].fusion;
        const text = Number.isNaN(v) ? '—' : f ? withSeedSd(v, f.seedSpread?.[key]?.byLabel?.[kind], seedCount(f)) : formatRatio(v);
        return { text, best: best.has(i) };
      });
    });
    present.forEach((m, i) => rows.push([{ text: m.name }, { text: m.type }, { text: key }, ...columns.map((c) => c[i])]));
    groupEnds.push(rows.length);
  }
  return {
    headers: ['Method', 'Type', 'Threshold', ...kinds.map((k, i) => (counts[i] === undefined ? `${k} mIoU` : `${k} mIoU (n=${counts[i]})`))],
    align: ['left', 'left', 'right', ...kinds.map(() => 'right' as const)],
    rows,
    groupEnds,
  };
}

/**
 * Mean IoU on seen and unseen target combinations (`--holdout`), per head and threshold: all seen
 * samples, the seen score matched to the unseen samples' kind mix (report/holdout.ts), the unseen
 * samples, and unseen − matched seen; undefined without a split.
 */
export function holdoutTable(report: RunReport): ReportTable | undefined {
  const heads = report.fusions.filter((f) => f.holdout);
  if (heads.length === 0) return undefined;
  const rows: ReportTableCell[][] = [];
  const groupEnds: number[] = [];
  for (const key of THRESHOLD_KEYS) {
    const present = heads.filter((f) => f.holdout?.[key]);
    if (present.length === 0) continue;
    const scores = present.map((f) => holdoutScores(f, key));
    const seen = present.map((f) => f.holdout![key]!.seen?.meanIoU ?? Number.NaN);
    const matched = scores.map((h) => (h?.matched ? h.seen.meanIoU : Number.NaN));
    const unseen = scores.map((h) => h?.unseen.meanIoU ?? Number.NaN);
    const best = [seen, matched, unseen].map((values) => bestIndices(values, 'higher'));
    present.forEach((f, i) => {
      const h = scores[i];
      const several = seedCount(f);
      const reference = h ? h.seen.meanIoU : Number.NaN;
      rows.push([
        { text: f.fusion }, { text: key },
        { text: Number.isNaN(seen[i]) ? '—' : withSeedSd(seen[i], f.seedSpread?.[key]?.holdout?.seen, several), best: best[0].has(i) },
        { text: h?.matched ? withSeedSd(matched[i], h.seenSd, several) : '—', best: best[1].has(i) },
        { text: h ? withSeedSd(unseen[i], h.unseenSd, several) : '—', best: best[2].has(i) },
        { text: formatRatio(unseen[i] - reference) },
      ]);
    });
    groupEnds.push(rows.length);
  }
  const n = report.dataset.holdout;
  return {
    headers: ['Fusion', 'Threshold', `seen mIoU${n ? ` (n=${n.seen})` : ''}`, 'seen, kind-matched', `unseen mIoU${n ? ` (n=${n.unseen})` : ''}`, 'unseen − seen (matched)'],
    align: ['left', 'right', 'right', 'right', 'right', 'right'],
    rows,
    groupEnds,
  };
}

const ATTENTION_TEXT: Record<string, string> = { none: 'none', 'text-queries': 'text tokens query pixels', 'pixel-queries': 'pixels query words' };

/** How the heads differ, from their traits; undefined when no head carries traits. */
export function headsTable(report: RunReport): ReportTable | undefined {
  const heads = report.fusions.filter((f) => f.traits);
  if (heads.length === 0) return undefined;
  return {
    headers: ['Fusion', 'Head parameters', 'Model parameters', 'Decoder input channels', 'Coordinates', 'Residual image path', 'Attention'],
    align: ['left', 'right', 'right', 'right', 'left', 'left', 'left'],
    rows: heads.map((f) => {
      const t = f.traits!;
      return [
        { text: f.fusion }, { text: formatCount(t.parameters) }, { text: formatCount(f.parameters) }, { text: String(t.decoderInputChannels) },
        { text: t.coords ? 'yes' : 'no' }, { text: t.residualImagePath ? 'yes' : 'no' }, { text: ATTENTION_TEXT[t.attention] ?? t.attention },
      ];
    }),
  };
}

/** A sentence on decoder input widths: equal, or which heads differ. */
export function decoderWidthNote(report: RunReport): string | undefined {
  const heads = report.fusions.filter((f) => f.traits);
  if (heads.length === 0) return undefined;
  const counts = new Map<number, string[]>();
  for (const f of heads) counts.set(f.traits!.decoderInputChannels, [...(counts.get(f.traits!.decoderInputChannels) ?? []), f.fusion]);
  if (counts.size === 1) return `Every head gives the decoder ${heads[0].traits!.decoderInputChannels} input channels.`;
  const [common] = [...counts.entries()].sort((a, b) => b[1].length - a[1].length);
  const others = [...counts.entries()].filter(([c]) => c !== common[0]).map(([c, names]) => `${names.join(', ')} ${c}`);
  return `Decoder input channels are not equal: most heads give ${common[0]}, but ${others.join('; ')}${heads.some((f) => f.fusion === 'outer' && f.traits!.decoderInputChannels === 1) ? ' (outer\'s map is the 1-channel outer product of eq. 3: its equation allows no other width)' : ''}.`;
}

/**
 * Training cost per fusion head: parameters, seeds, epochs, training samples seen (per seed: equal
 * across heads when the budgets are), the kept epoch (per seed), time and throughput (mean per seed).
 */
export function costTable(report: RunReport): ReportTable {
  const runs = (f: FusionResult) => (f.seeds && f.seeds.length > 0 ? f.seeds : [f]);
  const list = (f: FusionResult, value: (r: FusionResult) => string) => [...new Set(runs(f).map(value))].join(', ');
  const samples = (r: FusionResult) => (r.trainSamples === undefined ? '—' : formatCount(r.trainSamples));
  return {
    headers: ['Fusion', 'Parameters', 'Seeds', 'Epochs', 'Samples seen (per seed)', 'Kept epoch (per seed)', 'Stopped early', 'Diverged', 'Train time (per seed)', 'Images/s'],
    align: ['left', 'right', 'right', 'right', 'right', 'left', 'left', 'left', 'right', 'right'],
    rows: report.fusions.map((f) => [
      { text: f.fusion },
      { text: formatCount(f.parameters) },
      { text: String(seedCount(f)) },
      { text: list(f, (r) => String(r.epochs)) },
      { text: list(f, samples) },
      { text: runs(f).map((r) => String(r.bestEpoch)).join(', ') },
      { text: runs(f).some((r) => r.stoppedEarly) ? 'yes' : 'no' },
      { text: f.diverged ? `yes (${f.diverged.reason})` : 'no' },
      { text: formatSeconds(f.trainSeconds) },
      { text: formatRate(f.imagesPerSecond) },
    ]),
  };
}
