/**
 * Reductions over axes (sum, mean, max, min; keepdim as PyTorch) and their gradients:
 *   d sum = broadcast of the gradient      d mean = broadcast / count
 *   d max = gradient shared evenly by the elements equal to the max (as torch.amax); min likewise
 * The kernel folds the middle axis of a contiguous [outer, reduce, inner] view in chunked passes
 * (one pass where the axis is short enough: on CPU adapters, whose cost is per dispatch, up to
 * 2048 values per thread; a mean scales in its last pass); runs of reduced axes that are not
 * adjacent are folded one after the other.
 */
import { reduceKernel, type ReduceOpName } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { checkDType } from '../dtype.js';
import { fmt, normAxes, numel, type Shape } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';
import { binaryRaw } from './binary.js';
import { unaryRaw } from './unary.js';
import { expand, reshape } from './shape.js';
import { full, zeros } from './creation.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    sum: { inShape: readonly number[]; keptShape: number[] };
    mean: { inShape: readonly number[]; keptShape: number[]; count: number };
    max: { x: Tensor; y: Tensor; inShape: readonly number[]; keptShape: number[]; axes: number[] };
    min: { x: Tensor; y: Tensor; inShape: readonly number[]; keptShape: number[]; axes: number[] };
  }
}

/** Longest run one thread folds; longer reductions take several passes. */
const MAX_CHUNK = 1024;
/** On CPU adapters: the longest run folded in a single pass, and the shortest chunk of a split. */
const SOFTWARE_SINGLE_PASS = 2048;
const SOFTWARE_MIN_CHUNK = 512;

function chunkFor(outputs: number, reduce: number): number {
  if (runtime().gpu.info.isSoftware) {
    // a dispatch costs more than a thread folding a few thousand values; split only long runs,
    // into chunks long enough that the next pass is short
    if (reduce <= SOFTWARE_SINGLE_PASS) return reduce;
    const chunks = Math.max(1, Math.min(Math.ceil(64 / Math.max(1, outputs)), Math.ceil(reduce / SOFTWARE_MIN_CHUNK)));
    return Math.min(SOFTWARE_SINGLE_PASS, Math.ceil(reduce / chunks));
  }
  const chunks = Math.min(Math.ceil(16384 / Math.max(1, outputs)), Math.ceil(reduce / 32));
  return Math.min(MAX_CHUNK, Math.max(1, Math.ceil(reduce / Math.max(1, chunks))));
}

/**
 * Folds the middle axis of the contiguous [outer, reduce, inner] tensor x; returns [outer, inner],
 * multiplied by `scale` (in the last pass).
 */
function foldMiddle(op: ReduceOpName, x: Tensor, outer: number, reduce: number, inner: number, scale = 1): Tensor {
  let src = x;
  let r = reduce;
  for (;;) {
    const chunk = chunkFor(outer * inner, r);
    const chunks = Math.ceil(r / chunk);
    const out = Tensor.empty([outer, chunks, inner], 'f32', `reduce/${op}`);
    runtime().run(reduceKernel, op, {
      buffers: { x: src.buffer, out: out.buffer },
      uniforms: { outer, reduce: r, inner, chunk, chunks, x_offset: src.offset, scale: chunks === 1 ? scale : 1 },
    });
    if (src !== x) src.dispose();
    src = out;
    r = chunks;
    if (r === 1) return src;
  }
}

/**
 * Reduction without autograd; returns the kept-dims shape result (keepdim applied by caller),
 * multiplied by `scale` (a mean's 1 / count, applied in the last pass).
 */
function reduceRaw(op: ReduceOpName, x: Tensor, axes: number[], scale = 1): Tensor {
  checkDType(x.dtype, 'f32', op);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  if (axes.length === 0) return scale === 1 ? contiguousCopy(x) : unaryRaw('affine', x, scale, 0);
  const count = numel(axes.map((a) => x.shape[a]));
  if (count === 0) {
    if (op !== 'sum') throw new Error(`${op}: cannot reduce over an empty dimension of ${fmt(x.shape)}`);
    // a sum of nothing is 0; a mean of nothing NaN (0 / 0), as PyTorch
    return scale === 1 ? zeros(keptShape) : full(keptShape, Number.NaN);
  }
  if (numel(keptShape) === 0) return zeros(keptShape);
  // Each run of adjacent reduced axes is one pass over a contiguous [outer, reduce, inner] view,
  // last run first (reduced dims stay as size 1, so earlier runs keep their positions): no
  // transposing copy, and a strided input is copied once at most.
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  let src = x.isContiguous ? x : contiguousCopy(x);
  for (let r = runs.length - 1; r >= 0; r--) {
    const [first, last] = runs[r];
    const shape = src.shape;
    const folded = foldMiddle(op, src, numel(shape.slice(0, first)), numel(shape.slice(first, last + 1)), numel(shape.slice(last + 1)), r === 0 ? scale : 1);
    const next = reshape(folded, shape.map((d, i) => (i >= first && i <= last ? 1 : d)));
    folded.dispose();
    if (src !== x) src.dispose();
    src = next;
  }
  return src;
}

function finish(y: Tensor, keptShape: number[], axes: number[], keepdim: boolean): Tensor {
  if (keepdim) return y;
  const out = reshape(y, keptShape.filter((_, i) => !axes.includes(i)));
  y.dispose();
  return out;
}


/** Sum over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const ax = normAxes(axes, x.rank, 'sum');
  const kept = reduceRaw('sum', x, ax);
  const keptShape = [...kept.shape];
  const out = finish(kept, keptShape, ax, keepdim);
  if (needsGrad(x)) record('sum', [x], { inShape: x.shape, keptShape }, out);
  return out;
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const ax = normAxes(axes, x.rank, 'mean');
  const count = numel(ax.map((a) => x.shape[a]));
  const kept = reduceRaw('sum', x, ax, 1 / count);
  const keptShape = [...kept.shape];
  const out = finish(kept, keptShape, ax, keepdim);
  if (needsGrad(x)) record('mean', [x], { inShape: x.shape, keptShape, count }, out);
  return out;
}

function extreme(op: 'max' | 'min', x: Tensor, axes: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const ax = normAxes(axes, x.rank, op);
  const kept = reduceRaw(op, x, ax);
  const keptShape = [...kept.shape];
  if (needsGrad(x)) {
    const y = saved(kept);
    const out = finish(kept, keptShape, ax, keepdim);
    return record(op, [x], { x: saved(x), y, inShape: x.shape, keptShape, axes: ax }, out);
  }
  return finish(kept, keptShape, ax, keepdim);
}

/** Maximum over `axes` (all when omitted); the gradient is shared by tied maxima. */
export const max = (x: Tensor, axes?: number | readonly number[], keepdim = false) => extreme('max', x, axes, keepdim);
/** Minimum over `axes` (all when omitted); the gradient is shared by tied minima. */
export const min = (x: Tensor, axes?: number | readonly number[], keepdim = false) => extreme('min', x, axes, keepdim);

/** Sums a tensor of a broadcast shape back to `shape` (the gradient of broadcasting). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  const shift = g.rank - shape.length;
  if (shift < 0) throw new Error(`sumToShape: ${fmt(g.shape)} has fewer dims than ${fmt(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < shift || (shape[i - shift] === 1 && g.shape[i] !== 1)) axes.push(i);
    else if (shape[i - shift] !== g.shape[i]) throw new Error(`sumToShape: cannot reduce ${fmt(g.shape)} to ${fmt(shape)}`);
  }
  if (axes.length === 0) return reshape(g, shape);
  const s = reduceRaw('sum', g, axes);
  const out = reshape(s, shape);
  s.dispose();
  return out;
}

function broadcastBack(g: Tensor, keptShape: number[], inShape: readonly number[]): Tensor {
  const r = reshape(g, keptShape);
  const e = expand(r, inShape);
  r.dispose();
  return e;
}

function extremeGrad(g: Tensor, c: { x: Tensor; y: Tensor; inShape: readonly number[]; keptShape: number[]; axes: number[] }): Tensor[] {
  const mask = binaryRaw('eq', c.x, c.y);
  const count = reduceRaw('sum', mask, c.axes);
  const share = binaryRaw('div', reshape(g, c.keptShape), count);
  return [binaryRaw('mul', mask, share)];
}

export const reduceGrads = {
  sum: (g: Tensor, c: { inShape: readonly number[]; keptShape: number[] }) => [broadcastBack(g, c.keptShape, c.inShape)],
  mean: (g: Tensor, c: { inShape: readonly number[]; keptShape: number[]; count: number }) => {
    const scaled = unaryRaw('affine', g, 1 / c.count, 0);
    return [broadcastBack(scaled, c.keptShape, c.inShape)];
  },
  max: extremeGrad,
  min: extremeGrad,
};
