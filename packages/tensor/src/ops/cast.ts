/**
 * Conversions between dtypes: i32 -> f32 exactly (for |x| < 2^24), f32 -> i32 truncating toward
 * zero. Not differentiable (integer tensors carry no gradient).
 */
import { castToF32Kernel, castToI32Kernel } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import { launchElementwise } from './launch.js';
import { contiguous } from './copy.js';

/** A tensor of `dtype` with the values of x (a new handle when already of that dtype). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return contiguous(x);
  if (dtype === 'f32') return launchElementwise(castToF32Kernel, 'default', x.shape, 'f32', { a: x });
  return launchElementwise(castToI32Kernel, 'default', x.shape, 'i32', { a: x });
}
