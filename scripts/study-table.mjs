#!/usr/bin/env node
/**
 * Prints the README's study table from a run's metrics.json (default: docs/study/metrics.json, the
 * committed `pnpm train --study --out docs/study`): one row per head with its mean IoU at the study
 * threshold 0.7 (mean ± sd over seeds), with `--holdout` its seen (kind-matched: reweighted to the
 * unseen samples' kind mix) and unseen mean IoU, its mean IoU at 0.5, the heads the answer does not
 * rank marked as such, then the baselines, and a line with seeds, samples, wall time and machine.
 * It only formats metrics.json's `summary` (computed by @fusion/train's report code).
 *
 *   node scripts/study-table.mjs [path/to/metrics.json]
 */
import { readFileSync, existsSync } from 'node:fs';

const path = process.argv[2] ?? 'docs/study/metrics.json';
if (process.argv.length > 3 || path.startsWith('--')) {
  console.error('usage: node scripts/study-table.mjs [path/to/metrics.json]');
  process.exit(2);
}
if (!existsSync(path)) {
  console.error(`study-table: ${path} does not exist (run pnpm train --study --out docs/study first)`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(path, 'utf8'));
if (!Array.isArray(report.summary)) {
  console.error(`study-table: ${path} has no "summary" (written by an older pnpm train); rerun the study`);
  process.exit(1);
}

const ratio = (v) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
const withSd = (v, sd) => (sd === undefined ? ratio(v) : `${ratio(v)} ± ${ratio(sd)}`);
const holdout = report.summary.some((h) => h.thresholds['0.7']?.holdout);
const matched = report.summary.some((h) => h.thresholds['0.7']?.holdout?.seenKindMatched !== undefined);

const headers = ['head', 'mIoU@0.7'];
if (holdout) headers.push(matched ? 'seen@0.7 (kind-matched)' : 'seen@0.7', 'unseen@0.7');
headers.push('mIoU@0.5');
const rows = report.summary.map((h) => {
  const t7 = h.thresholds['0.7'];
  const t5 = h.thresholds['0.5'];
  const name = h.status === 'ranked' ? h.fusion : `${h.fusion} (${h.status}: not ranked)`;
  const row = [name, t7 ? withSd(t7.meanIoU, t7.sd) : '—'];
  if (holdout) {
    const held = t7?.holdout;
    const seen = matched ? [held?.seenKindMatched, held?.seenKindMatchedSd] : [held?.seen, held?.seenSd];
    row.push(held && seen[0] !== undefined ? withSd(seen[0], seen[1]) : '—', held ? withSd(held.unseen, held.unseenSd) : '—');
  }
  row.push(t5 ? withSd(t5.meanIoU, t5.sd) : '—');
  return row;
});
for (const b of report.baselines ?? []) {
  const row = [`${b.name} (baseline)`, ratio(b.metrics['0.7']?.meanIoU)];
  if (holdout) row.push('', '');
  row.push(ratio(b.metrics['0.5']?.meanIoU));
  rows.push(row);
}

const lines = [
  `| ${headers.join(' | ')} |`,
  `| ${headers.map((_, i) => (i === 0 ? ':---' : '---:')).join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
];
const seeds = Math.max(...report.summary.map((h) => h.seeds));
const unseen = report.dataset.holdout ? `, ${report.dataset.holdout.unseen} of them unseen combinations` : '';
const minutes = (report.wallSeconds / 60).toFixed(0);
console.log(lines.join('\n'));
console.log('');
console.log(`${seeds > 1 ? `Mean ± sd over ${seeds} seeds` : 'One seed'}; ${report.dataset.eval} eval samples${unseen}; ` +
  `${report.dataset.train} training samples per epoch. Wall time ${minutes} min (${report.wallSeconds.toFixed(0)} s) on ${report.machine.adapter}, ${report.machine.cpus} CPUs. ` +
  `Command: ${report.command}`);
