/**
 * Specs of the register-blocked GEMM for discrete GPUs (shaders/gemm_blocked.wgsl): two entry
 * points of the variant table, `blocked4` (4 x 4 outputs per invocation, 64 x 64 tiles) and
 * `blocked8` (8 x 8, 128 x 128 tiles), with vec4 loads of aligned operands, double-buffered
 * workgroup tiles and a TILE_K sweep for the tuner; the per-call constants that specialise a
 * pipeline (alignment, no bounds checks where the shapes divide the tile). Its matmul variants are
 * the family's (gemm.ts's matmulVariants: layouts, bias epilogues, folds) plus the fused epilogues
 * only this shader binds operands for (BLOCKED_FUSED_EPILOGUES). The convolutions on this tiling
 * are in gemm-blocked-conv.ts.
 */
import { defineKernel, type Constants, type KernelSpec, type KernelVariant, type Workgroups } from './spec.js';
import { GEMM_UNIFORMS, matmulVariants, type MatmulVariant } from './gemm.js';
import { GEMM_BIAS_EPILOGUES, type GemmEpilogue } from './gemm-epilogue.js';
import type { UniformValues } from './reflect.js';

/** The GEMM family's uniform fields plus the epilogue's operand offsets. */
export const GEMM_BLOCKED_UNIFORMS = [...GEMM_UNIFORMS, 'scale_offset', 'residual_offset'] as const;

/** Default tuning of each entry point (WGSL override constants; the tuner sweeps TILE_K and the workgroup). */
export const GEMM_BLOCKED_TUNING = {
  blocked4: { WG_X: 16, WG_Y: 16, TM: 4, TN: 4, TILE_K: 16 },
  blocked8: { WG_X: 16, WG_Y: 16, TM: 8, TN: 8, TILE_K: 8 },
} as const;

export type BlockedStrategy = keyof typeof GEMM_BLOCKED_TUNING;

export const BLOCKED_STRATEGIES = Object.keys(GEMM_BLOCKED_TUNING) as BlockedStrategy[];

/** Whether a GEMM entry point is one of the register-blocked ones. */
export function isBlockedStrategy(strategy: string): strategy is BlockedStrategy {
  return strategy in GEMM_BLOCKED_TUNING;
}

/** Quads (vec4s) one invocation may fetch per operand and tile (MAX_FETCH in the shader). */
const MAX_FETCH = 8;
/** Accumulator vec4s per invocation (TM rows x TN / 4 column quads, at most 8 x 2). */
const MAX_ROWS = 8;
const MAX_COLS = 8;

/** Rows (M), columns (N) and steps (K) of one workgroup's tile for a set of constants. */
export function blockedTile(c: Constants): { rows: number; cols: number; k: number } {
  return { rows: c.WG_Y * c.TM, cols: c.WG_X * c.TN, k: c.TILE_K };
}

/** Workgroup memory of the double-buffered tiles, in bytes. */
export function blockedWorkgroupBytes(c: Constants): number {
  const t = blockedTile(c);
  return 2 * (t.rows + t.cols) * t.k * 4;
}

/**
 * Why a set of constants cannot run (null when it can): block and tile shapes the shader's fixed
 * register arrays hold, and the device's workgroup limits when given.
 */
export function blockedConstantsProblem(c: Constants, limits?: Readonly<Record<string, number>>): string | null {
  const t = blockedTile(c);
  const threads = c.WG_X * c.WG_Y;
  if (!(c.TM >= 1 && c.TM <= MAX_ROWS && Number.isInteger(c.TM))) return `TM ${c.TM} must be an integer in 1..${MAX_ROWS}`;
  if (!(c.TN === 4 || c.TN === MAX_COLS)) return `TN ${c.TN} must be 4 or ${MAX_COLS}`;
  if (!(c.TILE_K >= 4 && c.TILE_K % 4 === 0)) return `TILE_K ${c.TILE_K} must be a positive multiple of 4`;
  if (t.rows % 4 !== 0) return `the tile's ${t.rows} rows (WG_Y x TM) must be a multiple of 4`;
  const fetches = Math.max(Math.ceil((t.rows * t.k) / 4 / threads), Math.ceil((t.cols * t.k) / 4 / threads));
  if (fetches > MAX_FETCH) return `a ${t.rows} x ${t.cols} x ${t.k} tile needs ${fetches} quads per invocation per operand (at most ${MAX_FETCH})`;
  if (limits) {
    const bytes = blockedWorkgroupBytes(c);
    if (bytes > limits.maxComputeWorkgroupStorageSize) return `${bytes} bytes of workgroup memory exceed the device's ${limits.maxComputeWorkgroupStorageSize}`;
    if (threads > limits.maxComputeInvocationsPerWorkgroup) return `${threads} invocations per workgroup exceed the device's ${limits.maxComputeInvocationsPerWorkgroup}`;
  }
  return null;
}

/** Workgroups covering an M x N output per batch entry and K split. */
export function blockedWorkgroups(u: UniformValues, c: Constants): Workgroups {
  const tile = blockedTile(c);
  const splits = Math.max(1, (u.k_splits as number | undefined) ?? 1);
  return [Math.ceil((u.N as number) / tile.cols), Math.ceil((u.M as number) / tile.rows), (u.batch as number) * splits];
}

/**
 * One spec on the blocked tiling: `strategy`'s tuning, the given variants, and the inputs some
 * variant reads (A and B, and the bias, scale and residual of its epilogues; a variant binds only
 * what it reads).
 */
export function blockedKernel<V extends string>(
  strategy: BlockedStrategy, name: string, variants: Readonly<Record<V, KernelVariant>>, inputs: readonly string[] = ['a', 'b', 'bias', 'scale', 'residual'],
): KernelSpec<V> {
  return defineKernel({
    shader: 'gemm_blocked',
    entryPoint: 'gemm_blocked',
    name,
    inputs,
    outputs: ['c'],
    uniforms: GEMM_BLOCKED_UNIFORMS,
    constants: GEMM_BLOCKED_TUNING[strategy],
    variants,
    dispatch: blockedWorkgroups,
  });
}

/**
 * The epilogues beyond a bias that the blocked kernels fuse (gemm-epilogue.ts; scale and residual
 * are bindings of this shader only): a bias and a residual; BatchNorm's apply (scale, shift) and
 * ReLU; BatchNorm's apply, a residual and ReLU. Variants `<layout>_<name>_col` of the matmul specs
 * (the channel is the column) and `forward_<name>` of the convolution's (the output channel, a row).
 */
export const BLOCKED_FUSED_EPILOGUES: readonly Omit<GemmEpilogue, 'channel'>[] = [
  { bias: true, residual: true },
  { scale: true, bias: true, relu: true },
  { scale: true, bias: true, residual: true, relu: true },
];

// A quad runs along the contiguous axis of each layout ('n' row-major, 't' transposed view).
const quadAxes = {
  nn: { A_QUAD_M: 0, B_QUAD_K: 0 },
  nt: { A_QUAD_M: 0, B_QUAD_K: 1 },
  tn: { A_QUAD_M: 1, B_QUAD_K: 0 },
  tt: { A_QUAD_M: 1, B_QUAD_K: 1 },
};

const blockedMatmulVariants = matmulVariants(quadAxes, [
  ...GEMM_BIAS_EPILOGUES, ...BLOCKED_FUSED_EPILOGUES.map((e): GemmEpilogue => ({ ...e, channel: 'col' })),
]);

export const matmulBlocked4Kernel = blockedKernel('blocked4', 'matmul_blocked4', blockedMatmulVariants);
export const matmulBlocked8Kernel = blockedKernel('blocked8', 'matmul_blocked8', blockedMatmulVariants);

export const BLOCKED_MATMUL_KERNELS: Record<BlockedStrategy, KernelSpec<MatmulVariant>> = {
  blocked4: matmulBlocked4Kernel,
  blocked8: matmulBlocked8Kernel,
};

/** Sizes and operand facts of one call, for its per-call constants. */
export interface BlockedCall {
  M: number;
  N: number;
  K: number;
  /** K chunk of a split-K call (a multiple of TILE_K; `blockedSplitK`). */
  kChunk?: number;
  /** A's quads are 16-byte aligned runs in memory (offset, leading dimension and run length divisible by 4). */
  vecA: boolean;
  vecB: boolean;
}

/**
 * The constants of one call over the (tuned) tuning: vec4 loads where aligned, no bounds checks
 * where M, N, K and the K chunk divide the tile.
 */
export function blockedCallConstants(tuning: Constants, call: BlockedCall): Constants {
  const tile = blockedTile(tuning);
  const chunk = call.kChunk ?? call.K;
  const divides = call.M % tile.rows === 0 && call.N % tile.cols === 0 && call.K % tile.k === 0 && chunk % tile.k === 0;
  return { ...tuning, VEC_A: call.vecA ? 1 : 0, VEC_B: call.vecB ? 1 : 0, CHECK_BOUNDS: divides ? 0 : 1 };
}

/**
 * The split-K partition for a blocked kernel: chunks of a multiple of TILE_K steps (so quads never
 * straddle a chunk), as close to `splits` chunks as that allows.
 */
export function blockedSplitK(K: number, splits: number, tileK: number): { splits: number; chunk: number } {
  if (splits <= 1) return { splits: 1, chunk: K };
  const chunk = Math.ceil(Math.ceil(K / splits) / tileK) * tileK;
  return { splits: Math.max(1, Math.ceil(K / chunk)), chunk };
}
