/**
 * Specs of the GEMM family (shaders/gemm.wgsl): batched matmul with transposed-operand layouts
 * as constants, and the float64 reference. The convolution variants (implicit GEMM) live in
 * conv.ts and reuse this tiling through hooks.
 */
import { defineKernel, type Constants, type KernelVariant, type Workgroups } from './spec.js';
import type { UniformValues } from './reflect.js';

export const GEMM_UNIFORMS = [
  'M', 'N', 'K', 'batch', 'a_offset', 'b_offset', 'c_offset', 'bias_offset', 'a_batch_stride', 'b_batch_stride',
  'c_batch_stride', 'lda', 'ldb', 'ldc', 'alpha', 'beta', 'images', 'c_in', 'in_h', 'in_w', 'c_out', 'k_h', 'k_w',
  'out_h', 'out_w', 'stride_h', 'stride_w', 'pad_h', 'pad_w', 'dil_h', 'dil_w', 'groups_unused',
] as const;

/** Register block per invocation (TM = TN = 4 in the shader). */
export const GEMM_BLOCK = 4;

/** Workgroups covering an M x N output per batch entry, for the constants in effect. */
export function gemmWorkgroups(u: UniformValues, c: Constants): Workgroups {
  const tileM = c.WG_Y * GEMM_BLOCK;
  const tileN = c.WG_X * GEMM_BLOCK;
  return [Math.ceil((u.N as number) / tileN), Math.ceil((u.M as number) / tileM), u.batch as number];
}

/** Tuning of each entry point: tiled for GPUs, direct (no workgroup memory) for CPU adapters. */
export const GEMM_TUNING = {
  tiled: { WG_X: 16, WG_Y: 16, TILE_K: 16 },
  direct: { WG_X: 8, WG_Y: 8, TILE_K: 16 },
} as const;

export type GemmStrategy = keyof typeof GEMM_TUNING;

/** Plain matmul variants: layout of A and B ('n' row-major, 't' transposed view). */
const layouts: Record<string, KernelVariant> = {
  nn: { constants: { A_T: 0, B_T: 0 } },
  nt: { constants: { A_T: 0, B_T: 1 } },
  tn: { constants: { A_T: 1, B_T: 0 } },
  tt: { constants: { A_T: 1, B_T: 1 } },
};

const gemmBase = {
  shader: 'gemm',
  inputs: ['a', 'b'],
  outputs: ['c'],
  uniforms: GEMM_UNIFORMS,
  dispatch: gemmWorkgroups,
} as const;

export const matmulTiledKernel = defineKernel({ ...gemmBase, name: 'matmul_tiled', entryPoint: 'gemm_tiled', constants: GEMM_TUNING.tiled, variants: layouts });
export const matmulDirectKernel = defineKernel({ ...gemmBase, name: 'matmul_direct', entryPoint: 'gemm_direct', constants: GEMM_TUNING.direct, variants: layouts });

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
