/** The run report of @fusion/train: metrics.json, report.md/html, loss curves, example and attention grids. */
export * from './types.js';
export { writeRunReport, REPORT_FILES, type WriteReportOptions, type WrittenReport } from './write.js';
export { writeAnswer, noiseMargin, MIN_MEANINGFUL_GAP } from './answer.js';
export { buildReportDocument, type ReportFigures } from './build-document.js';
export type { ReportBlock, ReportDocument, ReportSection, ReportTable, ReportTableCell } from './document.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
export { resultsTable, kindTable, costTable } from './tables.js';
export { renderLossCurvesSvg, type LossCurveOptions } from './svg-curves.js';
export { renderExamplesFigure, exampleIoU } from './examples-figure.js';
export { renderAttentionFigure } from './attention-figure.js';
export { renderReportJson, toReportJson, type ExampleSummary, type RunReportJson } from './json.js';
export { describeMachine } from './machine.js';
export { sampleRunReport, type SampleReportOptions } from './sample.js';
export { drawText, glyphPixel, textWidth } from './font.js';
export { createImage, getPixel, type RgbImage } from './raster.js';
export { encodeRgbPng } from './png.js';
export { viridis } from './colormap.js';
