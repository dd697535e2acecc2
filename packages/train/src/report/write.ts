/**
 * Writes a run's report folder: metrics.json, report.md, report.html (self-contained, figures by
 * relative path), loss-curves.svg, seeds.svg (each seed's mean IoU per head, with several seeds or a holdout split), examples.png (when there are examples) and attention.png (when a
 * head returned attention). Creates the folder; overwrites files of the same names.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderAttentionFigure } from './attention-figure.js';
import { buildReportDocument, type ReportFigures } from './build-document.js';
import { renderExamplesFigure } from './examples-figure.js';
import { renderHtml } from './html.js';
import { renderReportJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { encodeRgbPng } from './png.js';
import { renderLossCurvesSvg, type LossCurveOptions } from './svg-curves.js';
import type { RunReport } from './types.js';
import { renderSeedsSvg } from './seeds-figure.js';
import { STUDY_THRESHOLD } from '../metrics/types.js';

/** The report's file names inside its folder. */
export const REPORT_FILES = {
  json: 'metrics.json',
  markdown: 'report.md',
  html: 'report.html',
  curves: 'loss-curves.svg',
  seeds: 'seeds.svg',
  examples: 'examples.png',
  attention: 'attention.png',
} as const;

/** Options of `writeRunReport`. */
export interface WriteReportOptions {
  curves?: LossCurveOptions;
}

/** What was written. */
export interface WrittenReport {
  dir: string;
  /** File names written, relative to `dir`. */
  files: string[];
}

/** Writes the report of `report` into `dir` (created if missing). */
export async function writeRunReport(report: RunReport, dir: string, options: WriteReportOptions = {}): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, content: string | Uint8Array) => {
    await writeFile(path.join(dir, name), content);
    files.push(name);
  };
  const figures: ReportFigures = {};
  const fusionNames = report.fusions.map((f) => f.fusion);
  await write(REPORT_FILES.json, renderReportJson(report));
  await write(REPORT_FILES.curves, renderLossCurvesSvg(report.fusions, options.curves));
  figures.curves = REPORT_FILES.curves;
  if (report.fusions.some((f) => (f.seeds?.length ?? 1) > 1 || f.holdout)) {
    await write(REPORT_FILES.seeds, renderSeedsSvg(report.fusions, STUDY_THRESHOLD));
    figures.seeds = REPORT_FILES.seeds;
  }
  if (report.examples.length > 0) {
    const predictedNames = [...fusionNames, ...new Set(report.examples.flatMap((e) => Object.keys(e.predicted)).filter((n) => !fusionNames.includes(n)))];
    await write(REPORT_FILES.examples, encodeRgbPng(renderExamplesFigure(report.examples, predictedNames)));
    figures.examples = REPORT_FILES.examples;
    const attention = renderAttentionFigure(report.examples, predictedNames);
    if (attention) {
      await write(REPORT_FILES.attention, encodeRgbPng(attention));
      figures.attention = REPORT_FILES.attention;
    }
  }
  const doc = buildReportDocument(report, figures);
  await write(REPORT_FILES.markdown, renderMarkdown(doc));
  await write(REPORT_FILES.html, renderHtml(doc));
  return { dir, files };
}
