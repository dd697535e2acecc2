/**
 * Specs of the f16 x f16 -> f32 GEMM family: the plain product (matmul) and the convolutions as
 * implicit GEMM, on three entry points chosen through the variant table ('gemm-f16'):
 *   tiled:           workgroup-memory tiles (shaders/gemm_f16.wgsl; GPUs without subgroup matrices);
 *   direct:          no barriers (gemm_f16.wgsl; CPU adapters);
 *   subgroup-matrix: tensor cores (shaders/gemm_f16_subgroup_matrix.wgsl; an f16 16x16x16 config
 *                    with f32 results and 32-lane subgroups). UNVERIFIED until a GPU run.
 * All need `shader-f16` (`requires`). Same uniforms, hooks and variants as the f32 family (gemm.ts,
 * conv.ts: layouts, the bias epilogues, folded batches, the convolution gathers, each with f16
 * loads), so the op code (matmul.ts, conv2d.ts, linear.ts) drives both through gemm-family.ts. The
 * fused epilogues that read BatchNorm's scale or a residual bind buffers only gemm_blocked.wgsl has
 * (gemm-epilogue.ts); the f16 files, like gemm.wgsl, take the bias ones.
 * Error bound of the f16 product against float64 (`f16GemmErrorBound`): see its comment.
 */
import { defineKernel, type Constants, type KernelSpec, type KernelVariant, type Workgroups } from './spec.js';
import { GEMM_UNIFORMS, GEMM_BLOCK, matmulVariants, type MatmulVariant } from './gemm.js';
import { CONV2D_FORWARD_VARIANTS, CONV2D_BACKWARD_VARIANTS } from './conv.js';
import { F16_UNIT_ROUNDOFF, F32_UNIT_ROUNDOFF } from './f16.js';
import type { UniformValues } from './reflect.js';

/** Tuning of each entry point (WGSL override constants); the subgroup-matrix tile is fixed (64 x 64). */
export const GEMM_F16_TUNING = {
  tiled: { WG_X: 16, WG_Y: 16, TILE_K: 16 },
  direct: { WG_X: 16, WG_Y: 4, TILE_K: 16 },
  'subgroup-matrix': {},
} as const;

export type GemmF16Strategy = keyof typeof GEMM_F16_TUNING;

export const GEMM_F16_STRATEGIES = Object.keys(GEMM_F16_TUNING) as GemmF16Strategy[];

/** Output tile of the subgroup-matrix kernel (BM x BN in gemm_f16_subgroup_matrix.wgsl). */
export const GEMM_SUBGROUP_MATRIX_TILE = { rows: 64, cols: 64 } as const;

/** The subgroup-matrix shape and types the tensor-core kernel is written for. */
export const SUBGROUP_MATRIX_F16_CONFIG = { M: 16, N: 16, K: 16, componentType: 'f16', resultComponentType: 'f32', subgroupSize: 32 } as const;

/** Rows (M) and columns (N) of C one workgroup computes, for an entry point and its constants. */
export function gemmF16Tile(strategy: GemmF16Strategy, c: Constants): { rows: number; cols: number } {
  if (strategy === 'subgroup-matrix') return { ...GEMM_SUBGROUP_MATRIX_TILE };
  return { rows: c.WG_Y * GEMM_BLOCK, cols: c.WG_X * GEMM_BLOCK };
}

function gemmF16Workgroups(strategy: GemmF16Strategy): (u: UniformValues, c: Constants) => Workgroups {
  return (u, c) => {
    const tile = gemmF16Tile(strategy, c);
    const splits = Math.max(1, (u.k_splits as number | undefined) ?? 1);
    return [Math.ceil((u.N as number) / tile.cols), Math.ceil((u.M as number) / tile.rows), (u.batch as number) * splits];
  };
}

const ENTRY_POINTS: Record<GemmF16Strategy, { shader: 'gemm_f16' | 'gemm_f16_subgroup_matrix'; entryPoint: string; requires: readonly string[] }> = {
  tiled: { shader: 'gemm_f16', entryPoint: 'gemm_f16_tiled', requires: ['shader-f16'] },
  direct: { shader: 'gemm_f16', entryPoint: 'gemm_f16_direct', requires: ['shader-f16'] },
  'subgroup-matrix': {
    shader: 'gemm_f16_subgroup_matrix', entryPoint: 'gemm_f16_subgroup_matrix', requires: ['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix'],
  },
};

/** One spec of the f16 GEMM family (see gemmKernel in gemm.ts). */
function gemmF16Kernel<V extends string>(strategy: GemmF16Strategy, name: string, inputs: readonly string[], variants: Readonly<Record<V, KernelVariant>>): KernelSpec<V> {
  return defineKernel({
    ...ENTRY_POINTS[strategy],
    name,
    inputs,
    outputs: ['c'],
    uniforms: GEMM_UNIFORMS,
    constants: { ...GEMM_F16_TUNING[strategy] },
    variants,
    dispatch: gemmF16Workgroups(strategy),
  });
}

/**
 * The f32 family's variants with their loads returning f16: the f16 files bind A and B as
 * array<f16> (`b_at` returns f16 there); the hooks, written `select(0.0, a[i], inside)`, are
 * otherwise the same text. Epilogues and stores are f32 in both families (C and the bias are f32).
 */
function withF16Loads<V extends string>(variants: Readonly<Record<V, KernelVariant>>): Record<V, KernelVariant> {
  const f32Signature = /\) -> f32 \{/;
  const out = {} as Record<V, KernelVariant>;
  for (const [name, variant] of Object.entries(variants) as [V, KernelVariant][]) {
    const hooks: Record<string, string> = { ...variant.hooks };
    for (const load of ['load_a', 'load_b']) {
      if (!(load in hooks)) continue;
      if (!f32Signature.test(hooks[load])) throw new Error(`gemm-f16: hook ${load} of variant ${name} no longer returns f32 (its family changed)`);
      hooks[load] = hooks[load].replace(f32Signature, ') -> f16 {');
    }
    out[name] = { ...variant, ...(variant.hooks ? { hooks } : {}) };
  }
  return out;
}

// the f32 family's variants (matmul: layouts, bias epilogues, folded batches; the convolutions'
// gathers and bias variants), so both families offer the same ones
const matmulF16Variants = withF16Loads(matmulVariants());
const forwardVariants = withF16Loads(CONV2D_FORWARD_VARIANTS);
const backwardVariants = withF16Loads(CONV2D_BACKWARD_VARIANTS);

function family(strategy: GemmF16Strategy, suffix: string) {
  return {
    matmul: gemmF16Kernel(strategy, `matmul_f16_${suffix}`, ['a', 'b', 'bias'], matmulF16Variants),
    forward: gemmF16Kernel(strategy, `conv2d_f16_${suffix}`, ['a', 'b', 'bias'], forwardVariants),
    backward: gemmF16Kernel(strategy, `conv2d_backward_f16_${suffix}`, ['a', 'b'], backwardVariants),
  };
}

const tiled = family('tiled', 'tiled');
const direct = family('direct', 'direct');
const subgroupMatrix = family('subgroup-matrix', 'subgroup_matrix');

export const matmulF16TiledKernel = tiled.matmul;
export const matmulF16DirectKernel = direct.matmul;
export const matmulF16SubgroupMatrixKernel = subgroupMatrix.matmul;
export const conv2dF16TiledKernel = tiled.forward;
export const conv2dF16DirectKernel = direct.forward;
export const conv2dF16SubgroupMatrixKernel = subgroupMatrix.forward;
export const conv2dBackwardF16TiledKernel = tiled.backward;
export const conv2dBackwardF16DirectKernel = direct.backward;
export const conv2dBackwardF16SubgroupMatrixKernel = subgroupMatrix.backward;

/** The f16 matmul spec of each entry point. */
export const MATMUL_F16_KERNELS: Record<GemmF16Strategy, KernelSpec<MatmulVariant>> = {
  tiled: tiled.matmul,
  direct: direct.matmul,
  'subgroup-matrix': subgroupMatrix.matmul,
};

/** The f16 convolution specs of each entry point: forward (with or without an f32 bias) and the two gradients (the weight's with or without the bias column). */
export const CONV2D_F16_KERNELS: Record<GemmF16Strategy, { forward: KernelSpec<'forward' | 'forward_bias'>; backward: KernelSpec<'input' | 'weight' | 'weight_bias'> }> = {
  tiled: { forward: tiled.forward, backward: tiled.backward },
  direct: { forward: direct.forward, backward: direct.backward },
  'subgroup-matrix': { forward: subgroupMatrix.forward, backward: subgroupMatrix.backward },
};

/**
 * Bound on |C - C64| of an f16 GEMM element against the float64 product of the *f32* operands:
 *   each operand is rounded once to f16 (relative error <= u16 = 2^-11), so each product term
 *   a_k b_k is off by at most (2 u16 + u16^2) |a_k| |b_k|; the f32 sum of K terms adds at most
 *   gamma_K = K u32 / (1 - K u32) times sum |a_k b_k| (the classic recursive-summation bound,
 *   u32 = 2^-24); together |C - C64| <= (2 u16 + u16^2 + gamma_K) * sum_k |a_k| |b_k|.
 * Tests pass sum_k |a_k||b_k| (the float64 product of |A| and |B|) per element.
 */
export function f16GemmErrorBound(K: number, absProduct: number): number {
  const gamma = (K * F32_UNIT_ROUNDOFF) / (1 - K * F32_UNIT_ROUNDOFF);
  return (2 * F16_UNIT_ROUNDOFF + F16_UNIT_ROUNDOFF ** 2 + gamma) * absProduct;
}
