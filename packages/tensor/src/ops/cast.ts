/**
 * Conversions between dtypes: i32 -> f32 exactly (for |x| < 2^24), f32 -> i32 truncating toward
 * zero, f32 -> f16 rounding to nearest even (overflow to +-inf, as the loss scaler needs), f16 ->
 * f32 exactly. f32 <-> f16 is differentiable, d cast(x) = dx: gradients are f32 whatever the
 * dtype (dtype.ts), so the rule passes the gradient through. Integer casts carry no gradient.
 */
import { castToF32Kernel, castToI32Kernel, castF32ToF16Kernel, castF16ToF32Kernel } from '@fusion/kernels';
import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import { launchElementwise } from './launch.js';
import { contiguous } from './copy.js';
import { needsGrad, record } from '../autograd/graph.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    cast: Record<string, never>;
  }
}

/** A new tensor of `dtype` with the values of x, without autograd (x may be any view; a dense permuted x keeps its layout). */
export function castRaw(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) throw new Error(`castRaw: tensor is already ${dtype}`);
  if (dtype === 'f16') {
    if (x.dtype === 'f32') return launchElementwise(castF32ToF16Kernel, 'default', x.shape, 'f16', { a: x });
    const wide = castRaw(x, 'f32');
    const out = castRaw(wide, 'f16');
    wide.dispose();
    return out;
  }
  if (x.dtype === 'f16') {
    const wide = launchElementwise(castF16ToF32Kernel, 'default', x.shape, 'f32', { a: x });
    if (dtype === 'f32') return wide;
    const out = castRaw(wide, dtype);
    wide.dispose();
    return out;
  }
  if (dtype === 'f32') return launchElementwise(castToF32Kernel, 'default', x.shape, 'f32', { a: x });
  return launchElementwise(castToI32Kernel, 'default', x.shape, 'i32', { a: x });
}

/** A tensor of `dtype` with the values of x (a new handle when already of that dtype). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return contiguous(x);
  const out = castRaw(x, dtype);
  const floats = dtype !== 'i32' && x.dtype !== 'i32';
  if (floats && needsGrad(x)) record('cast', [x], {}, out);
  return out;
}

/** d cast(x) = dx, as an f32 gradient (a gradient seeded in f16 at an f16 root is widened). */
export function castGrad(g: Tensor): (Tensor | null)[] {
  return [g.dtype === 'f32' ? g.view(g.shape, g.strides, g.offset) : castRaw(g, 'f32')];
}
