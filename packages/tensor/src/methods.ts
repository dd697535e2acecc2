/**
 * Method forms of the ops on Tensor, for chaining (`x.matmul(w).add(b).relu()`). Each method is
 * the function of the same name in ops/; this file only attaches them.
 */
import { Tensor } from './tensor.js';
import * as unaryOps from './ops/unary.js';
import * as binaryOps from './ops/binary.js';
import * as reduceOps from './ops/reduce.js';
import * as shapeOps from './ops/shape.js';
import { contiguous } from './ops/copy.js';
import { backward, type BackwardOptions } from './autograd/backward.js';
import type { Shape } from './shape.js';

type Operand = Tensor | number;
type Axes = number | readonly number[];

declare module './tensor.js' {
  interface Tensor {
    add(b: Operand): Tensor;
    sub(b: Operand): Tensor;
    mul(b: Operand): Tensor;
    div(b: Operand): Tensor;
    pow(b: Operand): Tensor;
    maximum(b: Operand): Tensor;
    minimum(b: Operand): Tensor;
    eq(b: Operand): Tensor;
    ne(b: Operand): Tensor;
    lt(b: Operand): Tensor;
    le(b: Operand): Tensor;
    gt(b: Operand): Tensor;
    ge(b: Operand): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    gelu(): Tensor;
    erf(): Tensor;
    clamp(lo?: number, hi?: number): Tensor;
    sum(axes?: Axes, keepdim?: boolean): Tensor;
    mean(axes?: Axes, keepdim?: boolean): Tensor;
    max(axes?: Axes, keepdim?: boolean): Tensor;
    min(axes?: Axes, keepdim?: boolean): Tensor;
    reshape(shape: Shape): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(a?: number, b?: number): Tensor;
    expand(shape: Shape): Tensor;
    slice(axis: number, start: number, end?: number, step?: number): Tensor;
    squeeze(axis?: number): Tensor;
    unsqueeze(axis: number): Tensor;
    flatten(start?: number, end?: number): Tensor;
    contiguous(): Tensor;
    /** The same data without autograd history (a new handle on the same storage; no gradient flows back). */
    detach(): Tensor;
    /** Gradients of this (scalar) tensor with respect to every leaf that requires grad. */
    backward(options?: BackwardOptions): void;
  }
}

const methods: Record<string, (this: Tensor, ...args: never[]) => unknown> = {};
for (const name of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
  const f = binaryOps[name];
  methods[name] = function (this: Tensor, b: Operand) {
    return f(this, b);
  };
}
for (const name of ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'abs', 'sign', 'relu', 'sigmoid', 'tanh', 'gelu', 'erf'] as const) {
  const f = unaryOps[name];
  methods[name] = function (this: Tensor) {
    return f(this);
  };
}
methods.clamp = function (this: Tensor, lo?: number, hi?: number) {
  return unaryOps.clamp(this, lo, hi);
};
for (const name of ['sum', 'mean', 'max', 'min'] as const) {
  const f = reduceOps[name];
  methods[name] = function (this: Tensor, axes?: Axes, keepdim?: boolean) {
    return f(this, axes, keepdim);
  };
}
const shapeMethods = {
  reshape: shapeOps.reshape, permute: shapeOps.permute, transpose: shapeOps.transpose, expand: shapeOps.expand,
  slice: shapeOps.slice, squeeze: shapeOps.squeeze, unsqueeze: shapeOps.unsqueeze, flatten: shapeOps.flatten,
} as Record<string, (x: Tensor, ...args: unknown[]) => Tensor>;
for (const [name, f] of Object.entries(shapeMethods)) {
  methods[name] = function (this: Tensor, ...args: unknown[]) {
    return f(this, ...args);
  } as never;
}
methods.contiguous = function (this: Tensor) {
  return contiguous(this);
};
methods.detach = function (this: Tensor) {
  return this.view(this.shape, this.strides, this.offset);
};
methods.backward = function (this: Tensor, options?: BackwardOptions) {
  backward(this, options);
};
Object.assign(Tensor.prototype, methods);
