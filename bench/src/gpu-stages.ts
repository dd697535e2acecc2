/**
 * The stages of the GPU command (bench/gpu.ts), each a function of the run's settings that returns
 * its data: the device's description, the PyTorch reference (bench/torch/seed.py), tuning the
 * variant table on one training step, timing the training step of each fusion head, and the kernel
 * benchmarks. A stage stops starting new work once `deadline` (a `performance.now()` time) has
 * passed and says what it left out.
 */
import { existsSync } from 'node:fs';
import {
  runtime, memory, writeTuneCache, useTuneCache, dawnVersion, tensor, matmul, transpose, conv2d, backward, tidy, withVariant, forceVariant,
  type Tensor, type TuneCacheEntry,
} from '@fusion/tensor';
import {
  BLOCKED_STRATEGIES, GEMM_BLOCKED_TUNING, blockedTile, matmulReference, conv2dReference, conv2dBackwardInputReference,
  conv2dBackwardWeightReference, convOutputSize, type Conv2dGeometry,
} from '@fusion/kernels';
import { assertClose, randomArray } from '@fusion/tensor/testing';
import { FUSION_KINDS } from '@fusion/train';
import { makeTrainStep, timeTrainSteps, TRAIN_STEP_PRECISIONS } from './train-step.js';
import { stepLookups, tuneLookups } from './tune.js';
import { runKernels, type RunResult } from './runner.js';
import { runPythonJson } from './torch-peer.js';
import type { MeasureOptions } from './measure.js';
import type { KernelBench } from './declare.js';
import type { StepResult, TorchSeedResult } from './gpu-table.js';

/** Sizes and budgets of a full run (a GPU) or a dry run (small sizes, lavapipe in CI). */
export interface GpuRunPlan {
  dryRun: boolean;
  preset: 'seed' | 'tiny';
  batch: number;
  size: number;
  /** Heads timed, in order (those with a PyTorch peer first). */
  heads: readonly string[];
  warmupSteps: number;
  timedSteps: number;
  /** Seconds the tuner may take. */
  tuneSeconds: number;
  tuneRepeats: number;
  /** Kernel benchmarks: the full grid (GPU) or the quick one; which kernels. */
  quickKernels: boolean;
  kernels: readonly string[] | null;
  measure?: MeasureOptions;
  /** Arguments of bench/torch/seed.py (after the script). */
  torchArgs: string[];
  torchTimeoutMs: number;
}

/** Heads in the order they are timed: the three with a torch_seed.py peer first. */
const HEAD_ORDER = ['cross-pixel', 'concat', 'outer'];

export function gpuRunPlan(dryRun: boolean): GpuRunPlan {
  const heads = [...HEAD_ORDER.filter((h) => FUSION_KINDS.includes(h as never)), ...FUSION_KINDS.filter((h) => !HEAD_ORDER.includes(h))];
  if (dryRun) {
    return {
      dryRun, preset: 'tiny', batch: 2, size: 32, heads, warmupSteps: 1, timedSteps: 1, tuneSeconds: 15, tuneRepeats: 1,
      quickKernels: true, kernels: ['matmul', 'conv2d'],
      torchArgs: ['--device', 'cpu', '--dry-run', '--batch', '1', '--size', '64', '--iters', '1', '--warmup', '1', '--fusions', 'concat', '--precisions', 'fp32', '--matmul', '256', '--conv', '1,32,14'],
      torchTimeoutMs: 240_000,
    };
  }
  return {
    dryRun, preset: 'seed', batch: 8, size: 512, heads, warmupSteps: 2, timedSteps: 5, tuneSeconds: 90, tuneRepeats: 3,
    quickKernels: false, kernels: null,
    // short budgets per case: the full grid has ~120 rows, ours and TF.js's
    measure: { warmup: 2, minRepeats: 3, maxRepeats: 10, budgetMs: 300, maxCaseMs: 5_000 },
    torchArgs: ['--device', 'cuda'],
    torchTimeoutMs: 300_000,
  };
}

/** What the device stage prints and records. */
export function describeDevice(): Record<string, unknown> {
  const g = runtime().gpu;
  const i = g.info;
  const ai = g.device.adapterInfo;
  return {
    description: i.description, vendor: i.vendor, architecture: i.architecture, device: i.device, software: i.isSoftware,
    features: i.features, adapterFeatures: i.adapterFeatures, limits: i.limits, dawnFlags: i.dawnFlags, dawn: dawnVersion(),
    subgroupSizes: ai ? [ai.subgroupMinSize, ai.subgroupMaxSize] : null,
  };
}

/** One product of the correctness check: its name and the largest relative error, or the error. */
export interface GemmCheck {
  variant: string;
  product: string;
  ok: boolean;
  error?: string;
}

function hostTranspose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/**
 * The register-blocked GEMMs on this device against float64 (what the test suite checks on
 * lavapipe, for a GPU nobody ran the suite on): matmul in every layout at a shape that divides the
 * tile (vec4 loads, no bounds checks) and an odd one, and a convolution's forward and both
 * gradients. Where one fails, the rest of the run forces the tiled GEMM, so its numbers are right.
 */
export async function checkGemmVariants(log: (l: string) => void): Promise<{ checks: GemmCheck[]; forced: string | null }> {
  const checks: GemmCheck[] = [];
  const tol = { rtol: 2e-3, atol: 2e-3 };
  for (const variant of BLOCKED_STRATEGIES) {
    const tile = blockedTile(GEMM_BLOCKED_TUNING[variant]);
    const check = async (product: string, fn: () => Promise<void>) => {
      try {
        await withVariant('gemm', variant, fn);
        checks.push({ variant, product, ok: true });
      } catch (e) {
        const error = (e as Error).message.split('\n')[0];
        checks.push({ variant, product, ok: false, error });
        log(`  ${variant} ${product}: WRONG: ${error}`);
      }
    };
    for (const [M, K, N] of [[2 * tile.rows, 3 * tile.k, tile.cols], [37, 21, 45]]) {
      for (const layout of ['nn', 'nt', 'tn', 'tt']) {
        await check(`matmul ${layout} ${M}x${K}x${N}`, async () => {
          const a = randomArray(M * K, 1);
          const b = randomArray(K * N, 2);
          const owned: Tensor[] = [];
          const own = (t: Tensor) => (owned.push(t), t);
          try {
            const ta = layout[0] === 't' ? transpose(own(tensor(hostTranspose(a, M, K), [K, M]))) : own(tensor(a, [M, K]));
            const tb = layout[1] === 't' ? transpose(own(tensor(hostTranspose(b, K, N), [N, K]))) : own(tensor(b, [K, N]));
            const c = own(matmul(ta, tb));
            owned.push(ta, tb);
            assertClose(await c.toArray(), matmulReference(a, b, 1, M, K, N), tol, 'C');
          } finally {
            for (const t of new Set(owned)) t.dispose();
          }
        });
      }
    }
    await check('conv2d 3x3 stride 2 forward and both gradients', async () => {
      const g: Conv2dGeometry = { images: 2, cIn: 5, inH: 13, inW: 11, cOut: 70, kH: 3, kW: 3, outH: convOutputSize(13, 3, 2, 1, 1), outW: convOutputSize(11, 3, 2, 1, 1), strideH: 2, strideW: 2, padH: 1, padW: 1, dilH: 1, dilW: 1 };
      const xd = randomArray(g.images * g.cIn * g.inH * g.inW, 3);
      const wd = randomArray(g.cOut * g.cIn * 9, 4);
      const x = tensor(xd, [g.images, g.cIn, g.inH, g.inW]);
      const w = tensor(wd, [g.cOut, g.cIn, 3, 3]);
      x.requiresGrad = w.requiresGrad = true;
      const y = conv2d(x, w, null, { stride: 2, padding: 1 });
      const dyd = randomArray(y.size, 5);
      const dy = tensor(dyd, y.shape);
      try {
        assertClose(await y.toArray(), conv2dReference(xd, wd, null, g), tol, 'forward');
        tidy(() => backward(y, { grad: dy }));
        assertClose(await x.grad!.toArray(), conv2dBackwardInputReference(dyd, wd, g), tol, 'input gradient');
        assertClose(await w.grad!.toArray(), conv2dBackwardWeightReference(dyd, xd, g), tol, 'weight gradient');
      } finally {
        for (const t of [x.grad, w.grad, x, w, y, dy]) t?.dispose();
      }
    });
  }
  const failed = checks.filter((c) => !c.ok);
  if (!failed.length) return { checks, forced: null };
  forceVariant('gemm', 'tiled');
  return { checks, forced: 'tiled' };
}

/** The PyTorch reference, or why it did not run. */
export function torchStage(python: string, plan: GpuRunPlan): { torch: TorchSeedResult } | { skipped: string } {
  const script = 'bench/torch/seed.py';
  if (!existsSync(script)) throw new Error(`${script} not found: run the GPU command from the repository root`);
  const run = runPythonJson(python, [script, ...plan.torchArgs], { timeoutMs: plan.torchTimeoutMs });
  return 'skipped' in run ? run : { torch: run.json as unknown as TorchSeedResult };
}

export interface TuneStageResult {
  lookups: number;
  timed: number;
  /** Lookups not tuned, with why (time budget, stand-in too large to bind). */
  notTuned: { kernel: string; sizes: number[]; reason: string }[];
  entries: TuneCacheEntry[];
  cache: string;
}

/**
 * Tunes the variant table on one step of the plan's preset (cross-pixel head; its encoders and
 * decoder are every head's), largest problems first, writes the cache to `cache` and loads it.
 */
export async function tuneStage(plan: GpuRunPlan, tokenizerPath: string, cache: string, deadline: number, log: (l: string) => void): Promise<TuneStageResult> {
  const step = await makeTrainStep({ preset: plan.preset, fusion: plan.heads[0], batch: plan.batch, size: plan.size, batches: 2, tokenizerPath });
  try {
    const lookups = await stepLookups(step);
    const work = (sizes: readonly number[]) => sizes.reduce((a, b) => a * Math.max(1, b), 1);
    const ordered = [...lookups].sort((a, b) => work(b.sizes) - work(a.sizes));
    const stop = Math.min(deadline, performance.now() + plan.tuneSeconds * 1000);
    const { rows, entries, notTuned } = await tuneLookups(ordered, 1, { repeats: plan.tuneRepeats, callsPerRegion: plan.tuneRepeats > 1 ? 2 : 1, deadline: stop, log });
    writeTuneCache(cache, runtime().gpu.info, entries, true);
    useTuneCache(cache);
    return { lookups: lookups.length, timed: rows.length, notTuned, entries, cache };
  } finally {
    step.dispose();
  }
}

/** Times each head's training step at each precision this build has; the rest are recorded as not run, with why. */
export async function stepsStage(plan: GpuRunPlan, tokenizerPath: string, deadline: number, log: (l: string) => void): Promise<{ steps: StepResult[]; notRun: { head: string; precision: string; reason: string }[] }> {
  const steps: StepResult[] = [];
  const notRun: { head: string; precision: string; reason: string }[] = [];
  for (const head of plan.heads) {
    for (const precision of ['f32', 'mixed']) {
      if (!TRAIN_STEP_PRECISIONS.includes(precision)) {
        notRun.push({ head, precision, reason: `this build's training step has no --precision ${precision} (issue 12 item 2)` });
        continue;
      }
      if (performance.now() > deadline) {
        notRun.push({ head, precision, reason: 'the time budget ran out' });
        continue;
      }
      const step = await makeTrainStep({ preset: plan.preset, fusion: head, batch: plan.batch, size: plan.size, precision, batches: plan.warmupSteps + plan.timedSteps + 1, tokenizerPath });
      try {
        for (let s = 0; s < plan.warmupSteps; s++) {
          const l = step.run(s);
          await l.item();
          l.dispose();
        }
        const t = await timeTrainSteps(step, plan.warmupSteps, plan.timedSteps);
        const r: StepResult = { head, precision, preset: plan.preset, batch: plan.batch, size: plan.size, ms: t.ms, imgPerS: (plan.batch * 1000) / t.ms, hostMs: t.hostMs, dispatches: t.dispatches, peakBytes: t.peakBytes };
        steps.push(r);
        log(`  ${head} ${precision}: ${r.ms.toFixed(1)} ms/step, ${r.imgPerS.toFixed(2)} img/s, ${r.dispatches.toFixed(0)} dispatches, host ${r.hostMs.toFixed(1)} ms, peak ${(r.peakBytes / 2 ** 20).toFixed(0)} MiB`);
      } finally {
        step.dispose();
        runtime().trimPool();
      }
    }
  }
  if (memory().liveTensors > 0) log(`  note: ${memory().liveTensors} tensors still alive after the steps`);
  return { steps, notRun };
}

/** The kernel benchmarks of the plan (TF.js as the peer unless `peer` is false). */
export async function kernelsStage(benches: readonly KernelBench[], plan: GpuRunPlan, peer: boolean, deadline: number, log: (l: string) => void): Promise<RunResult> {
  const selected = plan.kernels ? benches.filter((b) => plan.kernels!.includes(b.kernel)) : benches;
  return runKernels(selected, { quick: plan.quickKernels, peer, measure: plan.measure, deadline, log });
}
