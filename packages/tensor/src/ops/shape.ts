/**
 * Shape ops. reshape (a view when contiguous, else a copy), permute/transpose, expand, slice,
 * squeeze/unsqueeze are views sharing storage; concat copies. Gradient rules:
 *   reshape: reshape back     permute: inverse permutation     expand: sum over expanded dims
 *   slice: the gradient placed in zeros of the input's shape   concat: slices of the gradient
 */
import { Tensor } from '../tensor.js';
import { fmt, inferShape, normAxis, numel, contiguousStrides, viewStrides, type Shape } from '../shape.js';
import { needsGrad, record } from '../autograd/graph.js';
import { contiguousCopy, copyInto } from './copy.js';
import { sumToShape } from './reduce.js';
import { zeros } from './creation.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    reshape: { inShape: readonly number[] };
    permute: { dims: readonly number[] };
    expand: { inShape: readonly number[] };
    slice: { inShape: readonly number[]; axis: number; start: number; step: number };
    concat: { axis: number; sizes: number[] };
  }
}

function viewOf(x: Tensor, shape: Shape, strides: Shape, offset: number): Tensor {
  return x.view(shape, strides, offset);
}

/**
 * A tensor with the same elements (row-major order) in a new shape; one -1 is inferred. A view
 * when the layout allows it (always for contiguous tensors), else a copy.
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const target = inferShape(shape, x.size, x.shape, 'reshape');
  const strides = viewStrides(x.shape, x.strides, target);
  let out: Tensor;
  if (strides) out = viewOf(x, target, strides, x.offset);
  else {
    const src = contiguousCopy(x);
    out = viewOf(src, target, contiguousStrides(target), src.offset);
    src.dispose();
  }
  if (needsGrad(x)) record('reshape', [x], { inShape: x.shape }, out);
  return out;
}

/** Reorders dimensions: out.shape[i] = x.shape[dims[i]] (a view). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.rank) throw new Error(`permute: ${dims.length} dims given for a tensor of rank ${x.rank} ${fmt(x.shape)}`);
  const norm = dims.map((d) => normAxis(d, x.rank, 'permute'));
  if (new Set(norm).size !== norm.length) throw new Error(`permute: repeated dims in [${dims.join(', ')}]`);
  const out = viewOf(x, norm.map((d) => x.shape[d]), norm.map((d) => x.strides[d]), x.offset);
  if (needsGrad(x)) record('permute', [x], { dims: norm }, out);
  return out;
}

/** Swaps two dimensions (a view). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const dims = Array.from({ length: x.rank }, (_, i) => i);
  const i = normAxis(a, x.rank, 'transpose');
  const j = normAxis(b, x.rank, 'transpose');
  [dims[i], dims[j]] = [dims[j], dims[i]];
  return permute(x, dims);
}

/** Broadcasts size-1 (or missing leading) dims to `shape` without copying (stride 0). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const shift = shape.length - x.rank;
  if (shift < 0) throw new Error(`expand: cannot expand ${fmt(x.shape)} to fewer dims ${fmt(shape)}`);
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - shift] : d));
  const strides = target.map((d, i) => {
    const k = i - shift;
    if (k < 0) return 0;
    if (x.shape[k] === d) return x.strides[k];
    if (x.shape[k] === 1) return 0;
    throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)} (dim ${i}: ${x.shape[k]} vs ${d})`);
  });
  const out = viewOf(x, target, strides, x.offset);
  if (needsGrad(x)) record('expand', [x], { inShape: x.shape }, out);
  return out;
}

/** Elements start, start+step, ... < end along one axis (a view). Negative indices count from the end. */
export function slice(x: Tensor, axis: number, start: number, end = Infinity, step = 1): Tensor {
  const ax = normAxis(axis, x.rank, 'slice');
  const n = x.shape[ax];
  if (!Number.isInteger(step) || step < 1) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const s = Math.min(Math.max(start < 0 ? start + n : start, 0), n);
  const e = Math.min(Math.max(end < 0 ? end + n : end, s), n);
  const len = Math.ceil((e - s) / step);
  const shape = [...x.shape];
  shape[ax] = len;
  const strides = [...x.strides];
  strides[ax] = x.strides[ax] * step;
  const out = viewOf(x, shape, strides, x.offset + s * x.strides[ax]);
  if (needsGrad(x)) record('slice', [x], { inShape: x.shape, axis: ax, start: s, step }, out);
  return out;
}

/** Joins tensors of equal shape except along `axis`. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors given');
  const first = xs[0];
  const ax = normAxis(axis, first.rank, 'concat');
  for (const t of xs) {
    if (t.rank !== first.rank || t.dtype !== first.dtype || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new Error(`concat: shapes ${xs.map((u) => fmt(u.shape) + ' ' + u.dtype).join(', ')} differ outside axis ${axis}`);
    }
  }
  const sizes = xs.map((t) => t.shape[ax]);
  const shape = [...first.shape];
  shape[ax] = sizes.reduce((a, b) => a + b, 0);
  const out = Tensor.empty(shape, first.dtype, 'concat');
  let at = 0;
  for (const t of xs) {
    const part = slice(out, ax, at, at + t.shape[ax]);
    copyInto(part, t);
    part.dispose();
    at += t.shape[ax];
  }
  if (needsGrad(...xs)) record('concat', xs, { axis: ax, sizes }, out);
  return out;
}

/** Removes size-1 dims (all, or the one at `axis`). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const ax = normAxis(axis, x.rank, 'squeeze');
  if (x.shape[ax] !== 1) throw new Error(`squeeze: dim ${axis} of ${fmt(x.shape)} is not 1`);
  return reshape(x, x.shape.filter((_, i) => i !== ax));
}

/** Inserts a size-1 dim at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const ax = normAxis(axis, x.rank + 1, 'unsqueeze');
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return reshape(x, shape);
}

/** Flattens dims from `start` to `end` (inclusive) into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  const s = normAxis(start, x.rank, 'flatten');
  const e = normAxis(end, x.rank, 'flatten');
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export const shapeGrads = {
  reshape: (g: Tensor, c: { inShape: readonly number[] }) => [reshape(g, c.inShape)],
  permute: (g: Tensor, c: { dims: readonly number[] }) => {
    const inverse = new Array<number>(c.dims.length);
    c.dims.forEach((d, i) => (inverse[d] = i));
    return [permute(g, inverse)];
  },
  expand: (g: Tensor, c: { inShape: readonly number[] }) => [sumToShape(g, c.inShape)],
  slice: (g: Tensor, c: { inShape: readonly number[]; axis: number; start: number; step: number }) => {
    const dx = zeros(c.inShape);
    const region = slice(dx, c.axis, c.start, c.start + g.shape[c.axis] * c.step - (c.step - 1), c.step);
    copyInto(region, g);
    region.dispose();
    return [dx];
  },
  concat: (g: Tensor, c: { axis: number; sizes: number[] }) => {
    let at = 0;
    return c.sizes.map((n) => {
      const part = slice(g, c.axis, at, at + n);
      at += n;
      return part;
    });
  },
};
