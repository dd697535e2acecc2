/**
 * Every GEMM entry point the variant table chooses from (the `gemm` kernel's variants): the CPU
 * and generic ones of gemm.ts / conv.ts and the register-blocked GPU ones of gemm-blocked.ts /
 * gemm-blocked-conv.ts, with the spec of each product and the tile each covers, so ops run any of
 * them through one lookup.
 */
import { GEMM_STRATEGIES, MATMUL_KERNELS, gemmTile, type GemmStrategy, type MatmulVariant } from './gemm.js';
import { CONV2D_KERNELS } from './conv.js';
import { BLOCKED_STRATEGIES, BLOCKED_MATMUL_KERNELS, blockedTile, isBlockedStrategy, type BlockedStrategy } from './gemm-blocked.js';
import { BLOCKED_CONV2D_KERNELS } from './gemm-blocked-conv.js';
import type { Constants, KernelSpec } from './spec.js';

export type GemmVariant = GemmStrategy | BlockedStrategy;

/** All entry points, in the order of the variant table's `gemm` candidates. */
export const GEMM_VARIANTS: readonly GemmVariant[] = [...GEMM_STRATEGIES, ...BLOCKED_STRATEGIES];

/** The matmul spec of an entry point (variants: the layouts nn, nt, tn, tt, with a bias epilogue or folded). */
export function matmulKernelFor(variant: GemmVariant): KernelSpec<MatmulVariant> {
  return isBlockedStrategy(variant) ? BLOCKED_MATMUL_KERNELS[variant] : MATMUL_KERNELS[variant];
}

/** The convolution specs of an entry point: forward (with or without the bias) and the two gradients (the weight's with or without the bias column). */
export function conv2dKernelsFor(variant: GemmVariant): { forward: KernelSpec<'forward' | 'forward_bias'>; backward: KernelSpec<'input' | 'weight' | 'weight_bias'> } {
  return isBlockedStrategy(variant) ? BLOCKED_CONV2D_KERNELS[variant] : CONV2D_KERNELS[variant];
}

/** Rows (M) and columns (N) of C one workgroup of an entry point computes, for its constants in effect. */
export function gemmVariantTile(variant: GemmVariant, constants: Constants): { rows: number; cols: number } {
  return isBlockedStrategy(variant) ? blockedTile(constants) : gemmTile(variant, constants);
}
