/** A plain-text table of a run's results for the terminal. */
import type { RunReport } from '../report/index.js';

export function resultsSummary(r: RunReport): string {
  const rows: string[][] = [['', 'mIoU@0.5', 'mIoU@0.7', 'oIoU@0.5', 'Dice@0.5', 'P@0.5', 'P@0.7', 'BCE']];
  const add = (name: string, m: RunReport['baselines'][number]['metrics']) =>
    rows.push([name, ...[m['0.5'].meanIoU, m['0.7'].meanIoU, m['0.5'].overallIoU, m['0.5'].dice, m['0.5'].precisionAt50, m['0.5'].precisionAt70].map((v) => v.toFixed(3)), m['0.5'].bce.toFixed(4)]);
  for (const f of r.fusions) add(f.fusion, f.metrics);
  for (const b of r.baselines) add(b.name, b.metrics);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}
