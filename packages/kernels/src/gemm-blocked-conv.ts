/**
 * 2-D convolution as implicit GEMM on the register-blocked GPU tiling (gemm-blocked.ts), the same
 * three products as conv.ts (forward, gradient w.r.t. the input per stride phase, gradient w.r.t.
 * the weight with split-K) with conv.ts's index decoding (CONV2D_INDEX_HOOKS) and loads and
 * stores of this shader (operands read through a_at / b_at, every store through the epilogue
 * hook: the forward's variants forward_bias and forward_<fused epilogue> add a bias, BatchNorm's
 * apply, a residual and ReLU; weight_bias is conv.ts's bias column of the weight gradient).
 * Quads run along the axis that is contiguous in memory: the weight's K, the output pixels (N) of
 * the forward and of the input gradient, and the pixels (K) of the weight gradient's image
 * patches. The weight gradient's dy is read as vec4s when a plane's pixels divide by 4 (the
 * shader's default load_a4).
 */
import { CONV2D_INDEX_HOOKS, CONV2D_WEIGHT_BIAS_HOOKS } from './conv.js';
import { blockedKernel, BLOCKED_FUSED_EPILOGUES, type BlockedStrategy } from './gemm-blocked.js';
import { gemmEpilogueHooks, gemmEpilogueName, type GemmEpilogue } from './gemm-epilogue.js';
import type { KernelSpec, KernelVariant } from './spec.js';

// Gathers everywhere except the aligned weight rows (forward) and dy rows (weight gradient).
const gatherB4 = `fn load_b4(batch: u32, k: u32, n: u32) -> vec4<f32> {
  return gather_b4(batch, k, n);
}`;

const forwardHooks = {
  ...CONV2D_INDEX_HOOKS.forward,
  load_a: `fn load_a(batch: u32, m: u32, k: u32, row: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = !CHECK_BOUNDS || (m < params.M && k < params.K);
  return select(0.0, a_at(select(0u, u32(row.x) + k, inside)), inside);
}`,
  load_b: `fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let y = col.y + kk.y;
  let x = col.z + kk.z;
  let inside = (!CHECK_BOUNDS || (col.w != 0 && k < params.K)) && u32(y) < params.in_h && u32(x) < params.in_w;
  return select(0.0, b_at(select(0u, u32(col.x + kk.x), inside)), inside);
}`,
  // weight rows (C_in*KH*KW contiguous) as vec4s when K and the offset divide by 4
  load_a4: `fn load_a4(batch: u32, m: u32, k: u32) -> vec4<f32> {
  if (VEC_A) {
    let inside = !CHECK_BOUNDS || (m < params.M && k < params.K);
    return select(vec4<f32>(0.0), a[select(0u, (params.a_offset + m * params.K + k) >> 2u, inside)], inside);
  }
  return gather_a4(batch, m, k);
}`,
  load_b4: gatherB4,
  store_c: `fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let pixels = params.out_h * params.out_w;
  let img = quotient(n, pixels);
  let at = (img * params.c_out + m) * pixels + (n - img * pixels);
  c[params.c_offset + at] = epilogue(m, n, at, v);
}`,
};

const backwardInputHooks = {
  ...CONV2D_INDEX_HOOKS.input,
  load_a: `fn load_a(batch: u32, m: u32, k: u32, row: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = !CHECK_BOUNDS || (m < params.M && k < params.K);
  return select(0.0, a_at(select(0u, u32(row.x + kk.x), inside)), inside);
}`,
  load_b: `fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let oy = col.y - kk.y;
  let ox = col.z - kk.z;
  let inside = (!CHECK_BOUNDS || (col.w != 0 && k < params.K)) && u32(oy) < params.out_h && u32(ox) < params.out_w;
  return select(0.0, b_at(select(0u, u32(col.x + kk.w + oy * i32(params.out_w) + ox), inside)), inside);
}`,
  load_a4: `fn load_a4(batch: u32, m: u32, k: u32) -> vec4<f32> {
  return gather_a4(batch, m, k);
}`,
  load_b4: gatherB4,
  store_c: `fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let cols = u32(params.phase_pixels.y);
  let pixels = u32(params.phase_pixels.x) * cols;
  let img = quotient(n, pixels);
  let p = n - img * pixels;
  let ty = quotient(p, cols);
  let iy = u32(params.phase_pixels.z) + ty * params.stride_h;
  let ix = u32(params.phase_pixels.w) + (p - ty * cols) * params.stride_w;
  let at = ((img * params.c_in + m) * params.in_h + iy) * params.in_w + ix;
  c[params.c_offset + at] = epilogue(m, n, at, v);
}`,
};

const backwardWeightHooks = {
  ...CONV2D_INDEX_HOOKS.weight,
  load_a: `fn load_a(batch: u32, m: u32, k: u32, row: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = !CHECK_BOUNDS || (m < params.M && k < params.K);
  return select(0.0, a_at(select(0u, u32(row.x + kk.x), inside)), inside);
}`,
  load_b: `fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let y = kk.y + col.y;
  let x = kk.z + col.z;
  let inside = (!CHECK_BOUNDS || (col.w != 0 && k < params.K)) && u32(y) < params.in_h && u32(x) < params.in_w;
  return select(0.0, b_at(select(0u, u32(col.x + kk.w), inside)), inside);
}`,
  load_b4: gatherB4,
  // partial slices (k_splits of them), each C_out x C_in*KH*KW
  store_c: `fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let at = slice * params.c_batch_stride + m * params.N + n;
  c[params.c_offset + at] = epilogue(m, n, at, v);
}`,
};

// forward_<epilogue name>: the forward with an epilogue per output channel (a row of C)
function forwardWith(e: Omit<GemmEpilogue, 'channel'>): [string, KernelVariant] {
  const epilogue: GemmEpilogue = { ...e, channel: 'row' };
  return [`forward_${gemmEpilogueName(epilogue)}`, { hooks: { ...forwardHooks, ...gemmEpilogueHooks(epilogue) } }];
}

const forwardVariants = {
  forward: { hooks: forwardHooks },
  forward_bias: forwardWith({ bias: true })[1],
  ...Object.fromEntries(BLOCKED_FUSED_EPILOGUES.map(forwardWith)),
};
const backwardVariants = {
  input: { hooks: backwardInputHooks },
  weight: { hooks: backwardWeightHooks, constants: { B_QUAD_K: 1 } },
  weight_bias: { hooks: { ...backwardWeightHooks, ...CONV2D_WEIGHT_BIAS_HOOKS }, constants: { B_QUAD_K: 1 } },
};

export const conv2dBlocked4Kernel = blockedKernel<'forward' | 'forward_bias'>('blocked4', 'conv2d_blocked4', forwardVariants);
export const conv2dBlocked8Kernel = blockedKernel<'forward' | 'forward_bias'>('blocked8', 'conv2d_blocked8', forwardVariants);
export const conv2dBackwardBlocked4Kernel = blockedKernel('blocked4', 'conv2d_backward_blocked4', backwardVariants, ['a', 'b']);
export const conv2dBackwardBlocked8Kernel = blockedKernel('blocked8', 'conv2d_backward_blocked8', backwardVariants, ['a', 'b']);

/** The convolution specs of each blocked entry point: forward (with its epilogues) and the two gradients. */
export const BLOCKED_CONV2D_KERNELS: Record<BlockedStrategy, { forward: KernelSpec<'forward' | 'forward_bias'>; backward: KernelSpec<'input' | 'weight' | 'weight_bias'> }> = {
  blocked4: { forward: conv2dBlocked4Kernel, backward: conv2dBackwardBlocked4Kernel },
  blocked8: { forward: conv2dBlocked8Kernel, backward: conv2dBackwardBlocked8Kernel },
};
