/**
 * What an op tells the register-blocked GPU GEMM (@fusion/kernels gemm-blocked.ts) about one call:
 * whether its operand buffers can be bound as vec4 arrays at all (a multiple of 16 bytes; the
 * pool's buckets are), and whether an operand's quads are 16-byte aligned runs (vec4 loads).
 * The per-call constants themselves come from `blockedCallConstants`.
 */
import { blockedCallConstants, blockedSplitK, isBlockedStrategy, type Constants, type GemmVariant, type BlockedCall } from '@fusion/kernels';

/** Whether every operand buffer can be bound as `array<vec4<f32>>` without losing its tail. */
export function vec4Bindable(...buffers: readonly GPUBuffer[]): boolean {
  return buffers.every((b) => b.size % 16 === 0);
}

/**
 * Whether runs of `run` elements starting at `offset`, `ld` apart (and `batchStride` apart across
 * batch entries), are 16-byte aligned quads: every quad one vec4 load.
 */
export function alignedQuads(offset: number, ld: number, run: number, batchStride = 0): boolean {
  return offset % 4 === 0 && ld % 4 === 0 && run % 4 === 0 && batchStride % 4 === 0;
}

/** The constants of a call: the blocked kernels' per-call specialisation, others' own unchanged. */
export function gemmCallConstants(strategy: GemmVariant, constants: Constants, call: BlockedCall): Constants {
  return isBlockedStrategy(strategy) ? blockedCallConstants(constants, call) : constants;
}

/**
 * The split-K partition of a call: the blocked kernels need chunks of whole TILE_K tiles; the
 * others take ceil(K / splits).
 */
export function gemmSplitK(strategy: GemmVariant, constants: Constants, K: number, splits: number): { splits: number; chunk: number } {
  if (isBlockedStrategy(strategy)) return blockedSplitK(K, splits, constants.TILE_K);
  return { splits, chunk: Math.ceil(K / splits) };
}
