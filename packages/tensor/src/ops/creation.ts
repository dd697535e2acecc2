/**
 * Creating tensors: from host data, filled with a constant, ranges. Random tensors are in
 * random.ts. Created tensors are leaves (set requiresGrad on them by hand).
 */
import { fillKernel, arangeKernel, arangeI32Kernel } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { numel, checkShape, fmt, type Shape } from '../shape.js';
import type { DType } from '../dtype.js';
import { launchElementwise } from './launch.js';
import { castRaw } from './cast.js';
import { f32ArrayToF16 } from '../io/float16.js';

export type NestedArray = number | NestedArray[];
export type TensorData = Float32Array | Int32Array | readonly number[] | NestedArray;

function flatten(data: NestedArray, shape: number[], out: number[], depth = 0): void {
  if (typeof data === 'number') {
    if (depth !== shape.length && shape.length) throw new Error('tensor(): ragged nested array');
    out.push(data);
    return;
  }
  if (depth === shape.length) shape.push(data.length);
  else if (shape[depth] !== data.length) throw new Error(`tensor(): ragged nested array (dim ${depth}: ${shape[depth]} vs ${data.length})`);
  for (const d of data) flatten(d, shape, out, depth + 1);
}

/**
 * A tensor from host data. `shape` defaults to the nesting of the array (1-D for typed arrays);
 * `dtype` defaults to i32 for an Int32Array, else f32. For f16 the values are rounded to nearest
 * (ties to even) on the host.
 */
export function tensor(data: TensorData, shape?: Shape, dtype?: DType): Tensor {
  let values: ArrayLike<number>;
  let inferred: number[];
  if (data instanceof Float32Array || data instanceof Int32Array) {
    values = data;
    inferred = [data.length];
  } else if (typeof data === 'number') {
    values = [data];
    inferred = [];
  } else {
    const flat: number[] = [];
    inferred = [];
    flatten(data as NestedArray[], inferred, flat);
    values = flat;
  }
  const finalShape = shape ? [...shape] : inferred;
  checkShape(finalShape, 'tensor()');
  if (numel(finalShape) !== values.length) {
    throw new Error(`tensor(): ${values.length} values do not fill shape ${fmt(finalShape)} (${numel(finalShape)} elements)`);
  }
  const dt: DType = dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
  if (dt === 'f16') {
    const t = Tensor.empty(finalShape, 'f16', 'tensor');
    runtime().upload(t.buffer, 0, f32ArrayToF16(data instanceof Float32Array ? data : Float32Array.from(values)));
    return t;
  }
  const host = dt === 'i32' ? (data instanceof Int32Array ? data : Int32Array.from(values)) : data instanceof Float32Array ? data : Float32Array.from(values);
  const t = Tensor.empty(finalShape, dt, 'tensor');
  runtime().upload(t.buffer, 0, host);
  return t;
}

/** Writes host data into an existing contiguous tensor of the same size (in place). */
export function writeTensor(t: Tensor, data: Float32Array | Int32Array): void {
  if (t.dtype === 'f16') throw new Error(`writeTensor(): f16 target ${fmt(t.shape)} cannot be written in place; make it with tensor(data, shape, 'f16')`);
  if (!t.isContiguous) throw new Error(`writeTensor(): target ${fmt(t.shape)} must be contiguous`);
  if (data.length !== t.size) throw new Error(`writeTensor(): ${data.length} values for a tensor of ${t.size} (${fmt(t.shape)})`);
  runtime().upload(t.buffer, t.offset * 4, data);
  t.storage.version++;
}

function bitsOf(value: number, dtype: DType): number {
  const view = new DataView(new ArrayBuffer(4));
  if (dtype === 'i32') view.setInt32(0, value, true);
  else view.setFloat32(0, value, true);
  return view.getUint32(0, true);
}

/** Fills a tensor (any non-overlapping view) with a value, in place. */
export function fillInPlace(t: Tensor, value: number): void {
  if (t.dtype === 'f16') throw new Error(`fillInPlace(): f16 tensor ${fmt(t.shape)} cannot be filled in place; use full(shape, value, 'f16')`);
  launchElementwise(fillKernel, 'default', t.shape, t.dtype, {}, { bits: bitsOf(value, t.dtype) }, t);
  t.storage.version++;
}

export function full(shape: Shape, value: number, dtype: DType = 'f32'): Tensor {
  checkShape(shape, 'full()');
  if (dtype === 'f16') {
    const wide = full(shape, value, 'f32');
    const out = castRaw(wide, 'f16');
    wide.dispose();
    return out;
  }
  const t = Tensor.empty(shape, dtype, 'full');
  fillInPlace(t, value);
  return t;
}

export function zeros(shape: Shape, dtype: DType = 'f32'): Tensor {
  return full(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'f32'): Tensor {
  return full(shape, 1, dtype);
}

export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, t.dtype);
}

export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, t.dtype);
}

export function fullLike(t: Tensor, value: number): Tensor {
  return full(t.shape, value, t.dtype);
}

/** A scalar (rank-0) tensor. */
export function scalar(value: number, dtype: DType = 'f32'): Tensor {
  return full([], value, dtype);
}

/** [start, start + step, ...) up to `end` (exclusive); `arange(n)` is 0..n-1. */
export function arange(startOrEnd: number, end?: number, step = 1, dtype: DType = 'f32'): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  if (step === 0) throw new Error('arange(): step must not be 0');
  if (dtype === 'f16') throw new Error(`arange(): dtype f16 is not supported; cast(arange(...), 'f16')`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const spec = dtype === 'i32' ? arangeI32Kernel : arangeKernel;
  return launchElementwise(spec, 'default', [n], dtype, {}, { alpha: start, beta: step });
}
