/**
 * Spec of dynamic loss scaling's check (shaders/loss_scale.wgsl): gradients (one flat f32 buffer)
 * multiplied by 1 / scale in place, and a flag raised when any is infinite or NaN; with the host
 * reference.
 */
import { defineKernel, grid1d } from './spec.js';

export const unscaleCheckKernel = defineKernel({
  name: 'unscale_check',
  shader: 'loss_scale',
  entryPoint: 'unscale_check',
  inputs: [],
  outputs: ['grads', 'found'],
  uniforms: ['numel', 'inv_scale'],
  constants: { WG: 256, ITEMS: 4 },
  variants: { default: {} },
  dispatch: (u, c) => grid1d(Math.ceil((u.numel as number) / c.ITEMS), c.WG),
});

/** Host reference: the unscaled gradients (f32 products) and whether any input was not finite. */
export function unscaleCheckReference(grads: Float32Array, scale: number): { grads: Float32Array; found: boolean } {
  const inv = Math.fround(1 / scale);
  return { grads: grads.map((g) => Math.fround(g * inv)), found: grads.some((g) => !Number.isFinite(g)) };
}
