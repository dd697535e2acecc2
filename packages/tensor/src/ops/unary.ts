/**
 * Unary elementwise ops (one kernel family, a hook per map) with their gradient rules:
 *   d(-x) = -dx            d(exp x) = exp(x) dx        d(log x) = dx / x
 *   d(sqrt x) = dx / (2 sqrt x)   d(rsqrt x) = -rsqrt(x)^3 / 2 dx   d|x| = sign(x) dx
 *   d relu = [x > 0] dx    d sigmoid = s (1 - s) dx     d tanh = (1 - t^2) dx
 *   d gelu = gelu'(x) dx   d erf = 2/sqrt(pi) exp(-x^2) dx
 *   d(a x + b) = a dx      d(a / x) = -(a / x) / x dx   d(x^a) = a x^(a-1) dx
 *   d(a^x) = a^x ln(a) dx  d clamp(x, lo, hi) = [lo <= x <= hi] dx
 * Comparisons with a scalar and sign have no gradient (they record nothing).
 */
import { unaryKernel, type UnaryOpName } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { checkDType } from '../dtype.js';
import { launchElementwise } from './launch.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { mul, binaryRaw } from './binary.js';

export type DifferentiableUnary = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'relu' | 'sigmoid' | 'tanh' | 'gelu' | 'erf' | 'affine' | 'rdiv' | 'pow_scalar' | 'rpow' | 'clamp';

interface UnaryCtx {
  x?: Tensor;
  y?: Tensor;
  alpha: number;
  beta: number;
}

declare module '../autograd/rules.js' {
  interface OpContexts extends Record<DifferentiableUnary, UnaryCtx> {}
}

/** Which of input (x) and output (y) each rule reads. */
const SAVES: Record<DifferentiableUnary, { x?: true; y?: true }> = {
  neg: {}, exp: { y: true }, log: { x: true }, sqrt: { y: true }, rsqrt: { y: true }, abs: { x: true },
  relu: { x: true }, sigmoid: { y: true }, tanh: { y: true }, gelu: { x: true }, erf: { x: true },
  affine: {}, rdiv: { x: true, y: true }, pow_scalar: { x: true }, rpow: { y: true }, clamp: { x: true },
};

/** Runs a unary map without autograd. */
export function unaryRaw(op: UnaryOpName, x: Tensor, alpha = 0, beta = 0): Tensor {
  checkDType(x.dtype, 'f32', op);
  return launchElementwise(unaryKernel, op, x.shape, 'f32', { a: x }, { alpha, beta });
}


/** Runs a differentiable unary map, recording its node when x requires grad. */
export function unary(op: DifferentiableUnary, x: Tensor, alpha = 0, beta = 0): Tensor {
  const y = unaryRaw(op, x, alpha, beta);
  if (needsGrad(x)) {
    const s = SAVES[op];
    record(op, [x], { x: s.x ? saved(x) : undefined, y: s.y ? saved(y) : undefined, alpha, beta }, y);
  }
  return y;
}

type UnaryRule = (g: Tensor, c: UnaryCtx) => Tensor;

export const unaryGrads: Record<DifferentiableUnary, UnaryRule> = {
  neg: (g) => unaryRaw('neg', g),
  exp: (g, c) => mul(g, c.y!),
  log: (g, c) => binaryRaw('div', g, c.x!),
  sqrt: (g, c) => binaryRaw('div', unaryRaw('affine', g, 0.5, 0), c.y!),
  rsqrt: (g, c) => mul(g, unaryRaw('affine', unaryRaw('pow_scalar', c.y!, 3), -0.5, 0)),
  abs: (g, c) => mul(g, unaryRaw('sign', c.x!)),
  relu: (g, c) => binaryRaw('relu_backward', c.x!, g),
  sigmoid: (g, c) => binaryRaw('sigmoid_backward', c.y!, g),
  tanh: (g, c) => binaryRaw('tanh_backward', c.y!, g),
  gelu: (g, c) => binaryRaw('gelu_backward', c.x!, g),
  erf: (g, c) => mul(g, unaryRaw('affine', unaryRaw('exp', unaryRaw('neg', unaryRaw('pow_scalar', c.x!, 2))), 2 / Math.sqrt(Math.PI), 0)),
  affine: (g, c) => unaryRaw('affine', g, c.alpha, 0),
  rdiv: (g, c) => unaryRaw('neg', binaryRaw('div', mul(g, c.y!), c.x!)),
  pow_scalar: (g, c) => mul(g, unaryRaw('affine', unaryRaw('pow_scalar', c.x!, c.alpha - 1), c.alpha, 0)),
  rpow: (g, c) => mul(g, unaryRaw('affine', c.y!, Math.log(c.alpha), 0)),
  clamp: (g, c) => mul(g, unaryRaw('in_range', c.x!, c.alpha, c.beta)),
};

export const neg = (x: Tensor) => unary('neg', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const rsqrt = (x: Tensor) => unary('rsqrt', x);
export const abs = (x: Tensor) => unary('abs', x);
export const relu = (x: Tensor) => unary('relu', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const tanh = (x: Tensor) => unary('tanh', x);
/** GELU, erf form (as PyTorch's default and BERT). */
export const gelu = (x: Tensor) => unary('gelu', x);
export const erf = (x: Tensor) => unary('erf', x);
/** Elementwise sign (no gradient). */
export const sign = (x: Tensor) => unaryRaw('sign', x);
/** clamp(x, lo, hi); gradient passes where lo <= x <= hi. */
export const clamp = (x: Tensor, lo = -Infinity, hi = Infinity) => unary('clamp', x, lo, hi);
