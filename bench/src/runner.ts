/**
 * The runner: acquires the device (timestamps unquantized), loads the peer on the same Dawn
 * instance, measures a copy kernel's bandwidth, then for every selected benchmark whose ops exist
 * times each case of the grid, ours then the peer's on the same clock, and finally records the
 * machine's ceilings: the best GB/s seen (the copy kernel's or a memory-bound row's, ours or the
 * peer's) and the best GFLOP/s seen (usually a matmul's). A benchmark whose ops are not exported is
 * reported missing; a case that throws is reported as a failure and the run goes on.
 */
import { hostMachine } from '#bench-host';
import { init, runtime, tidy, tensor, copyInto, memory, deviceOptionsFromEnv, matmul, type DeviceOptions } from '@fusion/tensor';
import { randomArray } from '@fusion/tensor/testing';
import { gridEntries, type GridEntry, type KernelBench, type Prepared, type Work } from './declare.js';
import { measure, type MeasureOptions, type Measured, type Timer } from './measure.js';
import { missingExports } from './ops.js';
import { loadTfjs, timePeer, type Peer } from './peer.js';
import { CEILING_KERNEL, formatMs, type BenchReport, type BenchRow } from './report.js';

export interface RunOptions {
  /** The quick (CI) grid instead of the full one. */
  quick: boolean;
  /** Keeps the benchmarks whose kernel name contains this (case-insensitive). */
  filter?: string;
  /** Compare with TF.js (default true). */
  peer?: boolean;
  /** Timing policy (defaults: `defaultMeasureOptions(quick)`). */
  measure?: MeasureOptions;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** `performance.now()` past which no further case starts (they are listed in `unrun`). */
  deadline?: number;
}

export interface RunResult {
  report: BenchReport;
  /** Benchmarks not run because `@fusion/tensor` does not export what they need yet. */
  missing: { kernel: string; exports: string[] }[];
  /** Cases that threw (ours or the peer's). */
  failures: { kernel: string; shape: string; side: 'ours' | 'peer'; error: string }[];
  /** Why a row has no peer. */
  peerNotes: Map<BenchRow, string>;
  /** Benchmarks selected by the filter, missing or not. */
  selected: string[];
  /** Cases not started because the deadline had passed. */
  unrun: { kernel: string; shape: string }[];
}

export function defaultMeasureOptions(quick: boolean): MeasureOptions {
  return quick
    ? { warmup: 1, minRepeats: 3, maxRepeats: 5, budgetMs: 150 }
    : { warmup: 2, minRepeats: 3, maxRepeats: 15, budgetMs: 2000, maxCaseMs: 30_000 };
}

/**
 * Device options of a benchmark run: the environment's, with timestamps not quantized (merged into
 * a disable-dawn-features flag given in FUSION_DAWN_FLAGS rather than given twice).
 */
export function benchDeviceOptions(): DeviceOptions {
  const o = deviceOptionsFromEnv();
  const flags = [...(o.dawnFlags ?? [])];
  const disable = flags.findIndex((f) => f.startsWith('disable-dawn-features='));
  if (disable >= 0) flags[disable] += ',timestamp_quantization';
  else flags.push('disable-dawn-features=timestamp_quantization');
  return { ...o, dawnFlags: flags };
}

/** Times Fusion's work with `runtime().timeRegion`, freeing what it creates. */
const oursTimer: Timer = async (fn) => {
  const r = await runtime().timeRegion(() => {
    // A block body: tidy keeps what its function returns, and fn's results must be freed.
    tidy(() => {
      fn();
    });
  });
  return { ms: r.ms, clock: r.clock, wallMs: r.wallMs };
};

function rates(work: Work, ms: number): { gflops?: number; gbps?: number } {
  return 'flops' in work ? { gflops: work.flops / ms / 1e6 } : { gbps: work.bytes / ms / 1e6 };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/** Measures a case built by `build`, then disposes it (also when measuring throws). */
async function measureCase(build: () => Prepared, timer: Timer, options: MeasureOptions) {
  const prepared = build();
  try {
    return await measure(prepared, timer, options);
  } finally {
    prepared.dispose();
  }
}

/** Copy bandwidth: a copy kernel over 64 MiB (16 MiB in the quick grid), 2 x 4 bytes per element. */
async function copyCeiling(quick: boolean, options: MeasureOptions): Promise<BenchRow> {
  const n = quick ? 1 << 22 : 1 << 24;
  const m = await measureCase(() => {
    const src = tensor(randomArray(n, 1), [n]);
    const dst = tensor(new Float32Array(n), [n]);
    return { run: () => copyInto(dst, src), dispose: () => { src.dispose(); dst.dispose(); } };
  }, oursTimer, options);
  return { kernel: CEILING_KERNEL, variant: 'copy', shape: `${n} floats`, ms: m.ms, ...rates({ bytes: 8 * n }, m.ms), clock: m.clock };
}

/**
 * The fastest of the rows `select` accepts, ours or the peer's, by `rate` (GFLOP/s or GB/s), as a
 * ceiling row of `variant`; null when no row qualifies.
 */
function bestRow(rows: readonly BenchRow[], variant: string, rate: 'gflops' | 'gbps', select: (r: BenchRow) => boolean): BenchRow | null {
  let best: BenchRow | null = null;
  for (const r of rows) {
    const ours = r[rate];
    if (ours === undefined || !select(r)) continue;
    const what = r.kernel === CEILING_KERNEL ? `${r.variant} kernel, ${r.shape}` : `${r.kernel} ${r.shape}`;
    const candidates = [{ who: r.kernel === CEILING_KERNEL ? 'fusion' : `fusion ${r.variant}`, ms: r.ms, value: ours }];
    if (r.peer) candidates.push({ who: r.peer.name, ms: r.peer.ms, value: (ours * r.ms) / r.peer.ms });
    for (const c of candidates) {
      if (best && c.value <= best[rate]!) continue;
      best = { kernel: CEILING_KERNEL, variant, shape: `${what} (${c.who})`, ms: c.ms, [rate]: c.value, clock: r.clock };
    }
  }
  return best;
}

/** The best GFLOP/s of the compute-bound rows (ours or the peer's), or of a matmul probe when none ran. */
async function computeCeiling(rows: BenchRow[], quick: boolean, options: MeasureOptions): Promise<BenchRow> {
  const best = bestRow(rows, 'compute', 'gflops', () => true);
  if (best) return best;
  const n = quick ? 256 : 512;
  const m = await measureCase(() => {
    const a = tensor(randomArray(n * n, 2), [n, n]);
    const b = tensor(randomArray(n * n, 3), [n, n]);
    return { run: () => matmul(a, b), dispose: () => { a.dispose(); b.dispose(); } };
  }, oursTimer, options);
  return { kernel: CEILING_KERNEL, variant: 'compute', shape: `matmul ${n}x${n}x${n} (fusion probe)`, ms: m.ms, ...rates({ flops: 2 * n ** 3 }, m.ms), clock: m.clock };
}

/**
 * One case: ours, then the peer's on the same clock. Returns the row, or null when ours threw
 * (recorded in `result.failures`); a peer that throws leaves the row without a peer.
 */
async function runCase(bench: KernelBench, p: GridEntry<unknown>, peer: Peer | null, mo: MeasureOptions, result: RunResult, log: (line: string) => void): Promise<BenchRow | null> {
  const shape = bench.shape(p);
  const liveBefore = memory().liveTensors;
  let variant = 'default';
  let ours: Measured;
  try {
    ours = await measureCase(() => {
      const prepared = bench.setup(p);
      variant = bench.variant?.(p) ?? 'default';
      return prepared;
    }, oursTimer, mo);
  } catch (e) {
    result.failures.push({ kernel: bench.kernel, shape, side: 'ours', error: errorText(e) });
    log(`${bench.kernel} ${shape}: FAILED: ${errorText(e)}`);
    return null;
  }
  const leaked = memory().liveTensors - liveBefore;
  if (leaked !== 0) log(`${bench.kernel} ${shape}: warning: the case left ${leaked} tensors alive`);
  const row: BenchRow = { kernel: bench.kernel, variant, shape, ms: ours.ms, ...rates(bench.work(p), ours.ms), clock: ours.clock };
  const note = (text: string) => result.peerNotes.set(row, text);
  if ('none' in bench.peer) note(`no peer: ${bench.peer.none}`);
  else if (p.skipPeer) note(`peer not run: ${p.skipPeer}`);
  else if (!peer) note('peer not run (--no-peer)');
  else {
    const { tf } = peer;
    const peerCase = bench.peer;
    try {
      const before = tf.memory().numTensors;
      const theirs = await measureCase(() => peerCase.setup(p, tf), (fn) => timePeer(tf, fn, ours.clock), mo);
      const peerLeaked = tf.memory().numTensors - before;
      if (peerLeaked !== 0) log(`${bench.kernel} ${shape}: warning: the peer's case left ${peerLeaked} tensors alive`);
      if (theirs.clock === row.clock) {
        row.peer = { name: `${peer.name} ${peerCase.name}`, ms: theirs.ms };
        row.speedup = theirs.ms / ours.ms;
      } else note(`the peer could only be timed on the ${theirs.clock} clock`);
    } catch (e) {
      result.failures.push({ kernel: bench.kernel, shape, side: 'peer', error: errorText(e) });
      note(`peer failed: ${errorText(e)}`);
    }
  }
  return row;
}

/** Runs the benchmarks and returns the report (it prints nothing unless `log` is given). */
export async function runKernels(benches: readonly KernelBench[], options: RunOptions): Promise<RunResult> {
  const log = options.log ?? (() => {});
  const mo = options.measure ?? defaultMeasureOptions(options.quick);
  const rt = await init(benchDeviceOptions());
  const info = rt.gpu.info;
  const report: BenchReport = {
    adapter: { description: info.description, vendor: info.vendor, architecture: info.architecture, features: info.features, limits: info.limits },
    date: new Date().toISOString(),
    machine: hostMachine(),
    rows: [],
  };
  const result: RunResult = { report, missing: [], failures: [], peerNotes: new Map(), selected: [], unrun: [] };
  const filter = options.filter?.toLowerCase();
  const selected = benches.filter((b) => !filter || b.kernel.toLowerCase().includes(filter));
  result.selected = selected.map((b) => b.kernel);

  const peer: Peer | null = options.peer === false ? null : await loadTfjs(rt.gpu.instance);
  const copy = await copyCeiling(options.quick, mo);
  report.rows.push(copy);
  log(`ceiling: copy ${copy.gbps!.toFixed(1)} GB/s (${formatMs(copy.ms)} ms, ${copy.clock})`);

  for (const bench of selected) {
    const missing = missingExports(bench.requires);
    if (missing.length) {
      result.missing.push({ kernel: bench.kernel, exports: missing });
      log(`${bench.kernel}: missing (@fusion/tensor does not export ${missing.join(', ')} yet)`);
      continue;
    }
    for (const p of gridEntries(bench, options.quick, info.isSoftware)) {
      if (options.deadline !== undefined && performance.now() > options.deadline) {
        result.unrun.push({ kernel: bench.kernel, shape: bench.shape(p) });
        continue;
      }
      const row = await runCase(bench, p, peer, mo, result, log);
      if (!row) continue;
      report.rows.push(row);
      const peerText = row.peer ? `, peer ${formatMs(row.peer.ms)} ms, speedup ${row.speedup!.toFixed(2)}x` : ` (${result.peerNotes.get(row)})`;
      log(`${bench.kernel} [${row.variant}] ${row.shape}: ${formatMs(row.ms)} ms (${row.clock})${peerText}`);
    }
  }
  if (result.unrun.length) log(`${result.unrun.length} cases not run: the time budget ran out`);
  const compute = await computeCeiling(report.rows, options.quick, mo);
  // The copy kernel is one reference; a memory-bound kernel may stream faster than it does.
  const bandwidth = bestRow(report.rows, 'bandwidth', 'gbps', (r) => r.kernel !== CEILING_KERNEL || r.variant === 'copy')!;
  report.rows.splice(1, 0, bandwidth, compute);
  log(`ceiling: bandwidth ${bandwidth.gbps!.toFixed(2)} GB/s (${bandwidth.shape}); compute ${compute.gflops!.toFixed(2)} GFLOP/s (${compute.shape})`);
  return result;
}
