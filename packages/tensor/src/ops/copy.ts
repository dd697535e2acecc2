/**
 * contiguous(x): a row-major copy of a strided view (bit-exact, any dtype); identity gradient.
 */
import { copyKernel } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { launchElementwise } from './launch.js';
import { needsGrad, record } from '../autograd/graph.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    contiguous: Record<string, never>;
  }
}

/** A contiguous copy of `t` without autograd (readback and kernels that need row-major input). */
export function contiguousCopy(t: Tensor): Tensor {
  return launchElementwise(copyKernel, 'default', t.shape, t.dtype, { a: t });
}

/** Copies `src` (broadcast to dst's shape) into `dst` (any non-overlapping view), in place. */
export function copyInto(dst: Tensor, src: Tensor): void {
  launchElementwise(copyKernel, 'default', dst.shape, dst.dtype, { a: src }, {}, dst);
  dst.storage.version++;
}

/** `x` itself when already contiguous (a new handle), else a row-major copy. d(copy) = identity. */
export function contiguous(x: Tensor): Tensor {
  const out = x.isContiguous ? x.view(x.shape, x.strides, x.offset) : contiguousCopy(x);
  if (needsGrad(x)) record('contiguous', [x], {}, out);
  return out;
}

export function contiguousGrad(g: Tensor): (Tensor | null)[] {
  return [g.view(g.shape, g.strides, g.offset)];
}
