/**
 * The result of a run, in one shape for every tool that reads it:
 * `{ adapter: { description, vendor, architecture, features, limits }, date, machine: { cpus, memory },
 *    rows: [{ kernel, variant, shape, ms, gflops?, gbps?, clock, peer?: { name, ms }, speedup? }] }`
 * with `speedup = peer.ms / ms` (above 1: Fusion is faster). The machine's ceilings are rows of
 * kernel 'ceiling': 'copy' (a copy kernel's GB/s), 'bandwidth' (the best GB/s seen in the run: the
 * copy kernel's or a memory-bound row's, ours or the peer's) and 'compute' (the best GFLOP/s seen,
 * usually a matmul's; a matmul probe when no compute-bound kernel ran).
 * Also the table printed on stdout and the default file name.
 */
import { unusedPath, writeTextFile } from '#bench-host';
import type { Clock } from './measure.js';

export interface BenchRow {
  kernel: string;
  variant: string;
  shape: string;
  /** Median time of Fusion's run, on `clock`. */
  ms: number;
  gflops?: number;
  gbps?: number;
  clock: Clock;
  /** The peer's median time on the same clock. */
  peer?: { name: string; ms: number };
  /** peer.ms / ms. */
  speedup?: number;
}

export interface BenchReport {
  adapter: { description: string; vendor: string; architecture: string; features: string[]; limits: Record<string, number> };
  /** ISO 8601 time the run started. */
  date: string;
  /** Logical CPUs and total memory in bytes of the host. */
  machine: { cpus: number; memory: number };
  rows: BenchRow[];
}

/** Ceilings read from a report's 'ceiling' rows. */
export interface Ceilings {
  gbps?: number;
  gflops?: number;
}

export const CEILING_KERNEL = 'ceiling';

export function ceilingsOf(report: BenchReport): Ceilings {
  const find = (variant: string) => report.rows.find((r) => r.kernel === CEILING_KERNEL && r.variant === variant);
  return { gbps: (find('bandwidth') ?? find('copy'))?.gbps, gflops: find('compute')?.gflops };
}

/** A row's rate as a fraction of the machine's ceiling (GFLOP/s against compute, GB/s against bandwidth). */
export function ceilingFraction(row: BenchRow, c: Ceilings): number | undefined {
  if (row.gflops !== undefined) return c.gflops ? row.gflops / c.gflops : undefined;
  if (row.gbps !== undefined) return c.gbps ? row.gbps / c.gbps : undefined;
  return undefined;
}

/** Milliseconds with about three significant digits. */
export function formatMs(ms: number): string {
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

function formatRate(row: BenchRow): string {
  if (row.gflops !== undefined) return `${row.gflops.toFixed(row.gflops < 10 ? 2 : 1)} GFLOP/s`;
  if (row.gbps !== undefined) return `${row.gbps.toFixed(row.gbps < 10 ? 2 : 1)} GB/s`;
  return '';
}

/**
 * The table: kernel, variant, shape, Fusion's ms, GFLOP/s or GB/s, % of the ceiling, the peer's ms,
 * speedup (peer / ours), the clock, and what the peer ran (or why the row has none, from
 * `peerNotes`).
 */
export function formatTable(report: BenchReport, peerNotes: ReadonlyMap<BenchRow, string> = new Map()): string {
  const c = ceilingsOf(report);
  const header = ['kernel', 'variant', 'shape', 'ms', 'rate', '% ceil', 'peer ms', 'speedup', 'clock', 'peer'];
  const lines = report.rows.map((r) => {
    const frac = ceilingFraction(r, c);
    const isCeiling = r.kernel === CEILING_KERNEL;
    return [
      r.kernel, r.variant, r.shape, formatMs(r.ms), formatRate(r),
      frac === undefined || isCeiling ? '' : `${(100 * frac).toFixed(0)}%`,
      r.peer ? formatMs(r.peer.ms) : '-',
      r.speedup !== undefined ? `${r.speedup.toFixed(2)}x` : '-',
      r.clock,
      r.peer?.name ?? (isCeiling ? 'machine ceiling' : peerNotes.get(r) ?? 'no peer'),
    ];
  });
  const rows = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...rows.map((l) => l[i].length)));
  const numeric = new Set([3, 4, 5, 6, 7]);
  const fmt = (l: string[]) => l.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

/** `bench/results/<date>-<adapter>.json` relative to the bench folder (`<date>-<kind>-<adapter>.json` with a kind). */
export function defaultResultPath(benchDir: string, report: BenchReport, kind?: string): string {
  return resultPath(benchDir, report.date, report.adapter.description || report.adapter.vendor, kind);
}

/**
 * The one naming of result files: `<benchDir>/results/<date to the minute>-<kind>-<adapter slug>.json`,
 * with `-2`, `-3`, ... when a run of the same minute wrote that name already.
 */
export function resultPath(benchDir: string, isoDate: string, adapter: string, kind?: string): string {
  const date = isoDate.slice(0, 16).replace(/:/g, '');
  const slug = (adapter || 'adapter').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40).replace(/-$/, '');
  return unusedPath(`${benchDir}/results/${date}-${kind ? `${kind}-` : ''}${slug}.json`);
}

export function writeReport(path: string, report: BenchReport): void {
  writeTextFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
