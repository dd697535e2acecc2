/**
 * The report's tables, built from a RunReport as format-neutral `ReportTable`s: Table 1 (every metric for
 * each fusion head and each baseline, one block per threshold, best value per column and block
 * marked), the per-kind mean IoU split, and training cost per head.
 */
import { THRESHOLD_KEYS, STUDY_THRESHOLD, type LabelSplit, type Metrics, type ThresholdKey } from '../metrics/types.js';
import type { ReportTable, ReportTableCell } from './document.js';
import { formatBce, formatCount, formatPercent, formatRatio, formatRate, formatSeconds, formatStdError } from './format.js';
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
}

function methodRows(report: RunReport): MethodRow[] {
  return [
    ...report.fusions.map((f): MethodRow => ({ name: f.fusion, type: 'fusion', metrics: f.metrics })),
    ...report.baselines.map((b): MethodRow => ({ name: b.name, type: 'baseline', metrics: b.metrics })),
  ];
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
    present.forEach((m, i) => {
      rows.push([{ text: m.name }, { text: m.type }, { text: key }, ...columnCells.map((cells) => cells[i])]);
    });
    groupEnds.push(rows.length);
  }
  return {
    headers: ['Method', 'Type', 'Threshold', ...METRIC_COLUMNS.map((c) => c.header)],
    align: ['left', 'left', 'right', ...METRIC_COLUMNS.map(() => 'right' as const)],
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
      return values.map((v, i): ReportTableCell => ({ text: Number.isNaN(v) ? '—' : formatRatio(v), best: best.has(i) }));
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

/** Training cost per fusion head: parameters, epochs, time, throughput. */
export function costTable(report: RunReport): ReportTable {
  return {
    headers: ['Fusion', 'Parameters', 'Epochs', 'Best epoch', 'Stopped early', 'Train time', 'Images/s'],
    align: ['left', 'right', 'right', 'right', 'left', 'right', 'right'],
    rows: report.fusions.map((f) => [
      { text: f.fusion },
      { text: formatCount(f.parameters) },
      { text: String(f.epochs) },
      { text: String(f.bestEpoch) },
      { text: f.stoppedEarly ? 'yes' : 'no' },
      { text: formatSeconds(f.trainSeconds) },
      { text: formatRate(f.imagesPerSecond) },
    ]),
  };
}
