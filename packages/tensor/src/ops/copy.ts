/**
 * contiguous(x): a row-major copy of a strided view (bit-exact, any dtype); identity gradient.
 * f16 views are copied by their own kernel (two packed elements per word).
 */
import { copyKernel, copyF16Kernel } from '@fusion/kernels';
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
  if (t.dtype === 'f16') {
    // the f16 copy writes a new tensor given as `into`, so the launcher keeps it row-major (and
    // leaves it to us to free when the launch throws, e.g. past the binding limit)
    const out = Tensor.empty(t.shape, 'f16', 'contiguous');
    try {
      return launchElementwise(copyF16Kernel, 'default', t.shape, 'f16', { a: t }, {}, out);
    } catch (e) {
      out.dispose();
      throw e;
    }
  }
  return launchElementwise(copyKernel, 'default', t.shape, t.dtype, { a: t });
}

/** Copies `src` (broadcast to dst's shape) into `dst` (any non-overlapping view), in place. */
export function copyInto(dst: Tensor, src: Tensor): void {
  if (dst.dtype === 'f16' || src.dtype === 'f16') {
    throw new Error(`copyInto: f16 views cannot be written in place (two elements share a word); cast to f32, or build the f16 tensor with cast()`);
  }
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
