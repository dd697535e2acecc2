/**
 * metrics.json: the RunReport without its pixel arrays. Each example keeps its size, instruction,
 * kind, the heads that predicted it with their IoU at 0.5, its true-mask pixel count, and the size of
 * each attention map. `summary` adds each head's headline numbers (summary.ts: ranked or not, mean
 * IoU ± sd over seeds, seen / kind-matched seen / unseen), which scripts/study-table.mjs prints.
 * Non-finite numbers become null (JSON has no NaN or Infinity).
 */
import { exampleIoU } from './examples-figure.js';
import { headSummaries, type HeadSummary } from './summary.js';
import type { RunReport } from './types.js';

/** An example as metrics.json records it. */
export interface ExampleSummary {
  width: number;
  height: number;
  instruction: string;
  kind?: string;
  truePixels: number;
  /** Per head that predicted the example: its IoU at threshold 0.5. */
  iou: Record<string, number>;
  attention?: Record<string, { width: number; height: number }>;
}

/** The JSON-ready report (the RunReport with examples summarised). */
export type RunReportJson = Omit<RunReport, 'examples'> & { examples: ExampleSummary[]; summary: HeadSummary[] };

/** The report without pixel arrays. */
export function toReportJson(report: RunReport): RunReportJson {
  const examples = report.examples.map((e): ExampleSummary => {
    const summary: ExampleSummary = {
      width: e.width,
      height: e.height,
      instruction: e.instruction,
      kind: e.kind,
      truePixels: e.trueMask.reduce((s, v) => s + (v ? 1 : 0), 0),
      iou: Object.fromEntries(Object.entries(e.predicted).map(([fusion, p]) => [fusion, exampleIoU(p, e.trueMask)])),
    };
    if (e.attention) summary.attention = Object.fromEntries(Object.entries(e.attention).map(([f, a]) => [f, { width: a.width, height: a.height }]));
    return summary;
  });
  return { ...report, examples, summary: headSummaries(report) };
}

/** metrics.json's text: the report without pixel arrays, indented, ending with a newline. */
export function renderReportJson(report: RunReport): string {
  return `${JSON.stringify(toReportJson(report), (_key, value: unknown) => {
    if (ArrayBuffer.isView(value)) throw new Error('metrics.json: a typed array was left in the report');
    return value;
  }, 2)}\n`;
}
