/**
 * Specs of the GEMM family (shaders/gemm.wgsl, shaders/gemm_subgroup.wgsl): batched matmul with
 * transposed-operand layouts as constants, the tiling shared with the convolutions (conv.ts adds
 * gather variants through the same hooks), split-K, and the float64 reference.
 * Three entry points, one per kind of adapter:
 *   tiled:    workgroup-memory tiles (GPUs);
 *   direct:   no barriers, 4 x 4 block per invocation (CPU adapters without 8-lane subgroups);
 *   subgroup: up to 32 x 2 block per lane, A shared by subgroup shuffles (CPU adapters whose subgroups
 *             have exactly 8 lanes: lavapipe on AVX2). Needs the `subgroups` feature.
 * Epilogues (gemm-epilogue.ts) are hooks of `fn epilogue(m, n, at, v) -> f32`, which every GEMM
 * shader file of the family defines (default alpha * v) and calls from its store_c: a bias per row
 * (a convolution's output channel) or per column (a linear layer's output feature) is added in the
 * store. Hooks that read B go through `b_at`, so they serve every shader of the family (the
 * register-blocked GPU kernel of gemm-blocked.ts binds its operands as vec4 arrays).
 * Plain matmul variants (matmulVariants): layout of A and B (nn, nt, tn, tt), each with an
 * epilogue (`_bias_row`, `_bias_col`) or folding the batch into K (`_fold`: C = sum over the batch
 * of A[b] B[b], a broadcast weight's gradient in one product; `_fold_rowsum` also writes the row
 * sums of A, summed over the batch, after C: a linear layer's bias gradient as one more column of
 * the same product).
 */
import { defineKernel, GRID_BASE_UNIFORM, type Constants, type KernelSpec, type KernelVariant, type Workgroups } from './spec.js';
import type { UniformValues } from './reflect.js';
import { GEMM_BIAS_EPILOGUES, gemmEpilogueHooks, gemmEpilogueName, type GemmEpilogue } from './gemm-epilogue.js';

export const GEMM_UNIFORMS = [
  'M', 'N', 'K', 'batch', 'a_offset', 'b_offset', 'c_offset', 'bias_offset', 'a_batch_stride', 'b_batch_stride',
  'c_batch_stride', 'lda', 'ldb', 'ldc', 'alpha', 'beta', 'images', 'c_in', 'in_h', 'in_w', 'c_out', 'k_h', 'k_w',
  'out_h', 'out_w', 'stride_h', 'stride_w', 'pad_h', 'pad_w', 'dil_h', 'dil_w', 'groups_unused',
  'k_splits', 'k_chunk', 'k_fold', 'phase_pixels', 'phase_dy', 'phase_taps', 'phase_tap_step', GRID_BASE_UNIFORM,
] as const;

/** Register block per invocation of the tiled and direct kernels (TM = TN = 4 in gemm.wgsl). */
export const GEMM_BLOCK = 4;

/**
 * Block of the subgroup kernel (gemm_subgroup.wgsl): rows come in groups of 8, one per lane of the
 * 8-lane subgroup it is written for, up to `maxRowGroups` groups (the ROW_GROUPS constant); each
 * lane holds TN columns, up to `maxCols`. `accumulators` is the register block per lane the shape
 * constants keep (ROW_GROUPS * 8 * TN): measured on lavapipe (AVX2), four row groups with TN 4
 * (128) run 4-5x slower (spills), while products of 16 rows or fewer gain from more columns per
 * lane (fewer shuffles per multiply-add).
 */
export const GEMM_SUBGROUP_BLOCK = { rowsPerGroup: 8, maxRowGroups: 4, maxCols: 8, accumulators: 64 } as const;

/** Tuning of each entry point (WGSL override constants). */
export const GEMM_TUNING = {
  tiled: { WG_X: 16, WG_Y: 16, TILE_K: 16 },
  direct: { WG_X: 16, WG_Y: 4, TILE_K: 16 },
  subgroup: { WG_X: 16, ROW_GROUPS: 4, TN: 2 },
} as const;

export type GemmStrategy = keyof typeof GEMM_TUNING;

export const GEMM_STRATEGIES = Object.keys(GEMM_TUNING) as GemmStrategy[];

/** Rows (M) and columns (N) of C one workgroup computes, for an entry point and its constants. */
export function gemmTile(strategy: GemmStrategy, c: Constants): { rows: number; cols: number } {
  if (strategy === 'subgroup') return { rows: c.ROW_GROUPS * GEMM_SUBGROUP_BLOCK.rowsPerGroup, cols: c.WG_X * c.TN };
  return { rows: c.WG_Y * GEMM_BLOCK, cols: c.WG_X * GEMM_BLOCK };
}

/** Workgroups covering an M x N output per batch entry and K split, for the constants in effect. */
export function gemmWorkgroups(strategy: GemmStrategy): (u: UniformValues, c: Constants) => Workgroups {
  return (u, c) => {
    const tile = gemmTile(strategy, c);
    const splits = Math.max(1, (u.k_splits as number | undefined) ?? 1);
    const mTiles = Math.ceil((u.M as number) / tile.rows);
    const nTiles = Math.ceil((u.N as number) / tile.cols);
    const z = (u.batch as number) * splits;
    // the subgroup kernel walks M tiles fastest (consecutive workgroups share a column strip of B)
    return strategy === 'subgroup' ? [mTiles, nTiles, z] : [nTiles, mTiles, z];
  };
}

/**
 * Per-call constants for an M-row product: the subgroup kernel takes as few row groups as cover M
 * (a 3-row product runs 8-row tiles, not 32) and spends the 64 accumulators per lane it keeps on
 * more columns when there are fewer rows (TN 8 with one row group, 4 with two), in workgroups of
 * one subgroup (WG_X 8: more, smaller workgroups for these thin products). Measured on lavapipe
 * on the tiny step's convolutions (16 and 8 output channels): 15-35% less GPU time than TN 2 in
 * workgroups of 16. The other entry points need none.
 */
export function gemmShapeConstants(strategy: GemmStrategy, M: number): Constants {
  if (strategy !== 'subgroup') return {};
  const groups = Math.min(GEMM_SUBGROUP_BLOCK.maxRowGroups, Math.max(1, Math.ceil(M / GEMM_SUBGROUP_BLOCK.rowsPerGroup)));
  if (groups === 1) return { ROW_GROUPS: 1, TN: 8, WG_X: 8 };
  if (groups === 2) return { ROW_GROUPS: 2, TN: 4, WG_X: 8 };
  return { ROW_GROUPS: groups, TN: 2 };
}

const ENTRY_POINTS: Record<GemmStrategy, { shader: 'gemm' | 'gemm_subgroup'; entryPoint: string }> = {
  tiled: { shader: 'gemm', entryPoint: 'gemm_tiled' },
  direct: { shader: 'gemm', entryPoint: 'gemm_direct' },
  subgroup: { shader: 'gemm_subgroup', entryPoint: 'gemm_subgroup' },
};

/**
 * One spec of the GEMM family: the entry point of `strategy` with the given variants (hooks and
 * constants), bindings and default constants (the strategy's tuning merged with `constants`).
 */
export function gemmKernel<V extends string>(
  strategy: GemmStrategy, name: string, inputs: readonly string[], variants: Readonly<Record<V, KernelVariant>>, constants: Constants = {},
): KernelSpec<V> {
  return defineKernel({
    ...ENTRY_POINTS[strategy],
    name,
    inputs,
    outputs: ['c'],
    uniforms: GEMM_UNIFORMS,
    constants: { ...GEMM_TUNING[strategy], ...constants },
    variants,
    dispatch: gemmWorkgroups(strategy),
  });
}

/** Layouts of A and B ('n' row-major, 't' a transposed view). */
const LAYOUTS = {
  nn: { A_T: 0, B_T: 0 },
  nt: { A_T: 0, B_T: 1 },
  tn: { A_T: 1, B_T: 0 },
  tt: { A_T: 1, B_T: 1 },
} as const;

export type GemmLayout = keyof typeof LAYOUTS;

// K runs over (batch entry, step) pairs, k_fold steps per entry; kk = (A offset, B offset, step in
// the entry, entry), advanced by additions.
const FOLD_HOOKS = {
  k_info: `fn k_info(batch: u32, k: u32) -> vec4<i32> {
  let entry = quotient(k, params.k_fold);
  let step = k - entry * params.k_fold;
  return vec4<i32>(i32(entry * params.a_batch_stride + select(step, step * params.lda, A_T)),
                   i32(entry * params.b_batch_stride + select(step * params.ldb, step, B_T)), i32(step), i32(entry));
}`,
  k_next: `fn k_next(batch: u32, k: u32, kk: vec4<i32>) -> vec4<i32> {
  let entry = u32(kk.w) + 1u;
  let next_entry = vec4<i32>(i32(entry * params.a_batch_stride), i32(entry * params.b_batch_stride), 0, i32(entry));
  let next_step = vec4<i32>(kk.x + i32(select(1u, params.lda, A_T)), kk.y + i32(select(params.ldb, 1u, B_T)), kk.z + 1, kk.w);
  return select(next_step, next_entry, u32(kk.z) + 1u == params.k_fold);
}`,
};

// The last of the N columns is a column of ones in B, so C's last column holds the row sums of A;
// it is stored after the M x (N - 1) product: c = [product (row-major), row sums].
const ROWSUM_HOOKS = {
  load_b: `fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = k < params.K && n + 1u < params.N;
  let ones = k < params.K && n + 1u == params.N;
  return select(select(0.0, b_at(select(0u, u32(col.x + kk.y), inside)), inside), 1.0, ones);
}`,
  store_c: `fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let cols = params.N - 1u;
  let at = select(m * cols + n, params.M * cols + m, n == cols);
  c[params.c_offset + at] = epilogue(m, n, at, v);
}`,
};

/** The plain matmul variant names: a layout, optionally with a bias epilogue or a fold. */
export type MatmulVariant = GemmLayout | `${GemmLayout}_bias_${GemmEpilogue['channel']}` | `${GemmLayout}_fold` | `${GemmLayout}_fold_rowsum`;

/**
 * Every plain matmul variant (see the module comment) for the specs of an entry point: each
 * layout's A_T / B_T with the entry point's own constants per layout (`layoutConstants`), alone,
 * with each of `epilogues` (`<layout>_<epilogue name>_<channel>`) and folded.
 */
export function matmulVariants(
  layoutConstants: Partial<Record<GemmLayout, Constants>> = {}, epilogues: readonly GemmEpilogue[] = GEMM_BIAS_EPILOGUES,
): Record<MatmulVariant, KernelVariant> {
  const out: Record<string, KernelVariant> = {};
  for (const [layout, transposes] of Object.entries(LAYOUTS) as [GemmLayout, Constants][]) {
    const constants = { ...transposes, ...layoutConstants[layout] };
    out[layout] = { constants };
    for (const e of epilogues) out[`${layout}_${gemmEpilogueName(e, true)}`] = { constants, hooks: gemmEpilogueHooks(e) };
    out[`${layout}_fold`] = { constants, hooks: FOLD_HOOKS };
    out[`${layout}_fold_rowsum`] = { constants, hooks: { ...FOLD_HOOKS, ...ROWSUM_HOOKS } };
  }
  return out as Record<MatmulVariant, KernelVariant>;
}

const matmulVariantTable = matmulVariants();

export const matmulTiledKernel = gemmKernel('tiled', 'matmul_tiled', ['a', 'b', 'bias'], matmulVariantTable);
export const matmulDirectKernel = gemmKernel('direct', 'matmul_direct', ['a', 'b', 'bias'], matmulVariantTable);
export const matmulSubgroupKernel = gemmKernel('subgroup', 'matmul_subgroup', ['a', 'b', 'bias'], matmulVariantTable);

/** The matmul spec of each entry point. */
export const MATMUL_KERNELS: Record<GemmStrategy, KernelSpec<MatmulVariant>> = {
  tiled: matmulTiledKernel,
  direct: matmulDirectKernel,
  subgroup: matmulSubgroupKernel,
};

/** Float64 reference: C[b] = alpha * op(A[b]) op(B[b]), with A (batch, M, K) and B (batch, K, N) row-major. */
export function matmulReference(a: ArrayLike<number>, b: ArrayLike<number>, batch: number, M: number, K: number, N: number, alpha = 1): Float64Array {
  const out = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[t * M * K + i * K + k] * b[t * K * N + k * N + j];
        out[t * M * N + i * N + j] = alpha * s;
      }
    }
  }
  return out;
}
