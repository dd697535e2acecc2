/**
 * The one place that decides which kernel variant an op runs: a table keyed by (kernel, shape
 * class, adapter). An op asks `chooseVariant(kernel, a, b, c, d)` with up to four sizes of its
 * problem; the answer is, in order,
 *   1. a variant forced for that kernel (`forceVariant`, `withVariant`: tests and benchmarks);
 *   2. the tuner's winner for the shape class on this adapter, with its `override` constants
 *      (loaded from the tuning cache of this adapter and Dawn version, see tune-cache-node.ts);
 *   3. the heuristic for the adapter kind (CPU/software adapter or GPU), by the exact sizes.
 * A shape class buckets each size by its power of two (sizes 5..8 share a class), packed into one
 * number, so the hot path builds no strings. The op still checks what only it knows (alignment of
 * an offset, rows vs columns) and falls back to a variant that always works.
 * While `recordVariantLookups` is on, every lookup is remembered once per (kernel, shape class)
 * with the sizes seen first: the tuner uses it to learn what a training step actually runs.
 */
import { SUBGROUP_MATRIX_F16_CONFIG, type Constants } from '@fusion/kernels';
import { gpu, type FusionGPU, type DeviceInfo } from './device.js';

/** Candidate variants of each kernel family whose variant is chosen here. */
export const VARIANT_KERNELS = {
  /**
   * The GEMM entry point of matmul and the convolutions. Sizes: M, N, K, batch. blocked4 and
   * blocked8 are the register-blocked GPU kernels (4 x 4 and 8 x 8 outputs per invocation).
   */
  gemm: ['tiled', 'direct', 'subgroup', 'blocked4', 'blocked8'],
  /** softmax / log-softmax forward. Sizes: outer, len, inner. */
  softmax: ['lines', 'workgroup', 'vec4'],
  /** Fused attention kernels. Sizes: batch * heads, Lq, Lk, head dim. */
  attention: ['tiled', 'lines', 'subgroup'],
  /** Attention backward: the row kernels, or batched GEMMs over the recomputed P. Sizes: batch * heads, Lq, Lk, max head dim. */
  'attention-backward': ['fused', 'gemm'],
  /**
   * BatchNorm statistics and gradient sums: chunks and a combine (lines), a workgroup per channel
   * (workgroup), or a workgroup per channel that also applies the map / writes dx (fused: one
   * dispatch forward, one backward). Sizes: channels, elements per channel.
   */
  batchnorm: ['lines', 'workgroup', 'fused'],
  /** LayerNorm per-row kernels. Sizes: rows, dim. */
  layernorm: ['lines', 'workgroup'],
  /** Embedding backward's sort of the ids. Sizes: ids, vocab, dim. */
  embedding: ['lines', 'workgroup'],
  /** Batched outer product forward. Sizes: batch, I, J. */
  outer: ['vec4', 'scalar'],
  /** The f16 x f16 -> f32 GEMM of matmul and the convolutions on f16 operands (gemm-f16.ts). Sizes: M, N, K, batch. */
  'gemm-f16': ['tiled', 'direct', 'subgroup-matrix'],
  /** 2-D max and average pooling, forward and backward. Sizes: planes, H, W, window elements. */
  pool: ['rows', 'vec4'],
  /** 2x upsampling (nearest and bilinear), forward and backward. Sizes: planes, H, W. */
  upsample: ['rows', 'vec4'],
} as const;

export type VariantKernel = keyof typeof VARIANT_KERNELS;
export type VariantOf<K extends VariantKernel> = (typeof VARIANT_KERNELS)[K][number];

/** Where a choice came from. */
export type VariantSource = 'forced' | 'tuned' | 'heuristic';

export interface VariantChoice<K extends VariantKernel = VariantKernel> {
  variant: VariantOf<K>;
  /** `override` constants to merge over the op's own (tile sizes, workgroup shape, split-K ...). */
  constants?: Constants;
  source: VariantSource;
}

/** A tuned entry as stored in the cache and given to `applyTuning`. */
export interface TunedVariant {
  kernel: VariantKernel;
  /** The packed shape class (`shapeClass`). */
  shapeClass: number;
  variant: string;
  constants?: Constants;
}

/** What the table knows of the adapter for its heuristics. */
export interface AdapterFacts {
  software: boolean;
  /** The subgroup GEMM can run: `subgroups` with at least 8 lanes. */
  subgroupGemm: boolean;
  /** Subgroups have exactly 8 lanes (one AVX2 register on lavapipe): the subgroup GEMM pays. */
  subgroupsOf8: boolean;
  /** `shader-f16` is enabled: the f16 GEMMs can run. */
  shaderF16: boolean;
  /**
   * The tensor-core f16 GEMM can run: `chromium-experimental-subgroup-matrix` with an f16 16x16x16
   * config with f32 results, and subgroups of exactly 32 lanes (SUBGROUP_MATRIX_F16_CONFIG).
   */
  subgroupMatrixF16: boolean;
}

/** Rows per subgroup of the subgroup GEMM (GEMM_SUBGROUP_BLOCK.rowsPerGroup). */
const SUBGROUP_GEMM_LANES = 8;
/** Largest score matrix (B * H * Lq * Lk floats) the attention GEMM backward materialises. */
const ATTENTION_GEMM_BACKWARD_MAX = 1 << 22;
/**
 * Smallest attention backward (B * H * Lq * Lk * head dim multiply-adds per product) worth the
 * GEMM path: below it the row kernels' fewer dispatches win (measured on lavapipe: the tiny
 * preset's cross-attention, 1M, trains faster fused; the benchmark's, 34M, 3x faster via GEMMs).
 */
const ATTENTION_GEMM_BACKWARD_MIN_WORK = 1 << 23;

type Heuristic = (f: AdapterFacts, a: number, b: number, c: number, d: number) => string;

/**
 * Smallest output (M x N x batch) for which a GPU runs the register-blocked GEMMs (a guess until
 * the tuner measures: below it, 64 x 64 tiles leave most of a large GPU idle), and the smallest M
 * and N of the 8 x 8 block's 128 x 128 tiles.
 */
const BLOCKED_GEMM_MIN_OUTPUT = 1 << 18;
const BLOCKED8_GEMM_MIN_SIDE = 1024;

/** Today's choice by adapter kind and exact sizes, per kernel. */
const HEURISTICS: { [K in VariantKernel]: (f: AdapterFacts, a: number, b: number, c: number, d: number) => VariantOf<K> } = {
  gemm: (f, M, N, K, batch) => {
    if (f.software) return f.subgroupGemm && f.subgroupsOf8 ? 'subgroup' : 'direct';
    if (M * N * Math.max(1, batch) < BLOCKED_GEMM_MIN_OUTPUT || Math.min(M, N) < 64) return 'tiled';
    return Math.min(M, N) >= BLOCKED8_GEMM_MIN_SIDE ? 'blocked8' : 'blocked4';
  },
  softmax: (f, outer, len, inner) => (inner !== 1 ? 'lines' : !f.software && len >= 256 ? 'workgroup' : len % 4 === 0 ? 'vec4' : 'lines'),
  attention: (f) => (!f.software ? 'tiled' : f.subgroupGemm && f.subgroupsOf8 ? 'subgroup' : 'lines'),
  'attention-backward': (f, bh, lq, lk, dim) => {
    if (bh * lq * lk * dim === 0) return 'fused';
    const scores = bh * lq * lk;
    const gemmPays = scores <= ATTENTION_GEMM_BACKWARD_MAX && scores * dim >= ATTENTION_GEMM_BACKWARD_MIN_WORK;
    return f.software && gemmPays ? 'gemm' : 'fused';
  },
  // fused on CPU adapters, whose cost is per dispatch (its parallelism, one workgroup per
  // channel, is enough for a CPU's threads); a channel per workgroup starves a GPU
  batchnorm: (f, channels) => (!f.software ? 'workgroup' : channels >= 2 ? 'fused' : 'lines'),
  layernorm: (f, rows, dim) => (!f.software && dim >= 128 ? 'workgroup' : 'lines'),
  embedding: (f) => (f.software ? 'lines' : 'workgroup'),
  outer: (f, batch, rows, cols) => (cols % 4 === 0 ? 'vec4' : 'scalar'),
  'gemm-f16': (f) => (f.subgroupMatrixF16 ? 'subgroup-matrix' : f.software ? 'direct' : 'tiled'),
  pool: (f) => (f.software ? 'vec4' : 'rows'),
  upsample: (f) => (f.software ? 'vec4' : 'rows'),
};

/** Bits per size in a packed shape class: bucket 0 for 0, else 1 + ceil(log2 size) (1..33). */
const CLASS_BITS = 6;

/** The shape class of up to four sizes, each bucketed by the power of two above it (1 -> 1, 2 -> 2, 3..4 -> 3, 5..8 -> 4 ...). */
export function shapeClass(a: number, b = 0, c = 0, d = 0): number {
  return bucket(a) | (bucket(b) << CLASS_BITS) | (bucket(c) << (2 * CLASS_BITS)) | (bucket(d) << (3 * CLASS_BITS));
}

function bucket(n: number): number {
  return n <= 0 ? 0 : n > 2 ** 31 ? 33 : 33 - Math.clz32(Math.ceil(n) - 1);
}

/** Readable form of a shape class: the upper bound of each size (`<=32 x <=1024 x <=64`). */
export function describeShapeClass(cls: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    const b = (cls >> (i * CLASS_BITS)) & ((1 << CLASS_BITS) - 1);
    parts.push(b === 0 ? '0' : `<=${2 ** (b - 1)}`);
  }
  while (parts.length > 1 && parts[parts.length - 1] === '0') parts.pop();
  return parts.join(' x ');
}

type Forced = { [K in VariantKernel]?: VariantOf<K> };
const forced: Forced = {};
let tuned = new Map<VariantKernel, Map<number, VariantChoice>>();
let factsDevice: FusionGPU | null = null;
let facts: AdapterFacts = { software: true, subgroupGemm: false, subgroupsOf8: false, shaderF16: false, subgroupMatrixF16: false };

/** Where the runtime gets the tuning of a device (set by the Node entry; absent in a page). */
export type TuningSource = (info: DeviceInfo) => { entries: TunedVariant[]; message: string | null };
let tuningSource: TuningSource | null = null;
let lastTuningMessage: string | null = null;

/** Installs the loader of tuned entries for a new device (tune-cache-node.ts in Node). */
export function setTuningSource(source: TuningSource | null): void {
  tuningSource = source;
  factsDevice = null;
}

/** An adapter's subgroup-matrix configuration, as Dawn reports it in `adapterInfo.subgroupMatrixConfigs`. */
interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

function factsOf(g: FusionGPU): AdapterFacts {
  const info = g.device.adapterInfo as GPUAdapterInfo & { subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[] };
  const subgroupGemm = g.hasFeature('subgroups') && (info?.subgroupMinSize ?? 0) >= SUBGROUP_GEMM_LANES;
  const want = SUBGROUP_MATRIX_F16_CONFIG;
  const hasConfig = (info?.subgroupMatrixConfigs ?? []).some(
    (c) => c.componentType === want.componentType && c.resultComponentType === want.resultComponentType && c.M === want.M && c.N === want.N && c.K === want.K,
  );
  const subgroupMatrixF16 = g.hasFeature('shader-f16') && g.hasFeature('subgroups') && g.hasFeature('chromium-experimental-subgroup-matrix') && hasConfig &&
    info?.subgroupMinSize === want.subgroupSize && info?.subgroupMaxSize === want.subgroupSize;
  return {
    software: g.info.isSoftware, subgroupGemm, subgroupsOf8: info?.subgroupMaxSize === SUBGROUP_GEMM_LANES, shaderF16: g.hasFeature('shader-f16'), subgroupMatrixF16,
  };
}

/** Facts of the current device; on a new device, loads its tuning (if a source is installed). */
function currentFacts(): AdapterFacts {
  const g = gpu();
  if (g !== factsDevice) {
    factsDevice = g;
    facts = factsOf(g);
    tuned = new Map();
    lastTuningMessage = null;
    if (tuningSource) {
      const { entries, message } = tuningSource(g.info);
      lastTuningMessage = message;
      if (message) console.warn(`fusion: ${message}`);
      loadEntries(entries);
    }
  }
  return facts;
}

/** The facts the heuristics see for the current device. */
export function adapterFacts(): AdapterFacts {
  return { ...currentFacts() };
}

function isCandidate(kernel: VariantKernel, variant: string): boolean {
  return (VARIANT_KERNELS[kernel] as readonly string[]).includes(variant);
}

/** Variants written for 8-lane subgroups, which need the `subgroups` feature with subgroups of >= 8 lanes. */
function needsSubgroups(kernel: VariantKernel, variant: string): boolean {
  return (kernel === 'gemm' || kernel === 'attention') && variant === 'subgroup';
}

/** Why the current device cannot run a variant, or null when it can. */
function unavailable(kernel: VariantKernel, variant: string, f: AdapterFacts): string | null {
  if (needsSubgroups(kernel, variant) && !f.subgroupGemm) {
    return `${kernel === 'gemm' ? 'GEMM' : kernel} variant ${variant} needs the subgroups feature with subgroups of 8 lanes or more, which this device lacks`;
  }
  if (kernel === 'gemm-f16' && !f.shaderF16) return `f16 GEMM variant ${variant} needs the shader-f16 feature, which this device lacks`;
  if (kernel === 'gemm-f16' && variant === 'subgroup-matrix' && !f.subgroupMatrixF16) {
    return 'f16 GEMM variant subgroup-matrix needs chromium-experimental-subgroup-matrix with an f16 16x16x16 config (f32 results) and 32-lane subgroups, which this device lacks';
  }
  return null;
}

function checkAvailable(kernel: VariantKernel, variant: string): void {
  const why = unavailable(kernel, variant, currentFacts());
  if (why) throw new Error(why);
}

function loadEntries(entries: readonly TunedVariant[]): void {
  for (const e of entries) {
    if (!(e.kernel in VARIANT_KERNELS) || !isCandidate(e.kernel, e.variant)) continue;
    if (unavailable(e.kernel, e.variant, facts)) continue;
    let byClass = tuned.get(e.kernel);
    if (!byClass) tuned.set(e.kernel, (byClass = new Map()));
    byClass.set(e.shapeClass, { variant: e.variant as VariantOf<VariantKernel>, constants: e.constants, source: 'tuned' });
  }
}

/**
 * Replaces the tuned entries of the current device (the tuner, tests; the runtime loads the cache
 * itself). Unknown kernels or variants are skipped.
 */
export function applyTuning(entries: readonly TunedVariant[]): void {
  currentFacts();
  tuned = new Map();
  loadEntries(entries);
}

/** The message of the last tuning load (why a cache was ignored), or null. */
export function tuningMessage(): string | null {
  currentFacts();
  return lastTuningMessage;
}

/** The tuned entries in effect on the current device. */
export function tunedVariants(): TunedVariant[] {
  currentFacts();
  const out: TunedVariant[] = [];
  for (const [kernel, byClass] of tuned) {
    for (const [cls, c] of byClass) out.push({ kernel, shapeClass: cls, variant: c.variant, ...(c.constants ? { constants: c.constants } : {}) });
  }
  return out;
}

/** A lookup remembered while recording: the first sizes seen for a (kernel, shape class). */
export interface RecordedLookup {
  kernel: VariantKernel;
  shapeClass: number;
  sizes: [number, number, number, number];
  choice: VariantChoice;
  count: number;
}

let recording: Map<string, RecordedLookup> | null = null;

/** Starts (true) or stops (false) remembering lookups; starting clears what was recorded. */
export function recordVariantLookups(on: boolean): void {
  recording = on ? new Map() : null;
}

/** The lookups remembered since recording started, in first-seen order. */
export function recordedVariantLookups(): RecordedLookup[] {
  return recording ? [...recording.values()] : [];
}

/**
 * The variant `kernel` runs for a problem of these sizes on the current device (see the module
 * comment for the order). Sizes per kernel are listed in VARIANT_KERNELS.
 */
export function chooseVariant<K extends VariantKernel>(kernel: K, a: number, b = 0, c = 0, d = 0): VariantChoice<K> {
  const f = currentFacts();
  let choice: VariantChoice<K> | undefined;
  const v = forced[kernel];
  if (v !== undefined) {
    checkAvailable(kernel, v);
    choice = { variant: v as VariantOf<K>, source: 'forced' };
  } else if (tuned.size > 0) {
    choice = tuned.get(kernel)?.get(shapeClass(a, b, c, d)) as VariantChoice<K> | undefined;
  }
  choice ??= { variant: (HEURISTICS[kernel] as Heuristic)(f, a, b, c, d) as VariantOf<K>, source: 'heuristic' };
  if (kernel === 'gemm-f16' && choice.source === 'heuristic') checkAvailable(kernel, choice.variant);
  if (recording) {
    const cls = shapeClass(a, b, c, d);
    const key = `${kernel}:${cls}`;
    const seen = recording.get(key);
    if (seen) seen.count++;
    else recording.set(key, { kernel, shapeClass: cls, sizes: [a, b, c, d], choice, count: 1 });
  }
  return choice;
}

/** The heuristic's variant for these sizes, ignoring forced and tuned entries (the tuner's baseline). */
export function heuristicVariant<K extends VariantKernel>(kernel: K, a: number, b = 0, c = 0, d = 0): VariantOf<K> {
  return (HEURISTICS[kernel] as Heuristic)(currentFacts(), a, b, c, d) as VariantOf<K>;
}

/**
 * Forces `variant` for every lookup of `kernel` (null restores the table's choice). Throws for a
 * variant the kernel does not have; a variant the device cannot run throws at the lookup.
 */
export function forceVariant<K extends VariantKernel>(kernel: K, variant: VariantOf<K> | null): void {
  if (!(kernel in VARIANT_KERNELS)) throw new Error(`forceVariant: unknown kernel '${kernel}' (known: ${Object.keys(VARIANT_KERNELS).join(', ')})`);
  if (variant === null) {
    delete forced[kernel];
    return;
  }
  if (!isCandidate(kernel, variant)) {
    throw new Error(`forceVariant: kernel '${kernel}' has no variant '${variant}' (variants: ${VARIANT_KERNELS[kernel].join(', ')})`);
  }
  (forced as Record<string, string>)[kernel] = variant;
}

/** The variant forced for `kernel`, or null. */
export function forcedVariant<K extends VariantKernel>(kernel: K): VariantOf<K> | null {
  return (forced[kernel] as VariantOf<K> | undefined) ?? null;
}

/**
 * Runs fn with `variant` forced for `kernel`, restoring the previous state afterwards (after the
 * promise settles when fn is async).
 */
export function withVariant<K extends VariantKernel, T>(kernel: K, variant: VariantOf<K>, fn: () => T): T {
  const previous = forcedVariant(kernel);
  forceVariant(kernel, variant);
  const restore = () => forceVariant(kernel, previous);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
