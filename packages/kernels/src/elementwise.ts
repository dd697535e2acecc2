/**
 * Specs of the elementwise family (shaders/elementwise.wgsl): unary and binary maps as named
 * hook variants, select, strided copy, fill, arange and casts; with float64 references.
 */
import { defineKernel, grid1d, type KernelVariant, type Workgroups } from './spec.js';
import { erf, gelu, geluGrad, sigmoid } from './math.js';

const UNIFORMS = ['numel', 'rank', 'offset_a', 'offset_b', 'offset_c', 'alpha', 'beta', 'bits', 'shape', 'strides_a', 'strides_b', 'strides_c', 'row4'] as const;
/** One invocation per element: a 1-D grid, or with GRID a (ceil(d3 / WG), d2, d0 * d1) grid over a rank-4 view. */
const dispatch = (u: Record<string, unknown>, c: Record<string, number>): Workgroups => {
  if (!c.GRID) return grid1d(u.numel as number, c.WG);
  const [d0, d1, d2, d3] = u.shape as number[];
  return [Math.ceil(d3 / c.WG), d2, d0 * d1];
};
const constants = { WG: 256, CONTIGUOUS: 0, GRID: 0 };
/** The vec4 entry points: numel counts vec4s, ITEMS of them per invocation. */
const dispatchVec4 = (u: Record<string, unknown>, c: Record<string, number>) => grid1d(u.numel as number, c.WG * c.ITEMS);
const constantsVec4 = { WG: 64, ITEMS: 4 };

// erfc with fractional error < 1.2e-7 everywhere (Numerical Recipes' erfcc Chebyshev fit).
const ERFC_WGSL = `
fn erfc_approx(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(2.0 - r, r, x >= 0.0);
}`;

// NaN for pow of a negative base and a non-integer exponent. WGSL rejects NaN in constant
// expressions, so it is built from a runtime value (the masked bits of x).
/** Unary maps: WGSL body of `unary_op(x, alpha, beta)` and the float64 reference. */
export const unaryOps = {
  identity: { wgsl: 'return x;', ref: (x: number) => x },
  neg: { wgsl: 'return -x;', ref: (x: number) => -x },
  exp: { wgsl: 'return exp(x);', ref: Math.exp },
  log: { wgsl: 'return log(x);', ref: Math.log },
  sqrt: { wgsl: 'return sqrt(x);', ref: Math.sqrt },
  rsqrt: { wgsl: 'return inverseSqrt(x);', ref: (x: number) => 1 / Math.sqrt(x) },
  abs: { wgsl: 'return abs(x);', ref: Math.abs },
  sign: { wgsl: 'return sign(x);', ref: Math.sign },
  relu: { wgsl: 'return max(x, 0.0);', ref: (x: number) => Math.max(x, 0) },
  sigmoid: {
    wgsl: 'let e = exp(-abs(x)); return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);',
    ref: sigmoid,
  },
  // Clamped: tanh(±15) is ±1 in f32, and some drivers overflow exp inside tanh for large |x|.
  tanh: { wgsl: 'return tanh(clamp(x, -15.0, 15.0));', ref: Math.tanh },
  gelu: { wgsl: 'return 0.5 * x * erfc_approx(-x * 0.70710678118654752);', ref: gelu, helpers: ERFC_WGSL },
  gelu_grad: {
    wgsl: 'return 0.5 * erfc_approx(-x * 0.70710678118654752) + x * exp(-0.5 * x * x) * 0.3989422804014327;',
    ref: geluGrad,
    helpers: ERFC_WGSL,
  },
  erf: { wgsl: 'return 1.0 - erfc_approx(x);', ref: erf, helpers: ERFC_WGSL },
  /** x * alpha + beta (scalar add, sub, mul, rsub). */
  affine: { wgsl: 'return x * alpha + beta;', ref: (x: number, a: number, b: number) => x * a + b },
  /** alpha / x (scalar divided by a tensor). */
  rdiv: { wgsl: 'return alpha / x;', ref: (x: number, a: number) => a / x },
  /** x ** alpha, defined for negative x when alpha is an integer (as in PyTorch). */
  pow_scalar: {
    wgsl: `if (alpha == 0.0) { return 1.0; }
  let m = pow(abs(x), alpha);
  if (x >= 0.0) { return m; }
  if (fract(alpha) != 0.0) { return bitcast<f32>(0x7fc00000u | (bitcast<u32>(x) & 0u)); }
  return select(m, -m, fract(alpha * 0.5) != 0.0);`,
    ref: (x: number, a: number) => Math.pow(x, a),
  },
  /** alpha ** x (scalar base). */
  rpow: { wgsl: 'return pow(alpha, x);', ref: (x: number, a: number) => Math.pow(a, x) },
  clamp: { wgsl: 'return clamp(x, alpha, beta);', ref: (x: number, a: number, b: number) => Math.min(Math.max(x, a), b) },
  /** 1 where x > alpha, else 0; the comparisons with a scalar. */
  gt_scalar: { wgsl: 'return select(0.0, 1.0, x > alpha);', ref: (x: number, a: number) => (x > a ? 1 : 0) },
  lt_scalar: { wgsl: 'return select(0.0, 1.0, x < alpha);', ref: (x: number, a: number) => (x < a ? 1 : 0) },
  /** 1 where alpha <= x <= beta, else 0 (the gradient mask of clamp). */
  in_range: { wgsl: 'return select(0.0, 1.0, x >= alpha && x <= beta);', ref: (x: number, a: number, b: number) => (x >= a && x <= b ? 1 : 0) },
  eq_scalar: { wgsl: 'return select(0.0, 1.0, x == alpha);', ref: (x: number, a: number) => (x === a ? 1 : 0) },
} satisfies Record<string, { wgsl: string; ref: (x: number, alpha: number, beta: number) => number; helpers?: string }>;

export type UnaryOpName = keyof typeof unaryOps;

/** Binary maps: WGSL body of `binary_op(x, y, alpha)` and the float64 reference. */
export const binaryOps = {
  add: { wgsl: 'return x + y;', ref: (x: number, y: number) => x + y },
  sub: { wgsl: 'return x - y;', ref: (x: number, y: number) => x - y },
  mul: { wgsl: 'return x * y;', ref: (x: number, y: number) => x * y },
  div: { wgsl: 'return x / y;', ref: (x: number, y: number) => x / y },
  /** x ** y with the sign rule of pow_scalar for integer y. */
  pow: {
    wgsl: `if (y == 0.0) { return 1.0; }
  let m = pow(abs(x), y);
  if (x >= 0.0) { return m; }
  if (fract(y) != 0.0) { return bitcast<f32>(0x7fc00000u | (bitcast<u32>(x) & 0u)); }
  return select(m, -m, fract(y * 0.5) != 0.0);`,
    ref: Math.pow,
  },
  maximum: { wgsl: 'return max(x, y);', ref: (x: number, y: number) => Math.max(x, y) },
  minimum: { wgsl: 'return min(x, y);', ref: (x: number, y: number) => Math.min(x, y) },
  eq: { wgsl: 'return select(0.0, 1.0, x == y);', ref: (x: number, y: number) => (x === y ? 1 : 0) },
  ne: { wgsl: 'return select(0.0, 1.0, x != y);', ref: (x: number, y: number) => (x !== y ? 1 : 0) },
  lt: { wgsl: 'return select(0.0, 1.0, x < y);', ref: (x: number, y: number) => (x < y ? 1 : 0) },
  le: { wgsl: 'return select(0.0, 1.0, x <= y);', ref: (x: number, y: number) => (x <= y ? 1 : 0) },
  gt: { wgsl: 'return select(0.0, 1.0, x > y);', ref: (x: number, y: number) => (x > y ? 1 : 0) },
  ge: { wgsl: 'return select(0.0, 1.0, x >= y);', ref: (x: number, y: number) => (x >= y ? 1 : 0) },
  // Gradients of the maps, fused (x: the map's input or output as named, y: the incoming gradient).
  relu_backward: { wgsl: 'return select(0.0, y, x > 0.0);', ref: (x: number, y: number) => (x > 0 ? y : 0) },
  sigmoid_backward: { wgsl: 'return y * x * (1.0 - x);', ref: (s: number, g: number) => g * s * (1 - s) },
  tanh_backward: { wgsl: 'return y * (1.0 - x * x);', ref: (t: number, g: number) => g * (1 - t * t) },
  gelu_backward: {
    wgsl: 'return y * (0.5 * erfc_approx(-x * 0.70710678118654752) + x * exp(-0.5 * x * x) * 0.3989422804014327);',
    ref: (x: number, g: number) => g * geluGrad(x),
    helpers: ERFC_WGSL,
  },
} satisfies Record<string, { wgsl: string; ref: (x: number, y: number, alpha: number) => number; helpers?: string }>;

export type BinaryOpName = keyof typeof binaryOps;

function variants<T extends Record<string, { wgsl: string; helpers?: string }>>(ops: T, hook: string, signature: string): Record<keyof T, KernelVariant> {
  const out = {} as Record<keyof T, KernelVariant>;
  for (const [name, op] of Object.entries(ops)) {
    // Helper functions travel inside the hook (WGSL allows calling a function declared later).
    const helpers = op.helpers ? `\n${op.helpers.trim()}` : '';
    out[name as keyof T] = { hooks: { [hook]: `fn ${hook}(${signature}) -> f32 {\n  ${op.wgsl}\n}${helpers}` } };
  }
  return out;
}

const base = { shader: 'elementwise', uniforms: UNIFORMS, constants, dispatch } as const;

export const unaryKernel = defineKernel({
  ...base, name: 'unary', entryPoint: 'unary', inputs: ['a'], outputs: ['out'],
  variants: variants(unaryOps, 'unary_op', 'x: f32, alpha: f32, beta: f32'),
});

export const binaryKernel = defineKernel({
  ...base, name: 'binary', entryPoint: 'binary', inputs: ['a', 'b'], outputs: ['out'],
  variants: variants(binaryOps, 'binary_op', 'x: f32, y: f32, alpha: f32'),
});

const baseVec4 = { shader: 'elementwise', uniforms: UNIFORMS, constants: constantsVec4, dispatch: dispatchVec4 } as const;

/** Contiguous fast paths (every operand contiguous, sizes and offsets divisible by 4). */
export const unaryVec4Kernel = defineKernel({
  ...baseVec4, name: 'unary_vec4', entryPoint: 'unary_vec4', inputs: ['a4'], outputs: ['out4'],
  variants: variants(unaryOps, 'unary_op', 'x: f32, alpha: f32, beta: f32'),
});

export const binaryVec4Kernel = defineKernel({
  ...baseVec4, name: 'binary_vec4', entryPoint: 'binary_vec4', inputs: ['a4', 'b4'], outputs: ['out4'],
  variants: variants(binaryOps, 'binary_op', 'x: f32, y: f32, alpha: f32'),
});

/** a (rows x row, contiguous) op b (one row, repeated): bias adds and per-feature scales. */
export const binaryVec4RowKernel = defineKernel({
  ...baseVec4, name: 'binary_vec4_row', entryPoint: 'binary_vec4_row', inputs: ['a4', 'b4'], outputs: ['out4'],
  variants: variants(binaryOps, 'binary_op', 'x: f32, y: f32, alpha: f32'),
});

export const copyVec4Kernel = defineKernel({ ...baseVec4, name: 'copy_vec4', entryPoint: 'copy_vec4', inputs: ['src_bits4'], outputs: ['dst_bits4'], variants: { default: {} } });

export const whereKernel = defineKernel({ ...base, name: 'where', entryPoint: 'select_where', inputs: ['a', 'b', 'c'], outputs: ['out'], variants: { default: {} } });
export const copyKernel = defineKernel({ ...base, name: 'copy', entryPoint: 'copy', inputs: ['src_bits'], outputs: ['dst_bits'], variants: { default: {} } });
export const fillKernel = defineKernel({ ...base, name: 'fill', entryPoint: 'fill', inputs: [], outputs: ['dst_bits'], variants: { default: {} } });
export const arangeKernel = defineKernel({ ...base, name: 'arange', entryPoint: 'arange', inputs: [], outputs: ['out'], variants: { default: {} } });
export const arangeI32Kernel = defineKernel({ ...base, name: 'arange_i32', entryPoint: 'arange_i32', inputs: [], outputs: ['out_i32'], variants: { default: {} } });
export const castToF32Kernel = defineKernel({ ...base, name: 'cast_to_f32', entryPoint: 'cast_to_f32', inputs: ['src_i32'], outputs: ['out'], variants: { default: {} } });
export const castToI32Kernel = defineKernel({ ...base, name: 'cast_to_i32', entryPoint: 'cast_to_i32', inputs: ['a'], outputs: ['out_i32'], variants: { default: {} } });
