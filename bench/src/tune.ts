/**
 * The tuner's core: for each (kernel, shape class) a training step looked up in the variant table
 * (`recordVariantLookups`), times every candidate variant and set of `override` constants on a
 * stand-in problem of the sizes recorded (the op itself at those sizes; for the GEMM, a matmul of
 * the product's M x K x N, also where a convolution asked; for the f16 GEMM, an f16 matmul), on the GPU clock
 * (`runtime().timeRegion`, as the kernel benchmarks), and keeps the fastest when it beats the
 * heuristic's choice by more than `minGain`. A candidate whose output differs from the
 * heuristic's is dropped (a tuning knob must never change results).
 * Results are plain data: the cache entries (`TuneCacheEntry`) and a row per class for the report.
 */
import {
  runtime, tidy, tensor, matmul, softmax, layerNorm, batchNorm2d, embedding, outer, attention, backward, maxPool2d, upsample2x,
  forceVariant, applyTuning, heuristicVariant, describeShapeClass, adapterFacts, recordVariantLookups, recordedVariantLookups, autocast, bindingLimit,
  type Tensor, type RecordedLookup, type VariantKernel, type TuneCacheEntry,
} from '@fusion/tensor';
import { GEMM_BLOCKED_TUNING, blockedConstantsProblem, type BlockedStrategy, type Constants } from '@fusion/kernels';

/** One candidate: a variant and the constants merged over the op's. */
export interface Candidate {
  variant: string;
  constants?: Constants;
}

export interface TuneRow {
  kernel: VariantKernel;
  shape: string;
  sizes: number[];
  /** Lookups of this class per recorded step. */
  perStep: number;
  heuristic: { variant: string; ms: number };
  best: { variant: string; constants?: Constants; ms: number };
  /** heuristic ms / best ms (1 when the heuristic stays). */
  gain: number;
  candidates: { variant: string; constants?: Constants; ms: number | null; note?: string }[];
  /** Whether an entry went to the cache. */
  tuned: boolean;
}

export interface TuneOptions {
  /** Timed regions per candidate (median kept; default 3). */
  repeats?: number;
  /** Op calls per timed region (default 3). */
  callsPerRegion?: number;
  /** Smallest gain (heuristic ms / best ms - 1) worth a cache entry (default 0.05). */
  minGain?: number;
  /** `performance.now()` past which the remaining lookups are not tuned (they keep the heuristics). */
  deadline?: number;
  log?: (line: string) => void;
}

/**
 * The (kernel, shape class) lookups one training step makes in the variant table, untuned: one
 * step warms up (pipelines, pool), the next is recorded; where the adapter has shader-f16, a third
 * runs under `autocast`, so the mixed-precision step's f16 GEMMs ('gemm-f16' classes) are recorded too.
 */
export async function stepLookups(step: { run(s: number): Tensor }): Promise<RecordedLookup[]> {
  applyTuning([]);
  const warm = step.run(0);
  await warm.item();
  warm.dispose();
  recordVariantLookups(true);
  const loss = step.run(1);
  if (adapterFacts().shaderF16) autocast(() => step.run(2)).dispose();
  const lookups = recordedVariantLookups();
  recordVariantLookups(false);
  await loss.item();
  loss.dispose();
  return lookups;
}

/** The register-blocked kernels' tuning sweep: TILE_K and the workgroup shape around each default. */
const BLOCKED_SWEEP: readonly [BlockedStrategy, Constants | undefined][] = [
  ['blocked4', undefined], ['blocked4', { TILE_K: 8 }], ['blocked4', { TILE_K: 32 }], ['blocked4', { WG_X: 8, WG_Y: 8 }], ['blocked4', { WG_X: 32, WG_Y: 8 }],
  ['blocked8', undefined], ['blocked8', { TILE_K: 16 }], ['blocked8', { WG_X: 8, WG_Y: 8 }], ['blocked8', { WG_X: 8, WG_Y: 8, TILE_K: 16 }],
  ['blocked8', { WG_X: 8, WG_Y: 8, TILE_K: 32 }],
];

/** The register-blocked GEMM candidates whose tiles the device's limits (workgroup memory, invocations) allow. */
export function blockedGemmCandidates(limits: Readonly<Record<string, number>>): Candidate[] {
  return BLOCKED_SWEEP.filter(([v, c]) => blockedConstantsProblem({ ...GEMM_BLOCKED_TUNING[v], ...c }, limits) === null)
    .map(([variant, constants]) => (constants ? { variant, constants } : { variant }));
}

/**
 * Candidate variants and constants of a kernel on this device (the heuristic's default included).
 * The GEMM's candidates follow the adapter kind: on a CPU adapter the direct and subgroup kernels
 * (written for it) and the tiled one; on a GPU the tiled one and the register-blocked kernels
 * (each kind's kernels are too slow on the other to be worth timing there).
 */
export function candidatesFor(kernel: VariantKernel, sizes: readonly number[]): Candidate[] {
  const f = adapterFacts();
  switch (kernel) {
    case 'gemm': {
      const tiled: Candidate[] = [
        { variant: 'tiled' }, { variant: 'tiled', constants: { TILE_K: 8 } }, { variant: 'tiled', constants: { TILE_K: 32 } },
        { variant: 'tiled', constants: { WG_X: 8, WG_Y: 8 } },
      ];
      if (!f.software) return [...tiled, ...blockedGemmCandidates(runtime().gpu.info.limits)];
      const out: Candidate[] = [
        { variant: 'direct' }, { variant: 'direct', constants: { WG_X: 8, WG_Y: 8 } }, { variant: 'direct', constants: { WG_X: 8, WG_Y: 4 } },
        { variant: 'direct', constants: { WG_X: 32, WG_Y: 4 } },
        ...tiled,
      ];
      if (f.subgroupGemm) {
        out.push({ variant: 'subgroup' }, { variant: 'subgroup', constants: { WG_X: 8 } }, { variant: 'subgroup', constants: { WG_X: 32 } });
        if (sizes[0] > 16) out.push({ variant: 'subgroup', constants: { ROW_GROUPS: 2 } }, { variant: 'subgroup', constants: { ROW_GROUPS: 2, TN: 4 } });
        // columns per lane and workgroup width around the shape constants' choice for thin products
        else out.push({ variant: 'subgroup', constants: { TN: 2, WG_X: 16 } }, { variant: 'subgroup', constants: { TN: 4 } }, { variant: 'subgroup', constants: { TN: 8 } });
      }
      return out;
    }
    case 'gemm-f16': {
      if (!f.shaderF16) return [];
      return [
        { variant: 'direct' }, { variant: 'direct', constants: { WG_X: 8, WG_Y: 8 } }, { variant: 'direct', constants: { WG_X: 32, WG_Y: 4 } },
        { variant: 'tiled' }, { variant: 'tiled', constants: { TILE_K: 8 } }, { variant: 'tiled', constants: { TILE_K: 32 } },
        { variant: 'tiled', constants: { WG_X: 8, WG_Y: 8 } },
        ...(f.subgroupMatrixF16 ? [{ variant: 'subgroup-matrix' }] : []),
      ];
    }
    case 'softmax': {
      const [, len, inner] = sizes;
      return [{ variant: 'lines' }, ...(inner === 1 ? [{ variant: 'workgroup' }] : []), ...(inner === 1 && len % 4 === 0 ? [{ variant: 'vec4' }] : [])];
    }
    case 'outer':
      return sizes[2] % 4 === 0 ? [{ variant: 'vec4' }, { variant: 'scalar' }] : [{ variant: 'scalar' }];
    case 'attention': {
      const out: Candidate[] = [{ variant: 'lines' }, { variant: 'tiled' }];
      if (f.subgroupGemm) out.push({ variant: 'subgroup' }, { variant: 'subgroup', constants: { KEYS_PER_LANE: 1 } }, { variant: 'subgroup', constants: { KEYS_PER_LANE: 4 } });
      return out;
    }
    case 'attention-backward':
      return [{ variant: 'fused' }, { variant: 'gemm' }];
    case 'pool':
      return [
        { variant: 'rows' }, { variant: 'vec4' }, { variant: 'vec4', constants: { OUT_VEC4: 1 } }, { variant: 'vec4', constants: { OUT_ROWS: 1 } },
        { variant: 'vec4', constants: { WG: 32 } },
      ];
    case 'upsample':
      return [{ variant: 'rows' }, { variant: 'vec4' }, { variant: 'vec4', constants: { WG: 32 } }];
    case 'batchnorm':
      return [{ variant: 'lines' }, { variant: 'workgroup' }, { variant: 'fused' }];
    case 'layernorm':
    case 'embedding':
      return [{ variant: 'lines' }, { variant: 'workgroup' }];
  }
}

/** Random data in [-1, 1), deterministic per seed. */
function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Problem {
  /** Records one call of the op (forward, and backward where the kernel is a backward one). */
  run(): void;
  /** The output (or the first input's gradient) to compare across candidates. */
  output(): Promise<Float32Array>;
  dispose(): void;
}

/** A stand-in problem of the recorded sizes for each kernel (see the module comment). */
function problemFor(kernel: VariantKernel, sizes: readonly number[]): Problem {
  const owned: Tensor[] = [];
  const make = (shape: number[], seed: number, grad = false, dtype: 'f32' | 'f16' = 'f32') => {
    const t = tensor(random(shape.reduce((a, b) => a * b, 1), seed), shape, dtype);
    if (grad) t.requiresGrad = true;
    owned.push(t);
    return t;
  };
  let forward: () => Tensor;
  let withBackward = false;
  switch (kernel) {
    case 'gemm': {
      const [M, N, K, batch] = sizes;
      const lead = batch > 1 ? [batch] : [];
      const a = make([...lead, M, K], 1);
      const b = make([...lead, K, N], 2);
      forward = () => matmul(a, b);
      break;
    }
    case 'gemm-f16': {
      const [M, N, K, batch] = sizes;
      const lead = batch > 1 ? [batch] : [];
      const a = make([...lead, M, K], 1, false, 'f16');
      const b = make([...lead, K, N], 2, false, 'f16');
      forward = () => matmul(a, b);
      break;
    }
    case 'softmax': {
      const [o, len, inner] = sizes;
      const x = make([o, len, inner], 3);
      forward = () => softmax(x, 1);
      break;
    }
    case 'layernorm': {
      const [rows, dim] = sizes;
      const x = make([rows, dim], 4, true);
      const w = make([dim], 5, true);
      const b = make([dim], 6, true);
      forward = () => layerNorm(x, w, b);
      withBackward = true;
      break;
    }
    case 'batchnorm': {
      const [channels, perChannel] = sizes;
      const x = make([1, channels, perChannel, 1], 7, true);
      const w = make([channels], 8, true);
      const b = make([channels], 9, true);
      forward = () => batchNorm2d(x, w, b, null, null, { training: true });
      withBackward = true;
      break;
    }
    case 'embedding': {
      const [count, vocab, dim] = sizes;
      const ids = tensor(Int32Array.from({ length: count }, (_, i) => (i * 7919) % Math.max(1, vocab)), [count], 'i32');
      owned.push(ids);
      const w = make([vocab, dim], 10, true);
      forward = () => embedding(ids, w);
      withBackward = true;
      break;
    }
    case 'outer': {
      const [batch, rows, cols] = sizes;
      const u = make([batch, rows], 11);
      const v = make([batch, cols], 12);
      forward = () => outer(u, v);
      break;
    }
    case 'attention':
    case 'attention-backward': {
      const [bh, lq, lk, d] = sizes;
      const q = make([1, bh, lq, d], 13, true);
      const k = make([1, bh, lk, d], 14, true);
      const v = make([1, bh, lk, d], 15, true);
      forward = () => attention(q, k, v);
      withBackward = kernel === 'attention-backward';
      break;
    }
    case 'pool': {
      // sizes: planes, H, W, window elements; a 3x3 window is the ResNet stem's (stride 2,
      // padding 1), others square at a stride of their side
      const [planes, h, w, window] = sizes;
      const side = Math.max(1, Math.round(Math.sqrt(window)));
      const x = make([1, planes, h, w], 16, true);
      forward = () => (side === 3 ? maxPool2d(x, 3, { stride: 2, padding: 1 }) : maxPool2d(x, side));
      withBackward = true;
      break;
    }
    case 'upsample': {
      const [planes, h, w] = sizes;
      const x = make([1, planes, h, w], 17, true);
      forward = () => upsample2x(x, 'nearest');
      withBackward = true;
      break;
    }
  }
  const leaves = owned.filter((t) => t.requiresGrad);
  const step = (): Tensor => {
    for (const t of leaves) {
      t.grad?.dispose();
      t.grad = null;
    }
    const y = forward();
    if (withBackward) tidy(() => backward(y.sum()));
    return y;
  };
  return {
    run: () => step().dispose(),
    output: async () => {
      const y = step();
      const values = (await (withBackward ? leaves[0].grad! : y).toArray()) as Float32Array;
      y.dispose();
      return values;
    },
    dispose: () => {
      for (const t of owned) {
        t.grad?.dispose();
        t.dispose();
      }
    },
  };
}

/** Bytes of the largest buffer of a GEMM's matmul stand-in: operands of `operandBytes` per element (f32 4, f16 2), the output f32. */
function gemmStandInBytes([M, N, K, batch]: readonly number[], operandBytes: number): number {
  return Math.max(1, batch) * Math.max(operandBytes * M * K, operandBytes * K * N, 4 * M * N);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function sameCandidate(a: Candidate, b: Candidate): boolean {
  return a.variant === b.variant && JSON.stringify(a.constants ?? {}) === JSON.stringify(b.constants ?? {});
}

/** Whether two outputs agree to float32 rounding of differently ordered sums. */
function agree(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= 1e-3 + 1e-3 * Math.abs(b[i]))) return false;
  }
  return true;
}

/**
 * Times every candidate for each recorded lookup and returns the report rows and the cache
 * entries (winners that beat the heuristic by more than minGain). Leaves the table untuned and
 * unforced.
 */
export async function tuneLookups(
  lookups: readonly RecordedLookup[], steps: number, options: TuneOptions = {},
): Promise<{ rows: TuneRow[]; entries: TuneCacheEntry[]; notTuned: { kernel: VariantKernel; sizes: number[]; reason: string }[] }> {
  const repeats = options.repeats ?? 3;
  const calls = options.callsPerRegion ?? 3;
  const minGain = options.minGain ?? 0.05;
  const log = options.log ?? (() => {});
  const rt = runtime();
  const rows: TuneRow[] = [];
  const entries: TuneCacheEntry[] = [];
  applyTuning([]);
  const notTuned: { kernel: VariantKernel; sizes: number[]; reason: string }[] = [];
  const bindingBytes = bindingLimit();
  for (const lookup of lookups) {
    const { kernel, sizes } = lookup;
    if (options.deadline !== undefined && performance.now() > options.deadline) {
      notTuned.push({ kernel, sizes: [...sizes], reason: 'the time budget ran out' });
      continue;
    }
    if ((kernel === 'gemm' || kernel === 'gemm-f16') && gemmStandInBytes(sizes, kernel === 'gemm-f16' ? 2 : 4) > bindingBytes) {
      notTuned.push({ kernel, sizes: [...sizes], reason: `its matmul stand-in has an operand past the ${bindingBytes}-byte binding limit` });
      continue;
    }
    const base: Candidate = { variant: heuristicVariant(kernel, ...sizes) };
    const candidates = candidatesFor(kernel, sizes);
    if (!candidates.some((c) => sameCandidate(c, base))) candidates.unshift(base);
    const problem = problemFor(kernel, sizes);
    const results: TuneRow['candidates'] = [];
    let reference: Float32Array | null = null;
    try {
      for (const c of [base, ...candidates.filter((x) => !sameCandidate(x, base))]) {
        forceVariant(kernel, c.variant as never);
        applyTuning(c.constants ? [{ kernel, shapeClass: lookup.shapeClass, variant: c.variant, constants: c.constants }] : []);
        if (c.constants) forceVariant(kernel, null);
        try {
          const values = await problem.output();
          if (!reference) reference = values;
          else if (!agree(values, reference)) {
            results.push({ ...c, ms: null, note: 'output differs from the heuristic variant: dropped' });
            continue;
          }
          const times: number[] = [];
          for (let r = 0; r < repeats; r++) {
            const t = await rt.timeRegion(() => {
              for (let i = 0; i < calls; i++) problem.run();
            });
            times.push(t.ms / calls);
          }
          results.push({ ...c, ms: median(times) });
        } catch (e) {
          results.push({ ...c, ms: null, note: (e as Error).message.split('\n')[0] });
        } finally {
          forceVariant(kernel, null);
          applyTuning([]);
        }
      }
    } finally {
      problem.dispose();
    }
    const timed = results.filter((r) => r.ms !== null) as (Candidate & { ms: number })[];
    const heuristicMs = timed.find((r) => sameCandidate(r, base))?.ms ?? Number.NaN;
    const fastest = timed.reduce((a, b) => (b.ms < a.ms ? b : a), timed[0]);
    const wins = fastest && !sameCandidate(fastest, base) && heuristicMs / fastest.ms > 1 + minGain;
    const best = wins ? fastest : { ...base, ms: heuristicMs };
    const row: TuneRow = {
      kernel, shape: describeShapeClass(lookup.shapeClass), sizes: [...sizes], perStep: lookup.count / Math.max(1, steps),
      heuristic: { variant: base.variant, ms: heuristicMs },
      best: { variant: best.variant, ...(best.constants ? { constants: best.constants } : {}), ms: best.ms },
      gain: heuristicMs / best.ms, candidates: results, tuned: Boolean(wins),
    };
    rows.push(row);
    if (wins) {
      entries.push({
        kernel, shapeClass: lookup.shapeClass, variant: best.variant, ...(best.constants ? { constants: best.constants } : {}),
        shape: row.shape, sizes: row.sizes, ms: best.ms, heuristic: row.heuristic,
      });
    }
    log(`  ${kernel.padEnd(18)} ${row.shape.padEnd(28)} ${base.variant} ${heuristicMs.toFixed(3)} ms -> ${best.variant}${best.constants ? ` ${JSON.stringify(best.constants)}` : ''} ${best.ms.toFixed(3)} ms (${row.gain.toFixed(2)}x)`);
  }
  if (notTuned.length) log(`  ${notTuned.length} lookups not tuned (time budget, or a stand-in too large to bind)`);
  return { rows, entries, notTuned };
}

/**
 * Lookups one stand-in problem makes of its kernel: BatchNorm, LayerNorm, pooling and upsampling
 * ask once in the forward and once in the backward, both of which the problem runs.
 */
const LOOKUPS_PER_PROBLEM: Partial<Record<VariantKernel, number>> = { batchnorm: 2, layernorm: 2, pool: 2, upsample: 2 };

/**
 * Per kernel: estimated GPU ms per step under the heuristics and under the tuned choices (each
 * class's stand-in time x its problems per step). An estimate: stand-ins run alone, and the GEMM's
 * time a matmul where a convolution asked.
 */
export function gainPerKernel(rows: readonly TuneRow[]): { kernel: string; classes: number; tuned: number; heuristicMs: number; tunedMs: number; gain: number }[] {
  const by = new Map<string, { kernel: string; classes: number; tuned: number; heuristicMs: number; tunedMs: number; gain: number }>();
  for (const r of rows) {
    if (!Number.isFinite(r.heuristic.ms)) continue;
    const k = by.get(r.kernel) ?? { kernel: r.kernel, classes: 0, tuned: 0, heuristicMs: 0, tunedMs: 0, gain: 1 };
    k.classes++;
    if (r.tuned) k.tuned++;
    const problems = r.perStep / (LOOKUPS_PER_PROBLEM[r.kernel] ?? 1);
    k.heuristicMs += r.heuristic.ms * problems;
    k.tunedMs += r.best.ms * problems;
    k.gain = k.heuristicMs / k.tunedMs;
    by.set(r.kernel, k);
  }
  return [...by.values()];
}
