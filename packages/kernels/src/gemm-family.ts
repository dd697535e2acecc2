/**
 * Every GEMM entry point the variant table chooses from, for both operand types: for f32 operands
 * the `gemm` kernel's variants (the CPU and generic ones of gemm.ts / conv.ts and the
 * register-blocked GPU ones of gemm-blocked.ts / gemm-blocked-conv.ts), for f16 operands the
 * `gemm-f16` kernel's (gemm-f16.ts: tiled, direct, subgroup-matrix), with the spec of each product
 * and the tile each covers, so ops run any of them through one lookup.
 */
import { GEMM_STRATEGIES, MATMUL_KERNELS, gemmTile, type GemmStrategy, type MatmulVariant } from './gemm.js';
import { CONV2D_KERNELS } from './conv.js';
import { BLOCKED_STRATEGIES, BLOCKED_MATMUL_KERNELS, blockedTile, isBlockedStrategy, type BlockedStrategy } from './gemm-blocked.js';
import { BLOCKED_CONV2D_KERNELS } from './gemm-blocked-conv.js';
import { GEMM_F16_STRATEGIES, MATMUL_F16_KERNELS, CONV2D_F16_KERNELS, gemmF16Tile, type GemmF16Strategy } from './gemm-f16.js';
import type { Constants, KernelSpec } from './spec.js';

/** An entry point of the f32 family (the variant table's `gemm`). */
export type GemmVariant = GemmStrategy | BlockedStrategy;

/** The operand type of a GEMM: f32 x f32 or f16 x f16 (both accumulate and return f32). */
export type GemmDType = 'f32' | 'f16';

/** An entry point of either family: a GemmVariant for f32 operands, a GemmF16Strategy for f16. */
export type GemmEntryPoint = GemmVariant | GemmF16Strategy;

/** All f32 entry points, in the order of the variant table's `gemm` candidates. */
export const GEMM_VARIANTS: readonly GemmVariant[] = [...GEMM_STRATEGIES, ...BLOCKED_STRATEGIES];

/** The entry points of a family, in the order of its variant table candidates (`gemm`, `gemm-f16`). */
export function gemmVariantsOf(dtype: GemmDType): readonly GemmEntryPoint[] {
  return dtype === 'f16' ? GEMM_F16_STRATEGIES : GEMM_VARIANTS;
}

function entryOf(variant: GemmEntryPoint, dtype: GemmDType): { dtype: 'f32'; variant: GemmVariant } | { dtype: 'f16'; variant: GemmF16Strategy } {
  if (!(gemmVariantsOf(dtype) as readonly string[]).includes(variant)) {
    throw new Error(`GEMM: ${variant} is not an entry point of the ${dtype} family (${gemmVariantsOf(dtype).join(', ')})`);
  }
  return dtype === 'f16' ? { dtype, variant: variant as GemmF16Strategy } : { dtype, variant: variant as GemmVariant };
}

/** The matmul spec of an entry point of the `dtype` family (variants: the layouts nn, nt, tn, tt, with a bias epilogue or folded). */
export function matmulKernelFor(variant: GemmEntryPoint, dtype: GemmDType = 'f32'): KernelSpec<MatmulVariant> {
  const e = entryOf(variant, dtype);
  if (e.dtype === 'f16') return MATMUL_F16_KERNELS[e.variant];
  return isBlockedStrategy(e.variant) ? BLOCKED_MATMUL_KERNELS[e.variant] : MATMUL_KERNELS[e.variant];
}

/**
 * The convolution specs of an entry point of the `dtype` family: forward (with or without the
 * bias) and the two gradients (the weight's with or without the bias column).
 */
export function conv2dKernelsFor(
  variant: GemmEntryPoint, dtype: GemmDType = 'f32',
): { forward: KernelSpec<'forward' | 'forward_bias'>; backward: KernelSpec<'input' | 'weight' | 'weight_bias'> } {
  const e = entryOf(variant, dtype);
  if (e.dtype === 'f16') return CONV2D_F16_KERNELS[e.variant];
  return isBlockedStrategy(e.variant) ? BLOCKED_CONV2D_KERNELS[e.variant] : CONV2D_KERNELS[e.variant];
}

/** Rows (M) and columns (N) of C one workgroup of an entry point computes, for its constants in effect. */
export function gemmVariantTile(variant: GemmEntryPoint, constants: Constants, dtype: GemmDType = 'f32'): { rows: number; cols: number } {
  const e = entryOf(variant, dtype);
  if (e.dtype === 'f16') return gemmF16Tile(e.variant, constants);
  return isBlockedStrategy(e.variant) ? blockedTile(constants) : gemmTile(e.variant, constants);
}
