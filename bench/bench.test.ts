import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelBenches } from './kernels/index.js';
import { runKernels, type RunResult } from './src/runner.js';
import { measure, median, type Sample } from './src/measure.js';
import { findExport } from './src/ops.js';
import { parseArgs } from './src/args.js';
import { gridEntries } from './src/declare.js';
import { CEILING_KERNEL, ceilingsOf, defaultResultPath, formatTable, writeReport, type BenchReport } from './src/report.js';

const ROW_KEYS = ['kernel', 'variant', 'shape', 'ms', 'gflops', 'gbps', 'clock', 'peer', 'speedup'];

/** The quick grid once, in-process, with two timed runs per case (ours and the peer's). */
let result: RunResult;
let dir: string;

beforeAll(async () => {
  result = await runKernels(kernelBenches, { quick: true, measure: { warmup: 1, minRepeats: 2, maxRepeats: 2, budgetMs: 0 } });
  dir = mkdtempSync(join(tmpdir(), 'fusion-bench-'));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pnpm bench kernels --quick', () => {
  it('writes JSON of exactly the agreed shape', () => {
    const path = join(dir, 'report.json');
    writeReport(path, result.report);
    const json = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
    expect(Object.keys(json).sort()).toEqual(['adapter', 'date', 'machine', 'rows']);
    expect(Object.keys(json.adapter).sort()).toEqual(['architecture', 'description', 'features', 'limits', 'vendor']);
    expect(typeof json.adapter.description).toBe('string');
    expect(Array.isArray(json.adapter.features)).toBe(true);
    expect(json.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(json.date))).toBe(false);
    expect(Object.keys(json.machine).sort()).toEqual(['cpus', 'memory']);
    expect(json.machine.cpus).toBeGreaterThan(0);
    expect(json.machine.memory).toBeGreaterThan(0);
    expect(json.rows.length).toBeGreaterThan(2);
    for (const row of json.rows) {
      for (const key of Object.keys(row)) expect(ROW_KEYS).toContain(key);
      expect(typeof row.kernel).toBe('string');
      expect(typeof row.variant).toBe('string');
      expect(typeof row.shape).toBe('string');
      expect(row.ms).toBeGreaterThan(0);
      expect(['timestamp', 'wall']).toContain(row.clock);
      expect((row.gflops === undefined) !== (row.gbps === undefined)).toBe(true);
      if (row.peer) {
        expect(Object.keys(row.peer).sort()).toEqual(['ms', 'name']);
        expect(row.peer.name).toMatch(/^tfjs-webgpu /);
        expect(row.peer.ms).toBeGreaterThan(0);
        expect(row.speedup).toBeCloseTo(row.peer.ms / row.ms, 9);
      } else {
        expect(row.speedup).toBeUndefined();
      }
    }
  });

  it('gives every declared kernel a timed row, or reports it missing with the exports it lacks', () => {
    expect(result.failures).toEqual([]);
    expect(result.selected).toEqual(kernelBenches.map((b) => b.kernel));
    const missing = new Map(result.missing.map((m) => [m.kernel, m.exports]));
    for (const bench of kernelBenches) {
      const rows = result.report.rows.filter((r) => r.kernel === bench.kernel);
      const lacks = missing.get(bench.kernel);
      if (lacks) {
        expect(rows).toEqual([]);
        expect(lacks.length).toBeGreaterThan(0);
        for (const name of lacks) expect(findExport(name), `${bench.kernel} reported missing, but ${name} is exported`).toBeUndefined();
      } else {
        for (const name of bench.requires) expect(findExport(name)).toBeDefined();
        expect(rows.length, `${bench.kernel} produced no row`).toBe(gridEntries(bench, true).length);
        for (const r of rows) expect(r.ms).toBeGreaterThan(0);
      }
    }
  });

  it('compares with the peer on every row that declares one, on the same clock', () => {
    const declared = new Set(kernelBenches.filter((b) => !('none' in b.peer)).map((b) => b.kernel));
    const rows = result.report.rows.filter((r) => declared.has(r.kernel));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.peer, `${r.kernel} ${r.shape} has no peer: ${result.peerNotes.get(r)}`).toBeDefined();
  });

  it('records the machine ceilings and prints a fraction of them per row', () => {
    const c = ceilingsOf(result.report);
    expect(c.gbps).toBeGreaterThan(0);
    expect(c.gflops).toBeGreaterThan(0);
    const computeRows = result.report.rows.filter((r) => r.gflops !== undefined && r.kernel !== CEILING_KERNEL);
    const best = Math.max(...computeRows.flatMap((r) => [r.gflops!, r.peer ? (r.gflops! * r.ms) / r.peer.ms : 0]));
    expect(c.gflops).toBeCloseTo(best, 6);
    const table = formatTable(result.report, result.peerNotes);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^kernel\s+variant\s+shape\s+ms\s+rate\s+% ceil\s+peer ms\s+speedup\s+clock\s+peer$/);
    expect(lines.length).toBe(result.report.rows.length + 2);
    const matmulLine = lines.find((l) => l.startsWith('matmul'))!;
    expect(matmulLine).toMatch(/GFLOP\/s\s+\d+%/);
    expect(result.report.rows.filter((r) => r.kernel === CEILING_KERNEL).map((r) => r.variant)).toEqual(['copy', 'bandwidth', 'compute']);
    const memoryRows = result.report.rows.filter((r) => r.gbps !== undefined && r.kernel !== CEILING_KERNEL);
    const bestGbps = Math.max(...memoryRows.flatMap((r) => [r.gbps!, r.peer ? (r.gbps! * r.ms) / r.peer.ms : 0]), result.report.rows[0].gbps!);
    expect(c.gbps).toBeCloseTo(bestGbps, 6);
    for (const r of result.report.rows) if (r.kernel !== CEILING_KERNEL) expect((r.gbps ?? r.gflops)! / (r.gbps ? c.gbps! : c.gflops!)).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('names the default result file after the date and the adapter', () => {
    const path = defaultResultPath('/x/bench', { ...result.report, date: '2026-11-27T10:45:12.345Z', adapter: { ...result.report.adapter, description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' } });
    expect(path).toBe('/x/bench/results/2026-11-27T1045-llvmpipe-mesa-25-0-7-llvm-15-0-6.json');
    // a kind of run goes between the date and the adapter (it once went inside the date)
    const step = defaultResultPath('/x/bench', { ...result.report, date: '2026-12-06T03:42:00.000Z', adapter: { ...result.report.adapter, description: 'llvmpipe' } }, 'step-vs-torch');
    expect(step).toBe('/x/bench/results/2026-12-06T0342-step-vs-torch-llvmpipe.json');
  });

  it('never names an existing file: a second run of the same minute gets -2, a third -3', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-results-'));
    try {
      const report = { ...result.report, date: '2026-12-06T05:47:10.000Z', adapter: { ...result.report.adapter, description: 'llvmpipe' } };
      const first = defaultResultPath(dir, report, 'step-vs-torch');
      writeReport(first, report);
      const second = defaultResultPath(dir, report, 'step-vs-torch');
      writeReport(second, report);
      expect(second).toBe(join(dir, 'results', '2026-12-06T0547-step-vs-torch-llvmpipe-2.json'));
      expect(defaultResultPath(dir, report, 'step-vs-torch')).toBe(join(dir, 'results', '2026-12-06T0547-step-vs-torch-llvmpipe-3.json'));
      expect(readFileSync(first, 'utf8')).toBe(readFileSync(second, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('timing policy', () => {
  it('warms up, fits the timed runs to the budget within bounds, resets before each run, and takes the median', async () => {
    const times = [50, 40, 10, 30, 20, 99];
    const seen: string[] = [];
    let i = 0;
    const timer = async (fn: () => void): Promise<Sample> => {
      fn();
      const ms = times[i++];
      return { ms, clock: 'timestamp', wallMs: ms + 1 };
    };
    const prepared = { reset: () => seen.push('reset'), run: () => seen.push('run'), dispose: () => {} };
    const m = await measure(prepared, timer, { warmup: 2, minRepeats: 3, maxRepeats: 10, budgetMs: 123 });
    // Warm-ups 50, 40; the last took 41 ms of host time, so 123 ms fits 3 runs: 10, 30, 20.
    expect(m.samples).toEqual([10, 30, 20]);
    expect(m.ms).toBe(20);
    expect(m.clock).toBe('timestamp');
    expect(seen).toEqual(Array(5).fill(['reset', 'run']).flat());
  });

  it('skips further warm-ups and caps the timed runs when one run is long', async () => {
    let runs = 0;
    const timer = async (fn: () => void): Promise<Sample> => {
      fn();
      runs++;
      return { ms: 500, clock: 'timestamp', wallMs: 501 };
    };
    const m = await measure({ run: () => {}, dispose: () => {} }, timer, { warmup: 3, minRepeats: 3, maxRepeats: 10, budgetMs: 100, maxCaseMs: 1200 });
    expect(m.samples).toEqual([500, 500]);
    expect(runs).toBe(3);
    const once = await measure({ run: () => {}, dispose: () => {} }, timer, { warmup: 1, minRepeats: 3, maxRepeats: 10, budgetMs: 100, maxCaseMs: 10 });
    expect(once.samples).toEqual([500]);
  });

  it('reports the host clock unless every run was on timestamps', async () => {
    const samples: Sample[] = [
      { ms: 1, clock: 'timestamp', wallMs: 5 },
      { ms: 2, clock: 'wall', wallMs: 2 },
      { ms: 3, clock: 'timestamp', wallMs: 7 },
    ];
    let i = 0;
    const m = await measure({ run: () => {}, dispose: () => {} }, async () => samples[i++ % 3], { warmup: 1, minRepeats: 2, maxRepeats: 2, budgetMs: 0 });
    expect(m.clock).toBe('wall');
    expect(m.samples).toEqual([2, 7]);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
});

describe('command line', () => {
  const kernels = ['matmul'];
  it('parses the options and rejects unknown ones', () => {
    expect(parseArgs(['kernels', '--quick', '--filter', 'conv', '--json', 'out.json', '--no-peer'], kernels)).toEqual({ quick: true, filter: 'conv', json: 'out.json', peer: false });
    expect(parseArgs(['kernels'], kernels)).toEqual({ quick: false, peer: true });
    expect(parseArgs(['kernels', '--filter'], kernels)).toEqual({ error: '--filter needs a value' });
    expect(parseArgs(['kernels', '--fast'], kernels)).toEqual({ error: "unknown option '--fast'" });
    expect(parseArgs(['models'], kernels)).toEqual({ error: "unknown suite 'models' (suites: kernels, tune)" });
    expect('help' in parseArgs([], kernels)).toBe(true);
  });
});
