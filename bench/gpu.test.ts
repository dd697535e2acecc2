// bench/gpu.sh --dry-run end to end, as CI runs it on lavapipe: bundled with esbuild the way
// the GPU machine gets it (.gpu/app/gpu.mjs), every stage at small sizes. Asserts the JSON's shape,
// that every stage ran or says why it was skipped (PyTorch: no torch, no CUDA), the steps of every
// head, the rows the ratio table reads, and the table itself. No timing is asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGpuArgs, GPU_STAGES } from './src/gpu-args.js';
import { gpuRunPlan } from './src/gpu-stages.js';
import { ratioTable, formatRatioTable, type StepResult, type TorchSeedResult } from './src/gpu-table.js';
import { TRAIN_STEP_PRECISIONS } from './src/train-step.js';
import type { BenchRow } from './src/report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let out: string;
let stdout = '';
let stderr = '';
let status: number | null = null;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'fusion-gpu-'));
  const run = spawnSync('bash', ['bench/gpu.sh', '--dry-run', '--out', out], { cwd: root, encoding: 'utf8', timeout: 540_000, env: { ...process.env, FUSION_TUNE_CACHE: 'off' } });
  stdout = run.stdout;
  stderr = run.stderr;
  status = run.status;
}, 600_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

function result(): Record<string, any> {
  const files = readdirSync(out).filter((f) => /-gpu-dry-.*\.json$/.test(f) && !f.endsWith('.tune-cache.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(out, files[0]), 'utf8'));
}

describe('bench/gpu.sh --dry-run', () => {
  it('exits 0 and says what it ran', () => {
    expect(status, stderr.slice(-3000)).toBe(0);
    expect(stdout).toMatch(/^device: .+/m);
    expect(stdout).toMatch(new RegExp(`^stages: ${GPU_STAGES.map((s) => `${s} (ran|skipped)`).join(', ')}$`, 'm'));
  });

  it('writes the bench result shape plus every stage, each ran or skipped with a reason', () => {
    const r = result();
    expect(typeof r.adapter.description).toBe('string');
    expect(r.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(r.date))).toBe(false);
    expect(r.dryRun).toBe(true);
    expect(Object.keys(r.stages).sort()).toEqual([...GPU_STAGES].sort());
    for (const [name, s] of Object.entries<any>(r.stages)) {
      if (s.status === 'skipped') expect(s.reason, name).toMatch(/\S/);
      else expect(s.status, `${name}: ${s.error ?? ''}`).toBe('ran');
    }
    for (const name of ['device', 'check', 'tune', 'steps', 'kernels']) expect(r.stages[name].status, name).toBe('ran');
    expect(r.checks.length).toBeGreaterThan(0);
    expect(r.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(r.forcedGemm).toBeNull();
    if (r.stages.torch.status === 'skipped') expect(r.stages.torch.reason).toMatch(/no torch|no torchvision|no CUDA|could not be run/);
    else expect(Object.keys(r.torch.kernels).sort()).toEqual(['conv3x3_f32', 'matmul_bf16', 'matmul_f32']);
    for (const row of r.rows as BenchRow[]) {
      expect(typeof row.kernel).toBe('string');
      expect(typeof row.variant).toBe('string');
      expect(typeof row.shape).toBe('string');
      expect(row.ms).toBeGreaterThan(0);
      expect(['timestamp', 'wall']).toContain(row.clock);
    }
  });

  it('tunes into a cache in the output folder, and times every head at every precision this build has', () => {
    const r = result();
    expect(r.tune.lookups).toBeGreaterThan(0);
    expect(readdirSync(out)).toContain(r.tune.cache.split('/').pop());
    const plan = gpuRunPlan(true);
    const ran = r.steps as StepResult[];
    const precisions = ['f32', 'mixed'].filter((p) => TRAIN_STEP_PRECISIONS.includes(p));
    expect(ran.map((s) => `${s.head} ${s.precision}`).sort()).toEqual(plan.heads.flatMap((h) => precisions.map((p) => `${h} ${p}`)).sort());
    for (const s of ran) {
      expect(s.preset).toBe('tiny');
      expect(s.dispatches).toBeGreaterThan(0);
      expect(s.peakBytes).toBeGreaterThan(0);
      expect(s.imgPerS).toBeCloseTo((s.batch * 1000) / s.ms, 6);
    }
    for (const n of r.stepsNotRun) expect(n.reason).toMatch(/no --precision mixed|time budget/);
    expect((r.rows as BenchRow[]).filter((x) => x.kernel === 'trainStep')).toHaveLength(ran.length);
  });

  it('has the kernel rows the ratio table reads, and prints the table', () => {
    const r = result();
    const rows = r.rows as BenchRow[];
    expect(rows.some((x) => x.kernel === 'matmul' && x.shape === '256x256x256' && x.gflops! > 0)).toBe(true);
    expect(rows.some((x) => x.kernel === 'conv2d' && x.shape.startsWith('3x3 (small)') && x.gflops! > 0)).toBe(true);
    expect(r.ratios.length).toBe(12);
    for (const q of r.ratios) {
      expect(stdout).toContain(q.figure);
      if (q.ratio === null) expect(q.missing).toMatch(/\S/);
      else expect(q.ratio).toBeGreaterThan(0);
    }
    expect(stdout).toMatch(/ratios against issue 12's targets/);
  });
});

describe('the ratio table', () => {
  const row = (kernel: string, variant: string, shape: string, gflops: number): BenchRow => ({ kernel, variant, shape, ms: 1, gflops, clock: 'timestamp' });
  const step = (head: string, imgPerS: number, peakBytes: number): StepResult => ({ head, precision: 'f32', preset: 'seed', batch: 8, size: 512, ms: 8000 / imgPerS, imgPerS, hostMs: 1, dispatches: 1, peakBytes });
  const torch: TorchSeedResult = {
    torch: '2.11', device: 'H200',
    kernels: { matmul_f32: { shape: '4096x4096x4096', ms: 1, tflops: 50 }, matmul_bf16: { shape: '4096x4096x4096', ms: 1, tflops: 700 }, conv3x3_f32: { shape: '', ms: 1, tflops: 20 } },
    steps: [
      { fusion: 'cross', prec: 'fp32', step_ms: 100, img_per_s: 80, max_memory_allocated: 20 * 2 ** 30 },
      { fusion: 'cross', prec: 'bf16', step_ms: 80, img_per_s: 100, max_memory_allocated: 12 * 2 ** 30 },
    ],
  };
  const shapes = { matmul: 4096, convCase: 'gpu-target', step: 'seed-preset step' };

  it('divides our best f32 figure by PyTorch\'s and checks it against the target', () => {
    const kernels = [row('matmul', 'blocked4', '4096x4096x4096', 30_000), row('matmul', 'blocked8', '4096x4096x4096', 42_000), row('conv2d', 'default', 'gpu-target 8x256x64x64 k3 s1 p1 -> 256', 10_000)];
    const t = ratioTable(kernels, [step('cross-pixel', 88, 16 * 2 ** 30)], torch, '', shapes, { f16Matmul: 'no f16 matmul kernel in this build', mixed: 'no mixed step' });
    const by = (prefix: string) => t.find((r) => r.figure.startsWith(prefix))!;
    expect(by('f32 matmul')).toMatchObject({ ratio: 42_000 / 50_000, meets: true });
    expect(by('f32 matmul').ours).toMatch(/blocked8/);
    expect(by('conv2d')).toMatchObject({ ratio: 0.5, meets: false });
    expect(by('f16 tensor-core')).toMatchObject({ ratio: null, meets: null, missing: 'no f16 matmul kernel in this build' });
    expect(by('seed-preset step f32, cross-pixel')).toMatchObject({ ratio: 1.1, meets: true });
    expect(by('seed-preset step mixed, cross-pixel')).toMatchObject({ ratio: null, missing: 'no mixed step' });
    expect(by('peak memory of the f32 step, cross-pixel')).toMatchObject({ ratio: 0.8, meets: true });
    expect(by('seed-preset step f32, concat')).toMatchObject({ ratio: null, missing: 'no concat f32 step in this run; PyTorch printed no concat fp32 step' });
    const text = formatRatioTable(t);
    expect(text.split('\n')).toHaveLength(t.length + 2);
    expect(text).toMatch(/misses/);
  });

  it('says why every figure is missing when PyTorch did not run', () => {
    const t = ratioTable([], [], null, 'python3 has no torch', shapes);
    for (const r of t) expect(r.missing).toMatch(/PyTorch: python3 has no torch/);
  });
});

describe('bench/gpu.sh arguments', () => {
  it('parses the options and rejects unknown ones', () => {
    expect(parseGpuArgs([])).toEqual({ dryRun: false, out: 'bench/results', python: 'python3', budget: 420, peer: true });
    expect(parseGpuArgs(['--dry-run', '--out', '/tmp/x', '--budget', '60', '--no-peer'])).toEqual({ dryRun: true, out: '/tmp/x', python: 'python3', budget: 60, peer: false });
    expect(parseGpuArgs(['--budget', '-1'])).toEqual({ error: "--budget must be a positive number of seconds, got '-1'" });
    expect(parseGpuArgs(['--out'])).toEqual({ error: '--out needs a value' });
    expect(parseGpuArgs(['--fast'])).toEqual({ error: "unknown option '--fast'" });
    expect('help' in parseGpuArgs(['--help'])).toBe(true);
  });
});
