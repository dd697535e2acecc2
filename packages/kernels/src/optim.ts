/**
 * Specs of the optimizer updates (shaders/optim.wgsl) and float64 references of one step. One
 * dispatch updates a range of elements: a parameter, or many parameters packed into one buffer.
 */
import { defineKernel, grid1d } from './spec.js';

const base = {
  shader: 'optim',
  uniforms: ['numel', 'first_step', 'nesterov', 'decoupled', 'lr', 'weight_decay', 'momentum', 'dampening', 'beta1', 'beta2', 'eps', 'bias_correction1', 'bias_correction2_sqrt', 'p_offset', 'g_offset', 's_offset'],
  constants: { WG: 256 },
  variants: { default: {} },
  dispatch: (u: Record<string, unknown>, c: Record<string, number>) => grid1d(u.numel as number, c.WG),
} as const;

export const sgdKernel = defineKernel({ ...base, name: 'sgd', entryPoint: 'sgd', inputs: ['grad'], outputs: ['p', 'm'] });
export const adamKernel = defineKernel({ ...base, name: 'adam', entryPoint: 'adam', inputs: ['grad'], outputs: ['p', 'm', 'v'] });

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

/** One Adam(W) step in float64 on host arrays (p, m, v updated in place); `step` counts from 1. */
export function adamReference(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, step: number, h: AdamHyper): void {
  const bc1 = 1 - h.beta1 ** step;
  const bc2 = 1 - h.beta2 ** step;
  for (let i = 0; i < p.length; i++) {
    let gi = g[i];
    if (h.decoupled) p[i] *= 1 - h.lr * h.weightDecay;
    else gi += h.weightDecay * p[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
    p[i] -= (h.lr / bc1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + h.eps);
  }
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** One SGD step in float64 (p and buf updated in place); `first` is true on the first step. */
export function sgdReference(p: Float64Array, g: ArrayLike<number>, buf: Float64Array, first: boolean, h: SgdHyper): void {
  for (let i = 0; i < p.length; i++) {
    let gi = g[i] + h.weightDecay * p[i];
    if (h.momentum !== 0) {
      buf[i] = first ? gi : h.momentum * buf[i] + (1 - h.dampening) * gi;
      gi = h.nesterov ? gi + h.momentum * buf[i] : buf[i];
    }
    p[i] -= h.lr * gi;
  }
}
