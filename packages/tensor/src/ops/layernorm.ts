/**
 * layerNorm over the last dimension: y = (x - mean) / sqrt(var + eps) * weight + bias, with the
 * biased variance of each row (as PyTorch; BERT passes eps = 1e-12). Dedicated backward kernels:
 *   d ln = invstd (gw - mean(gw) - xhat mean(gw xhat)) dx with gw = g weight (per row);
 *   dweight = sum over rows of g xhat, dbias = sum over rows of g.
 * The forward saves the per-row (mean, invstd) for the backward. With a residual,
 * layerNorm(x, ..., residual) = layerNorm(x + residual) in one dispatch ("add & norm": the sum is
 * written beside the output for the backward), whose gradient reaches x and residual alike.
 */
import {
  layerNormRowsKernel, layerNormRowsWorkgroupKernel, layerNormBackwardRowsKernel, layerNormBackwardRowsWorkgroupKernel,
  layerNormBackwardParamsKernel,
} from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { chooseVariant } from '../gpu/variants.js';
import { checkDType } from '../dtype.js';
import { fmt } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';
import { zeros } from './creation.js';
import { sum } from './reduce.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    layer_norm: { x: Tensor; stats: Tensor; weight: Tensor | null; residual: boolean };
  }
}

export type LayerNormStrategy = 'lines' | 'workgroup';

function useWorkgroup(rows: number, dim: number): boolean {
  return chooseVariant('layernorm', rows, dim).variant === 'workgroup';
}


function checkParam(t: Tensor | null, what: string, x: Tensor): Tensor | null {
  if (!t) return null;
  checkDType(t.dtype, 'f32', `layerNorm (${what})`);
  const dim = x.shape[x.rank - 1];
  if (t.rank !== 1 || t.shape[0] !== dim) throw new Error(`layerNorm: ${what} ${fmt(t.shape)} does not match the last dimension of input ${fmt(x.shape)} (${dim})`);
  return t.isContiguous ? t : contiguousCopy(t);
}

/**
 * Layer normalisation over the last dimension; `weight` and `bias` (dim) are optional (1 and 0).
 * With `residual` (the shape of x), normalises x + residual in the same dispatch.
 * Shape: (..., dim) -> (..., dim)
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5, residual: Tensor | null = null): Tensor {
  checkDType(x.dtype, 'f32', 'layerNorm (input)');
  if (x.rank === 0) throw new Error('layerNorm: expected an input of rank >= 1, got a scalar');
  if (residual) {
    checkDType(residual.dtype, 'f32', 'layerNorm (residual)');
    if (residual.rank !== x.rank || residual.shape.some((d, i) => d !== x.shape[i])) {
      throw new Error(`layerNorm: residual ${fmt(residual.shape)} must have the shape of input ${fmt(x.shape)}`);
    }
  }
  const w = checkParam(weight, 'weight', x);
  const b = checkParam(bias, 'bias', x);
  const dim = x.shape[x.rank - 1];
  const rows = x.shape.slice(0, -1).reduce((a, d) => a * d, 1);
  const src = x.isContiguous ? x : contiguousCopy(x);
  const res = residual && !residual.isContiguous ? contiguousCopy(residual) : residual;
  const out = Tensor.empty(x.shape, 'f32', 'layer_norm');
  const stats = Tensor.empty([rows, 2], 'f32', 'layer_norm.stats');
  // the normalised input, which the backward reads: x, or the sum with the residual
  const input = res ? Tensor.empty(x.shape, 'f32', 'layer_norm.input') : src;
  if (x.size > 0) {
    runtime().run(useWorkgroup(rows, dim) ? layerNormRowsWorkgroupKernel : layerNormRowsKernel, res ? 'residual' : 'default', {
      buffers: {
        x: src.buffer, weight: w?.buffer ?? null, bias: b?.buffer ?? null, out: out.buffer, stats_out: stats.buffer,
        residual: res?.buffer ?? null, sum_out: res ? input.buffer : null,
      },
      uniforms: {
        rows, dim, x_offset: src.offset, weight_offset: w?.offset ?? 0, bias_offset: b?.offset ?? 0,
        has_weight: w ? 1 : 0, has_bias: b ? 1 : 0, eps, residual_offset: res?.offset ?? 0,
      },
    });
  }
  if (needsGrad(x, weight, bias, residual)) {
    record('layer_norm', [x, weight, bias, residual], { x: saved(input), stats: saved(stats), weight: w ? saved(w) : null, residual: residual !== null }, out);
  }
  for (const t of [src !== x ? src : null, res !== residual ? res : null, input !== src ? input : null, w !== weight ? w : null, b !== bias ? b : null, stats]) t?.dispose();
  return out;
}

/** Rows per chunk of the parameter-gradient kernel: about 4096 invocations in all. */
function rowChunk(rows: number, dim: number): number {
  const chunks = Math.min(rows, Math.max(1, Math.ceil(4096 / Math.max(1, dim))));
  return Math.max(1, Math.ceil(rows / chunks));
}

/** Gradients of layerNorm for (x, weight, bias). */
export function layerNormGrad(g: Tensor, c: { x: Tensor; stats: Tensor; weight: Tensor | null; residual: boolean }, needs: readonly boolean[]): (Tensor | null)[] {
  const dim = c.x.shape[c.x.rank - 1];
  const rows = c.stats.shape[0];
  if (c.x.size === 0) {
    return [needs[0] ? zeros(c.x.shape) : null, needs[1] ? zeros([dim]) : null, needs[2] ? zeros([dim]) : null, needs[3] ? zeros(c.x.shape) : null];
  }
  const rt = runtime();
  const gc = g.isContiguous && g.offset === 0 ? g : contiguousCopy(g);
  const uniforms = { rows, dim, x_offset: c.x.offset, weight_offset: c.weight?.offset ?? 0, has_weight: c.weight ? 1 : 0 };
  let dx: Tensor | null = null;
  if (needs[0] || needs[3]) {
    dx = Tensor.empty(c.x.shape, 'f32', 'layer_norm_backward');
    rt.run(useWorkgroup(rows, dim) ? layerNormBackwardRowsWorkgroupKernel : layerNormBackwardRowsKernel, 'default', {
      buffers: { x: c.x.buffer, g: gc.buffer, weight: c.weight?.buffer ?? null, stats: c.stats.buffer, out: dx.buffer }, uniforms,
    });
  }
  let dweight: Tensor | null = null;
  let dbias: Tensor | null = null;
  if (needs[1] || needs[2]) {
    const chunk = rowChunk(rows, dim);
    const chunks = Math.ceil(rows / chunk);
    const partial = Tensor.empty([chunks, 2, dim], 'f32', 'layer_norm.param_partial');
    rt.run(layerNormBackwardParamsKernel, 'default', {
      buffers: { x: c.x.buffer, g: gc.buffer, stats: c.stats.buffer, param_partial: partial.buffer },
      uniforms: { ...uniforms, chunk, chunks },
    });
    const both = chunks > 1 ? sum(partial, 0) : partial.view([2, dim], [dim, 1], partial.offset);
    partial.dispose();
    if (needs[1]) dweight = both.view([dim], [1], both.offset);
    if (needs[2]) dbias = both.view([dim], [1], both.offset + dim);
    both.dispose();
  }
  if (gc !== g) gc.dispose();
  // the residual's gradient is dx itself: a handle of its own (each parent disposes its gradient)
  const dresidual = needs[3] && dx ? dx.view(dx.shape, dx.strides, dx.offset) : null;
  if (dx && !needs[0]) {
    dx.dispose();
    dx = null;
  }
  return [dx, dweight, dbias, dresidual];
}
