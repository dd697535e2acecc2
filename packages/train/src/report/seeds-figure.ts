/**
 * seeds.svg, written by hand: one row per fusion head, the eval mean IoU at one threshold on a 0..1
 * axis, each seed a filled point (and, with a holdout split, each seed's unseen-combination score
 * a hollow point), the mean over seeds a vertical bar. It shows how far the seeds of a head spread
 * against the gaps between heads. Exactly one <circle class="seed"> per (head, seed) and one
 * <circle class="unseen"> per (head, seed) with a holdout score.
 */
import { escapeXml } from './escape.js';
import { seriesColor } from './palette.js';
import type { ThresholdKey } from '../metrics/types.js';
import type { FusionResult } from './types.js';

const ROW = 26;
const LEFT = 170;
const RIGHT = 24;
const TOP = 62;
const BOTTOM = 44;
const WIDTH = 760;
const fmt = (v: number) => Number(v.toFixed(2)).toString();

/** The figure for `fusions` (colours in their order) at threshold `key`. */
export function renderSeedsSvg(fusions: readonly FusionResult[], key: ThresholdKey): string {
  const height = TOP + BOTTOM + ROW * Math.max(1, fusions.length);
  const sx = (v: number) => LEFT + Math.min(1, Math.max(0, v)) * (WIDTH - LEFT - RIGHT);
  const plotBottom = height - BOTTOM;
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="20" font-size="14" font-weight="600">Eval mean IoU at ${key} per seed</text>`,
    `<text x="12" y="38" font-size="12" fill="#444">filled: all eval samples · hollow: unseen combinations (holdout) · bar: mean over seeds</text>`,
  ];
  for (let t = 0; t <= 10; t += 2) {
    const x = fmt(sx(t / 10));
    out.push(`<line x1="${x}" y1="${TOP - 8}" x2="${x}" y2="${plotBottom}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${x}" y="${plotBottom + 17}" text-anchor="middle" font-size="11">${(t / 10).toFixed(1)}</text>`);
  }
  out.push(`<line class="axis" x1="${LEFT}" y1="${plotBottom}" x2="${WIDTH - RIGHT}" y2="${plotBottom}" stroke="#333"/>`);
  out.push(`<text x="${fmt((LEFT + WIDTH - RIGHT) / 2)}" y="${height - 8}" text-anchor="middle" font-size="12">mean IoU</text>`);
  fusions.forEach((f, i) => {
    const y = TOP + ROW * i + ROW / 2;
    const color = seriesColor(i);
    out.push(`<g class="head" data-fusion="${escapeXml(f.fusion)}">`);
    out.push(`<text x="${LEFT - 10}" y="${fmt(y)}" text-anchor="end" dominant-baseline="middle" font-size="12">${escapeXml(f.fusion)}${f.diverged ? ' (diverged)' : ''}</text>`);
    const runs = f.seeds && f.seeds.length > 0 ? f.seeds : [f];
    for (const r of runs) {
      const v = r.metrics[key]?.meanIoU;
      if (v !== undefined && Number.isFinite(v)) out.push(`<circle class="seed" cx="${fmt(sx(v))}" cy="${fmt(y - 3)}" r="4" fill="${color}" fill-opacity="0.8"/>`);
      const u = r.holdout?.[key]?.unseen?.meanIoU;
      if (u !== undefined && Number.isFinite(u)) out.push(`<circle class="unseen" cx="${fmt(sx(u))}" cy="${fmt(y + 5)}" r="4" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    }
    const mean = f.metrics[key]?.meanIoU;
    if (mean !== undefined && Number.isFinite(mean)) out.push(`<line class="mean" x1="${fmt(sx(mean))}" y1="${fmt(y - 10)}" x2="${fmt(sx(mean))}" y2="${fmt(y + 10)}" stroke="#222" stroke-width="2"/>`);
    out.push('</g>');
  });
  out.push('</svg>', '');
  return out.join('\n');
}
