/**
 * Specs of the f16 x f16 -> f32 GEMM family: the plain product (matmul) and the convolutions as
 * implicit GEMM, on three entry points chosen through the variant table ('gemm-f16'):
 *   tiled:           workgroup-memory tiles (shaders/gemm_f16.wgsl; GPUs without subgroup matrices);
 *   direct:          no barriers (gemm_f16.wgsl; CPU adapters);
 *   subgroup-matrix: tensor cores (shaders/gemm_f16_subgroup_matrix.wgsl; an f16 16x16x16 config
 *                    with f32 results and 32-lane subgroups). UNVERIFIED until a GPU run.
 * All need `shader-f16` (`requires`). Same uniforms and hooks as the f32 family (gemm.ts), so the
 * op code (matmul.ts, conv2d.ts) drives both; the convolution gathers are conv.ts's with f16 loads.
 * Error bound of the f16 product against float64 (`f16GemmErrorBound`): see its comment.
 */
import { defineKernel, type Constants, type KernelSpec, type KernelVariant, type Workgroups } from './spec.js';
import { GEMM_UNIFORMS, GEMM_BLOCK } from './gemm.js';
import { CONV2D_HOOKS } from './conv.js';
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
 * A convolution's hooks with loads returning f16 (the f16 files bind A and B as array<f16>; the
 * gathers, written `select(0.0, a[i], inside)`, are otherwise the same text).
 */
function withF16Loads(hooks: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...hooks };
  for (const name of ['load_a', 'load_b']) {
    const f32Signature = /\) -> f32 \{/;
    if (!f32Signature.test(out[name])) throw new Error(`gemm-f16: hook ${name} no longer returns f32 (conv.ts changed)`);
    out[name] = out[name].replace(f32Signature, ') -> f16 {');
  }
  return out;
}

const layouts = {
  nn: { constants: { A_T: 0, B_T: 0 } },
  nt: { constants: { A_T: 0, B_T: 1 } },
  tn: { constants: { A_T: 1, B_T: 0 } },
  tt: { constants: { A_T: 1, B_T: 1 } },
};
const forwardVariants = { forward: { hooks: withF16Loads(CONV2D_HOOKS.forward) } };
const backwardVariants = { input: { hooks: withF16Loads(CONV2D_HOOKS.input) }, weight: { hooks: withF16Loads(CONV2D_HOOKS.weight) } };

function family(strategy: GemmF16Strategy, suffix: string) {
  return {
    matmul: gemmF16Kernel(strategy, `matmul_f16_${suffix}`, ['a', 'b'], layouts),
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
export const MATMUL_F16_KERNELS: Record<GemmF16Strategy, KernelSpec<keyof typeof layouts>> = {
  tiled: tiled.matmul,
  direct: direct.matmul,
  'subgroup-matrix': subgroupMatrix.matmul,
};

/** The f16 convolution specs of each entry point: forward (with optional f32 bias) and the two gradients. */
export const CONV2D_F16_KERNELS: Record<GemmF16Strategy, { forward: KernelSpec<'forward'>; backward: KernelSpec<'input' | 'weight'> }> = {
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
