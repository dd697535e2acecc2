/**
 * loss-curves.svg, written by hand: three panels side by side (training loss per step, lightly
 * smoothed, on a log scale when it spans a decade or more; eval loss per epoch; eval mean IoU per
 * epoch, 0 to 1, with a ring on the best epoch), a shared legend wrapped into rows, axes with ticks
 * and grid lines. Heads past the eighth reuse the colours with a dash pattern.
 * Exactly one <path class="curve"> per drawn curve; markers are circles, axes and grid are lines.
 * Non-finite points (and non-positive ones on a log axis) are left out; training curves longer than
 * 800 points keep every k-th smoothed point.
 */
import { linearTicks, logTicks, smoothEma, tickLabel } from './axis.js';
import { escapeXml } from './escape.js';
import { seriesColor, seriesDash } from './palette.js';
import type { FusionResult } from './types.js';

/** Options of the curve figure. */
export interface LossCurveOptions {
  /** EMA weight for the training loss (0 = raw). Default 0.6. */
  smoothing?: number;
  /** Log scale for the training loss: true, false, or 'auto' (when max/min >= 10). Default 'auto'. */
  logScale?: boolean | 'auto';
}

interface Point { x: number; y: number }
interface Series { name: string; color: string; dash: string; points: Point[]; best?: Point; seedPoints?: Point[] }

interface Panel {
  title: string;
  xLabel: string;
  series: Series[];
  yLog: boolean;
  yRange?: [number, number];
  markers: boolean;
  kind: string;
}

const WIDTH = 1140;
const HEIGHT = 400;
const PANEL_WIDTH = 380;
const MARGIN = { left: 58, right: 16, top: 72, bottom: 48 };
/** Height of each legend row beyond the first (the panels move down by it). */
const LEGEND_ROW = 20;

const fmt = (v: number) => Number(v.toFixed(2)).toString();
/** Longer training curves keep every k-th point (after smoothing), and the last. */
const MAX_POINTS_PER_CURVE = 800;

function decimate(points: Point[], max: number): Point[] {
  if (points.length <= max) return points;
  const stride = Math.ceil(points.length / max);
  const kept = points.filter((_, i) => i % stride === 0);
  if (kept[kept.length - 1] !== points[points.length - 1]) kept.push(points[points.length - 1]);
  return kept;
}

function panelSvg(panel: Panel, offsetX: number): string {
  const plotLeft = offsetX + MARGIN.left;
  const plotRight = offsetX + PANEL_WIDTH - MARGIN.right;
  const plotTop = MARGIN.top;
  const plotBottom = HEIGHT - MARGIN.bottom;
  const out: string[] = [`<g class="panel" data-panel="${panel.kind}">`];
  out.push(`<text x="${fmt((plotLeft + plotRight) / 2)}" y="${plotTop - 12}" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(panel.title)}</text>`);
  const points = panel.series.flatMap((s) => [...s.points, ...(s.seedPoints ?? [])]).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!panel.yLog || p.y > 0));
  if (points.length === 0) {
    out.push(`<rect x="${plotLeft}" y="${plotTop}" width="${plotRight - plotLeft}" height="${plotBottom - plotTop}" fill="none" stroke="#ccc"/>`);
    out.push(`<text x="${fmt((plotLeft + plotRight) / 2)}" y="${fmt((plotTop + plotBottom) / 2)}" text-anchor="middle" fill="#888">no data</text>`);
    out.push('</g>');
    return out.join('\n');
  }
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  // x spans the data exactly (ticks inside it); y extends to whole ticks
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x0 === x1) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  const xTicks = linearTicks(x0, x1, 6).filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9);
  const yTicks = panel.yRange ? linearTicks(panel.yRange[0], panel.yRange[1], 6)
    : panel.yLog ? logTicks(Math.min(...ys), Math.max(...ys)) : linearTicks(Math.min(...ys), Math.max(...ys), 6);
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const yValue = (y: number) => (panel.yLog ? Math.log10(y) : y);
  const sx = (x: number) => plotLeft + ((x - x0) / (x1 - x0)) * (plotRight - plotLeft);
  const sy = (y: number) => plotBottom - ((yValue(y) - yValue(y0)) / (yValue(y1) - yValue(y0))) * (plotBottom - plotTop);
  for (const t of yTicks) {
    const y = fmt(sy(t));
    out.push(`<line x1="${plotLeft}" y1="${y}" x2="${plotRight}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(`<line x1="${plotLeft - 4}" y1="${y}" x2="${plotLeft}" y2="${y}" stroke="#333"/>`);
    out.push(`<text x="${plotLeft - 7}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${tickLabel(t)}</text>`);
  }
  for (const t of xTicks) {
    const x = fmt(sx(t));
    out.push(`<line x1="${x}" y1="${plotTop}" x2="${x}" y2="${plotBottom}" stroke="#f0f0f0"/>`);
    out.push(`<line x1="${x}" y1="${plotBottom}" x2="${x}" y2="${plotBottom + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${plotBottom + 17}" text-anchor="middle" font-size="11">${tickLabel(t)}</text>`);
  }
  out.push(`<line class="axis" x1="${plotLeft}" y1="${plotBottom}" x2="${plotRight}" y2="${plotBottom}" stroke="#333"/>`);
  out.push(`<line class="axis" x1="${plotLeft}" y1="${plotTop}" x2="${plotLeft}" y2="${plotBottom}" stroke="#333"/>`);
  out.push(`<text x="${fmt((plotLeft + plotRight) / 2)}" y="${HEIGHT - 10}" text-anchor="middle" font-size="12">${escapeXml(panel.xLabel)}</text>`);
  if (panel.yLog) out.push(`<text x="${plotRight}" y="${plotTop - 2}" text-anchor="end" font-size="10" fill="#666">log scale</text>`);
  for (const s of panel.series) {
    const visible = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!panel.yLog || p.y > 0));
    if (visible.length === 0) continue;
    const d = visible.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(sx(p.x))},${fmt(sy(p.y))}`).join(' ');
    out.push(`<path class="curve" data-fusion="${escapeXml(s.name)}" data-series="${panel.kind}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${dashAttribute(s.dash)}/>`);
    if (panel.markers) {
      for (const p of visible) out.push(`<circle cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="3" fill="${s.color}"/>`);
    }
    for (const p of s.seedPoints ?? []) {
      if (Number.isFinite(p.y)) out.push(`<circle class="seed" data-fusion="${escapeXml(s.name)}" cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="2.5" fill="#fff" stroke="${s.color}" stroke-width="1.2"/>`);
    }
    if (s.best && Number.isFinite(s.best.y)) {
      out.push(`<circle class="best" cx="${fmt(sx(s.best.x))}" cy="${fmt(sy(s.best.y))}" r="7" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
  }
  out.push('</g>');
  return out.join('\n');
}

const dashAttribute = (dash: string) => (dash ? ` stroke-dasharray="${dash}"` : '');

/** The legend, wrapped into rows of LEGEND_ROW px that fit the figure; returns its SVG and the number of rows. */
function legendSvg(names: string[]): { svg: string; rows: number } {
  const out = ['<g class="legend">'];
  let x = MARGIN.left;
  let row = 0;
  names.forEach((name, i) => {
    const width = 48 + 8 * name.length;
    if (x > MARGIN.left && x + width > WIDTH - MARGIN.right) {
      x = MARGIN.left;
      row++;
    }
    const y = 20 + row * LEGEND_ROW;
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${seriesColor(i)}" stroke-width="3"${dashAttribute(seriesDash(i))}/>`);
    out.push(`<text x="${x + 30}" y="${y}" dominant-baseline="middle" font-size="13">${escapeXml(name)}</text>`);
    x += width;
  });
  out.push('</g>');
  return { svg: out.join('\n'), rows: row + 1 };
}

/** The curve figure for `fusions` (colours in their order) as SVG text. */
export function renderLossCurvesSvg(fusions: readonly FusionResult[], options: LossCurveOptions = {}): string {
  const smoothing = options.smoothing ?? 0.6;
  const trainSeries: Series[] = fusions.map((f, i) => {
    const finite = f.lossCurve.filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.step));
    const smoothed = smoothEma(finite.map((p) => p.loss), smoothing);
    const points = finite.map((p, j) => ({ x: p.step, y: smoothed[j] }));
    return { name: f.fusion, color: seriesColor(i), dash: seriesDash(i), points: decimate(points, MAX_POINTS_PER_CURVE) };
  });
  const trainValues = trainSeries.flatMap((s) => s.points.map((p) => p.y));
  const positive = trainValues.length > 0 && trainValues.every((v) => v > 0);
  const autoLog = positive && Math.max(...trainValues) / Math.min(...trainValues) >= 10;
  const yLog = options.logScale === 'auto' || options.logScale === undefined ? autoLog : options.logScale && positive;
  // With several seeds the curve is their mean and each seed is drawn as a hollow point.
  const seedPoints = (f: FusionResult, value: (p: FusionResult['evalCurve'][number]) => number) =>
    (f.seeds && f.seeds.length > 1 ? f.seeds.flatMap((r) => r.evalCurve.map((p) => ({ x: p.epoch, y: value(p) }))) : undefined);
  const evalLoss: Series[] = fusions.map((f, i) => ({
    name: f.fusion, color: seriesColor(i), dash: seriesDash(i), points: f.evalCurve.map((p) => ({ x: p.epoch, y: p.loss })), seedPoints: seedPoints(f, (p) => p.loss),
  }));
  const evalIoU: Series[] = fusions.map((f, i) => {
    const best = f.seeds && f.seeds.length > 1 ? undefined : f.evalCurve.find((p) => p.epoch === f.bestEpoch);
    return {
      name: f.fusion, color: seriesColor(i), dash: seriesDash(i), points: f.evalCurve.map((p) => ({ x: p.epoch, y: p.meanIoU })),
      best: best ? { x: best.epoch, y: best.meanIoU } : undefined, seedPoints: seedPoints(f, (p) => p.meanIoU),
    };
  });
  const panels: Panel[] = [
    { title: `Training loss${smoothing > 0 ? ` (EMA ${smoothing})` : ''}`, xLabel: 'step', series: trainSeries, yLog, markers: false, kind: 'train-loss' },
    { title: 'Validation loss (BCE)', xLabel: 'epoch', series: evalLoss, yLog: false, markers: true, kind: 'eval-loss' },
    { title: 'Validation mean IoU (at 0.5)', xLabel: 'epoch', series: evalIoU, yLog: false, yRange: [0, 1], markers: true, kind: 'eval-miou' },
  ];
  const legend = legendSvg(fusions.map((f) => f.fusion));
  const shift = (legend.rows - 1) * LEGEND_ROW;
  const height = HEIGHT + shift;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    legend.svg,
    shift > 0 ? `<g transform="translate(0 ${shift})">` : '<g>',
    ...panels.map((p, i) => panelSvg(p, i * PANEL_WIDTH)),
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}
