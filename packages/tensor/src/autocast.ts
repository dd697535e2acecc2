/**
 * Mixed precision's forward policy: inside `autocast(fn)`, matmul, linear and conv2d given f32 operands
 * cast them to f16 (differentiably) and run the f16 x f16 -> f32 GEMM, so the GEMMs read half the
 * bytes (and run on tensor cores where the adapter has them) and save f16 copies of their inputs
 * for the backward; every other op computes in f32 as before, and outputs stay f32. The gradients
 * of the casts are f32 (dtype.ts), so master weights and their gradients stay f32.
 * The region is dynamic (like noGrad): ops called while fn runs see it.
 */
import type { Tensor } from './tensor.js';
import { adapterFacts } from './gpu/variants.js';
import { gpu } from './gpu/device.js';

let active = false;

/**
 * Why mixed precision cannot run on the current device, or null when it can. (Dawn exposes
 * shader-f16 on NVIDIA's Vulkan driver only with its experimental toggles: FUSION_EXPERIMENTAL=1.)
 */
export function mixedPrecisionUnavailable(): string | null {
  if (adapterFacts().shaderF16) return null;
  const g = gpu();
  const hint = g.info.dawnFlags.some((f) => f.includes('vulkan_enable_f16_on_nvidia')) ? '' : ' (on NVIDIA, Dawn offers it with FUSION_EXPERIMENTAL=1)';
  return `mixed precision needs the shader-f16 feature, which this adapter (${g.info.description}) lacks${hint}; use f32`;
}

/** Runs fn with f16 GEMM inputs (see the module comment); throws when the device lacks shader-f16. */
export function autocast<T>(fn: () => T): T {
  const why = mixedPrecisionUnavailable();
  if (why) throw new Error(why);
  const previous = active;
  active = true;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** Whether an autocast region is active. */
export function isAutocastEnabled(): boolean {
  return active;
}

/** True when a GEMM on these operands should run in f16: inside autocast, both f32. */
export function autocastsToF16(...operands: readonly Tensor[]): boolean {
  return active && operands.every((t) => t.dtype === 'f32');
}
