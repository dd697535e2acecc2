/**
 * 2-D convolution as implicit GEMM on the GEMM family's tiling (gemm.ts): variants whose hooks
 * gather image patches instead of reading a materialised im2col matrix, and scatter into NCHW.
 * Images are folded into the GEMM's N dimension so small late layers still fill tiles.
 *   forward:         out (C_out x images*OH*OW) = W (C_out x C_in*KH*KW) * patches(x), + bias by the
 *                    bias_row epilogue (variant forward_bias)
 *   backward input:  dx (C_in x images*H*W) = W^T (C_in x C_out*KH*KW) * patches'(dy), the
 *                    transposed gather, one dispatch per stride phase (convInputPhases): the dx
 *                    pixels of a phase take only the taps that reach them
 *   backward weight: dW (C_out x C_in*KH*KW) = dy (C_out x images*OH*OW) * patches(x)^T, with a
 *                    long K, so split-K writes partial slices (k_splits, k_chunk) to be summed;
 *                    variant weight_bias adds a column of ones to the patches, so the same product
 *                    also gives the bias gradient (the sums of dy), stored after dW
 * Every row and column is decoded once (row_info, col_info) and the first step of K (k_info), with
 * the shaders' `quotient` (integer division runs one lane at a time on CPU adapters); later steps
 * advance by additions (k_next: the next tap, row of taps, channel, pixel or image); the loads
 * only add.
 * Float64 references (direct loops) for the three products.
 */
import { gemmKernel, type GemmStrategy } from './gemm.js';
import { gemmEpilogueHooks } from './gemm-epilogue.js';
import type { KernelSpec } from './spec.js';

/** Sizes of one convolution (NCHW input, weight (C_out, C_in, KH, KW), groups = 1). */
export interface Conv2dGeometry {
  images: number;
  cIn: number;
  inH: number;
  inW: number;
  cOut: number;
  kH: number;
  kW: number;
  outH: number;
  outW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilH: number;
  dilW: number;
}

/** Output length along one axis: floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1 (may be <= 0). */
export function convOutputSize(inSize: number, kernel: number, stride: number, pad: number, dil: number): number {
  return Math.floor((inSize + 2 * pad - dil * (kernel - 1) - 1) / stride) + 1;
}

/** The convolution fields of the GEMM family's uniform struct. */
export function conv2dUniforms(g: Conv2dGeometry): Record<string, number> {
  return {
    images: g.images, c_in: g.cIn, in_h: g.inH, in_w: g.inW, c_out: g.cOut, k_h: g.kH, k_w: g.kW,
    out_h: g.outH, out_w: g.outW, stride_h: g.strideH, stride_w: g.strideW, pad_h: g.padH, pad_w: g.padW,
    dil_h: g.dilH, dil_w: g.dilW,
  };
}

const forwardHooks = {
  // row m = output channel: weight row m (C_in*KH*KW contiguous)
  row_info: `fn row_info(batch: u32, m: u32) -> vec4<i32> {
  return vec4<i32>(i32(params.a_offset + m * params.K), 0, 0, 0);
}`,
  // column n = (image, oy, ox): offset of the receptive field's corner, its (y0, x0), valid flag
  col_info: `fn col_info(batch: u32, n: u32) -> vec4<i32> {
  let pixels = params.out_h * params.out_w;
  let img = quotient(n, pixels);
  let p = n - img * pixels;
  let oy = quotient(p, params.out_w);
  let ox = p - oy * params.out_w;
  let y0 = i32(oy * params.stride_h) - i32(params.pad_h);
  let x0 = i32(ox * params.stride_w) - i32(params.pad_w);
  let corner = i32(params.b_offset + img * params.c_in * params.in_h * params.in_w) + y0 * i32(params.in_w) + x0;
  return vec4<i32>(corner, y0, x0, select(0, 1, n < params.N));
}`,
  // step k = (ci, ky, kx): offset of the tap from the corner and its (dy, dx)
  k_info: `fn k_info(batch: u32, k: u32) -> vec4<i32> {
  let taps = params.k_h * params.k_w;
  let ci = quotient(k, taps);
  let t = k - ci * taps;
  let ky = quotient(t, params.k_w);
  let dy = ky * params.dil_h;
  let dx = (t - ky * params.k_w) * params.dil_w;
  return vec4<i32>(i32(ci * params.in_h * params.in_w + dy * params.in_w + dx), i32(dy), i32(dx), 0);
}`,
  // the next tap: kx + 1, else the next row of taps, else the next channel
  k_next: `fn k_next(batch: u32, k: u32, kk: vec4<i32>) -> vec4<i32> {
  let w = i32(params.in_w);
  let dil = vec2<i32>(i32(params.dil_h), i32(params.dil_w));
  let next_x = vec4<i32>(kk.x + dil.y, kk.y, kk.z + dil.y, 0);
  let next_y = vec4<i32>(kk.x - kk.z + dil.x * w, kk.y + dil.x, 0, 0);
  let next_c = vec4<i32>(kk.x - kk.z - kk.y * w + i32(params.in_h) * w, 0, 0, 0);
  let last_x = kk.z == i32(params.k_w - 1u) * dil.y;
  let last_y = kk.y == i32(params.k_h - 1u) * dil.x;
  return select(next_x, select(next_y, next_c, last_y), last_x);
}`,
  load_a: `fn load_a(batch: u32, m: u32, k: u32, row: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = m < params.M && k < params.K;
  return select(0.0, a[select(0u, u32(row.x) + k, inside)], inside);
}`,
  load_b: `fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let y = col.y + kk.y;
  let x = col.z + kk.z;
  let inside = col.w != 0 && k < params.K && u32(y) < params.in_h && u32(x) < params.in_w;
  return select(0.0, b[select(0u, u32(col.x + kk.x), inside)], inside);
}`,
  store_c: `fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let pixels = params.out_h * params.out_w;
  let img = quotient(n, pixels);
  let at = (img * params.c_out + m) * pixels + (n - img * pixels);
  c[params.c_offset + at] = epilogue(m, n, at, v);
}`,
};

// One stride phase of the gradient w.r.t. the input (see conv2dInputPhases): the dx pixels
// (first + stride * t) of the phase, against the taps that reach them, a stride-1 product.
const backwardInputHooks = {
  // row m = input channel ci: weight[co, ci, ky, kx] = a[row + (co * C_in * KH*KW + ky * KW + kx)]
  row_info: `fn row_info(batch: u32, m: u32) -> vec4<i32> {
  return vec4<i32>(i32(params.a_offset + m * params.k_h * params.k_w), 0, 0, 0);
}`,
  // column n = (image, ty, tx) of the phase's pixels: dy offset of the image, dy row and column at
  // the first tap, valid flag
  col_info: `fn col_info(batch: u32, n: u32) -> vec4<i32> {
  let cols = u32(params.phase_pixels.y);
  let pixels = u32(params.phase_pixels.x) * cols;
  let img = quotient(n, pixels);
  let p = n - img * pixels;
  let ty = quotient(p, cols);
  let tx = p - ty * cols;
  return vec4<i32>(i32(params.b_offset + img * params.c_out * params.out_h * params.out_w), params.phase_dy.x + i32(ty),
                   params.phase_dy.y + i32(tx), select(0, 1, n < params.N));
}`,
  // step k = (co, j, i) over the phase's taps (ky, kx) = first + step * (j, i): weight offset, dy
  // row and column offsets of the tap, dy offset of channel co
  k_info: `fn k_info(batch: u32, k: u32) -> vec4<i32> {
  let taps_x = u32(params.phase_taps.y);
  let taps = u32(params.phase_taps.x) * taps_x;
  let co = quotient(k, taps);
  let t = k - co * taps;
  let j = quotient(t, taps_x);
  let i = t - j * taps_x;
  let ky = params.phase_taps.z + i32(j) * params.phase_tap_step.x;
  let kx = params.phase_taps.w + i32(i) * params.phase_tap_step.y;
  return vec4<i32>(i32(co * params.c_in * params.k_h * params.k_w) + ky * i32(params.k_w) + kx, i32(j) * params.phase_dy.z,
                   i32(i) * params.phase_dy.w, i32(co * params.out_h * params.out_w));
}`,
  // the next tap of the phase: along x, else the next row of taps, else the next output channel
  k_next: `fn k_next(batch: u32, k: u32, kk: vec4<i32>) -> vec4<i32> {
  let kw = i32(params.k_w);
  let step = params.phase_tap_step;
  let back_x = (params.phase_taps.y - 1) * step.y;
  let back_y = (params.phase_taps.x - 1) * step.x * kw;
  let next_x = vec4<i32>(kk.x + step.y, kk.y, kk.z + params.phase_dy.w, kk.w);
  let next_y = vec4<i32>(kk.x - back_x + step.x * kw, kk.y + params.phase_dy.z, 0, kk.w);
  let next_c = vec4<i32>(kk.x - back_x - back_y + i32(params.c_in * params.k_h) * kw, 0, 0, kk.w + i32(params.out_h * params.out_w));
  let last_x = kk.z == (params.phase_taps.y - 1) * params.phase_dy.w;
  let last_y = kk.y == (params.phase_taps.x - 1) * params.phase_dy.z;
  return select(next_x, select(next_y, next_c, last_y), last_x);
}`,
  load_a: `fn load_a(batch: u32, m: u32, k: u32, row: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = m < params.M && k < params.K;
  return select(0.0, a[select(0u, u32(row.x + kk.x), inside)], inside);
}`,
  // the output pixel (oy, ox) this tap reads for this dx pixel, when inside dy
  load_b: `fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let oy = col.y - kk.y;
  let ox = col.z - kk.z;
  let inside = col.w != 0 && k < params.K && u32(oy) < params.out_h && u32(ox) < params.out_w;
  return select(0.0, b[select(0u, u32(col.x + kk.w + oy * i32(params.out_w) + ox), inside)], inside);
}`,
  store_c: `fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let cols = u32(params.phase_pixels.y);
  let pixels = u32(params.phase_pixels.x) * cols;
  let img = quotient(n, pixels);
  let p = n - img * pixels;
  let ty = quotient(p, cols);
  let iy = u32(params.phase_pixels.z) + ty * params.stride_h;
  let ix = u32(params.phase_pixels.w) + (p - ty * cols) * params.stride_w;
  c[params.c_offset + ((img * params.c_in + m) * params.in_h + iy) * params.in_w + ix] = params.alpha * v;
}`,
};

const backwardWeightHooks = {
  // row m = output channel co: dy[img, co, p] = a[row + (img * C_out * OH*OW + p)]
  row_info: `fn row_info(batch: u32, m: u32) -> vec4<i32> {
  return vec4<i32>(i32(params.a_offset + m * params.out_h * params.out_w), 0, 0, 0);
}`,
  // column n = (ci, ky, kx): x offset of the tap in channel ci, (dy, dx), valid flag
  col_info: `fn col_info(batch: u32, n: u32) -> vec4<i32> {
  let taps = params.k_h * params.k_w;
  let ci = quotient(n, taps);
  let t = n - ci * taps;
  let ky = quotient(t, params.k_w);
  let dy = ky * params.dil_h;
  let dx = (t - ky * params.k_w) * params.dil_w;
  return vec4<i32>(i32(params.b_offset + ci * params.in_h * params.in_w + dy * params.in_w + dx), i32(dy), i32(dx),
                   select(0, 1, n < params.N));
}`,
  // step k = (image, oy, ox): dy offset, the receptive field's corner (y0, x0) and its x offset
  k_info: `fn k_info(batch: u32, k: u32) -> vec4<i32> {
  let pixels = params.out_h * params.out_w;
  let img = quotient(k, pixels);
  let p = k - img * pixels;
  let oy = quotient(p, params.out_w);
  let ox = p - oy * params.out_w;
  let y0 = i32(oy * params.stride_h) - i32(params.pad_h);
  let x0 = i32(ox * params.stride_w) - i32(params.pad_w);
  return vec4<i32>(i32(img * params.c_out * pixels + p), y0, x0,
                   i32(img * params.c_in * params.in_h * params.in_w) + y0 * i32(params.in_w) + x0);
}`,
  // the next output pixel: ox + 1, else the next output row, else the next image
  k_next: `fn k_next(batch: u32, k: u32, kk: vec4<i32>) -> vec4<i32> {
  let w = i32(params.in_w);
  let stride = vec2<i32>(i32(params.stride_h), i32(params.stride_w));
  let last = vec2<i32>(i32(params.out_h - 1u), i32(params.out_w - 1u)) * stride - vec2<i32>(i32(params.pad_h), i32(params.pad_w));
  let next_x = vec4<i32>(kk.x + 1, kk.y, kk.z + stride.y, kk.w + stride.y);
  let next_y = vec4<i32>(kk.x + 1, kk.y + stride.x, -i32(params.pad_w), kk.w + stride.x * w - (last.y + i32(params.pad_w)));
  let next_image = vec4<i32>(kk.x + 1 + i32((params.c_out - 1u) * params.out_h * params.out_w), -i32(params.pad_h), -i32(params.pad_w),
                             kk.w + i32(params.c_in * params.in_h) * w - (last.x + i32(params.pad_h)) * w - (last.y + i32(params.pad_w)));
  return select(next_x, select(next_y, next_image, kk.y == last.x), kk.z == last.y);
}`,
  load_a: `fn load_a(batch: u32, m: u32, k: u32, row: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = m < params.M && k < params.K;
  return select(0.0, a[select(0u, u32(row.x + kk.x), inside)], inside);
}`,
  load_b: `fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let y = kk.y + col.y;
  let x = kk.z + col.z;
  let inside = col.w != 0 && k < params.K && u32(y) < params.in_h && u32(x) < params.in_w;
  return select(0.0, b[select(0u, u32(col.x + kk.w), inside)], inside);
}`,
  // partial slices (k_splits of them), each C_out x C_in*KH*KW
  store_c: `fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let at = slice * params.c_batch_stride + m * params.N + n;
  c[params.c_offset + at] = epilogue(m, n, at, v);
}`,
};

/**
 * The weight gradient with the bias gradient as one more column (N = C_in*KH*KW + 1): the last
 * column of the gathered patches is ones, so C's last column is the sum of dy over images and
 * pixels; each slice stores it after its C_out x C_in*KH*KW block. B is read through b_at, so the
 * register-blocked kernel's variant (gemm-blocked-conv.ts) takes the same hooks.
 */
export const CONV2D_WEIGHT_BIAS_HOOKS = {
  load_b: `fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let y = kk.y + col.y;
  let x = kk.z + col.z;
  let inside = col.w != 0 && k < params.K && n + 1u < params.N && u32(y) < params.in_h && u32(x) < params.in_w;
  let ones = k < params.K && n + 1u == params.N;
  return select(select(0.0, b_at(select(0u, u32(col.x + kk.w), inside)), inside), 1.0, ones);
}`,
  store_c: `fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let cols = params.N - 1u;
  let at = slice * params.c_batch_stride + select(m * cols + n, params.M * cols + m, n == cols);
  c[params.c_offset + at] = epilogue(m, n, at, v);
}`,
};

/**
 * The variants of the convolution specs: forward (the bias per output channel: the bias_row
 * epilogue) and the two gradients. Other GEMM files with these hooks' names take them whole
 * (gemm-f16.ts, with f16 loads).
 */
export const CONV2D_FORWARD_VARIANTS = {
  forward: { hooks: forwardHooks }, forward_bias: { hooks: { ...forwardHooks, ...gemmEpilogueHooks({ channel: 'row', bias: true }) } },
} as const;
export const CONV2D_BACKWARD_VARIANTS = {
  input: { hooks: backwardInputHooks }, weight: { hooks: backwardWeightHooks }, weight_bias: { hooks: { ...backwardWeightHooks, ...CONV2D_WEIGHT_BIAS_HOOKS } },
} as const;
const forwardVariants = CONV2D_FORWARD_VARIANTS;
const backwardVariants = CONV2D_BACKWARD_VARIANTS;

export const conv2dTiledKernel = gemmKernel('tiled', 'conv2d_tiled', ['a', 'b', 'bias'], forwardVariants);
export const conv2dDirectKernel = gemmKernel('direct', 'conv2d_direct', ['a', 'b', 'bias'], forwardVariants);
export const conv2dSubgroupKernel = gemmKernel('subgroup', 'conv2d_subgroup', ['a', 'b', 'bias'], forwardVariants);
export const conv2dBackwardTiledKernel = gemmKernel('tiled', 'conv2d_backward_tiled', ['a', 'b'], backwardVariants);
export const conv2dBackwardDirectKernel = gemmKernel('direct', 'conv2d_backward_direct', ['a', 'b'], backwardVariants);
export const conv2dBackwardSubgroupKernel = gemmKernel('subgroup', 'conv2d_backward_subgroup', ['a', 'b'], backwardVariants);

/** The convolution specs of each GEMM entry point: forward (with optional bias) and the two gradients. */
export const CONV2D_KERNELS: Record<GemmStrategy, { forward: KernelSpec<'forward' | 'forward_bias'>; backward: KernelSpec<'input' | 'weight' | 'weight_bias'> }> = {
  tiled: { forward: conv2dTiledKernel, backward: conv2dBackwardTiledKernel },
  direct: { forward: conv2dDirectKernel, backward: conv2dBackwardDirectKernel },
  subgroup: { forward: conv2dSubgroupKernel, backward: conv2dBackwardSubgroupKernel },
};

/** One axis of a stride phase of the gradient w.r.t. the input (see conv2dInputPhases). */
export interface ConvPhaseAxis {
  /** dx indices of the phase: first + stride * t for t < pixels. */
  pixels: number;
  first: number;
  /** Kernel taps reaching them: tap0 + tapStep * j for j < taps (none: the phase's dx is 0). */
  taps: number;
  tap0: number;
  tapStep: number;
  /** dy index read by pixel t at tap j: dy0 + t - dyStep * j. */
  dy0: number;
  dyStep: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The stride phases of the gradient w.r.t. the input along one axis. dx[i] sums
 * dy[(i + pad - k dil) / stride] over the taps k where the division is exact, so the dx indices
 * with (i + pad) % stride = q all take the same taps: those with k dil = q (mod stride), an
 * arithmetic progression. Each phase is then a stride-1 product over its own taps only, instead
 * of testing every tap at every pixel (stride^2 times the work in 2-D).
 */
export function convInputPhases(inSize: number, kernel: number, stride: number, pad: number, dil: number): ConvPhaseAxis[] {
  const phases: ConvPhaseAxis[] = [];
  const tapStep = stride / gcd(dil, stride);
  for (let q = 0; q < stride; q++) {
    const first = q - pad + stride * Math.ceil((pad - q) / stride);
    const pixels = first < inSize ? Math.ceil((inSize - first) / stride) : 0;
    let tap0 = 0;
    while (tap0 < kernel && (((tap0 * dil - q) % stride) + stride) % stride !== 0) tap0++;
    const taps = tap0 < kernel ? Math.ceil((kernel - tap0) / tapStep) : 0;
    phases.push({ pixels, first, taps, tap0: taps ? tap0 : 0, tapStep, dy0: taps ? (first + pad - tap0 * dil) / stride : 0, dyStep: (dil * tapStep) / stride });
  }
  return phases;
}

/** The phase uniforms of the gradient w.r.t. the input for one (row, column) phase pair. */
export function conv2dPhaseUniforms(h: ConvPhaseAxis, w: ConvPhaseAxis): Record<string, number[]> {
  return {
    phase_pixels: [h.pixels, w.pixels, h.first, w.first],
    phase_dy: [h.dy0, w.dy0, h.dyStep, w.dyStep],
    phase_taps: [h.taps, w.taps, h.tap0, w.tap0],
    phase_tap_step: [h.tapStep, w.tapStep],
  };
}

/** Float64 convolution: x (images, C_in, H, W), w (C_out, C_in, KH, KW), bias (C_out) or null. */
export function conv2dReference(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, g: Conv2dGeometry): Float64Array {
  const out = new Float64Array(g.images * g.cOut * g.outH * g.outW);
  for (let n = 0; n < g.images; n++) {
    for (let co = 0; co < g.cOut; co++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          let s = bias ? bias[co] : 0;
          for (let ci = 0; ci < g.cIn; ci++) {
            for (let ky = 0; ky < g.kH; ky++) {
              const iy = oy * g.strideH - g.padH + ky * g.dilH;
              if (iy < 0 || iy >= g.inH) continue;
              for (let kx = 0; kx < g.kW; kx++) {
                const ix = ox * g.strideW - g.padW + kx * g.dilW;
                if (ix < 0 || ix >= g.inW) continue;
                s += x[((n * g.cIn + ci) * g.inH + iy) * g.inW + ix] * w[((co * g.cIn + ci) * g.kH + ky) * g.kW + kx];
              }
            }
          }
          out[((n * g.cOut + co) * g.outH + oy) * g.outW + ox] = s;
        }
      }
    }
  }
  return out;
}

/** Visits every (input element, weight element, output element) triple of the convolution. */
function forEachTap(g: Conv2dGeometry, visit: (xi: number, wi: number, oi: number) => void): void {
  for (let n = 0; n < g.images; n++) {
    for (let co = 0; co < g.cOut; co++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const oi = ((n * g.cOut + co) * g.outH + oy) * g.outW + ox;
          for (let ci = 0; ci < g.cIn; ci++) {
            for (let ky = 0; ky < g.kH; ky++) {
              const iy = oy * g.strideH - g.padH + ky * g.dilH;
              if (iy < 0 || iy >= g.inH) continue;
              for (let kx = 0; kx < g.kW; kx++) {
                const ix = ox * g.strideW - g.padW + kx * g.dilW;
                if (ix < 0 || ix >= g.inW) continue;
                visit(((n * g.cIn + ci) * g.inH + iy) * g.inW + ix, ((co * g.cIn + ci) * g.kH + ky) * g.kW + kx, oi);
              }
            }
          }
        }
      }
    }
  }
}

/** Float64 gradient w.r.t. the input: dx[x] = sum over taps reading x of dy[out] * w[tap]. */
export function conv2dBackwardInputReference(dy: ArrayLike<number>, w: ArrayLike<number>, g: Conv2dGeometry): Float64Array {
  const dx = new Float64Array(g.images * g.cIn * g.inH * g.inW);
  forEachTap(g, (xi, wi, oi) => {
    dx[xi] += dy[oi] * w[wi];
  });
  return dx;
}

/** Float64 gradient w.r.t. the weight: dw[tap] = sum over outputs of dy[out] * x[input of tap]. */
export function conv2dBackwardWeightReference(dy: ArrayLike<number>, x: ArrayLike<number>, g: Conv2dGeometry): Float64Array {
  const dw = new Float64Array(g.cOut * g.cIn * g.kH * g.kW);
  forEachTap(g, (xi, wi, oi) => {
    dw[wi] += dy[oi] * x[xi];
  });
  return dw;
}

function indexHooks(hooks: Readonly<Record<string, string>>): Record<'row_info' | 'col_info' | 'k_info' | 'k_next', string> {
  return { row_info: hooks.row_info, col_info: hooks.col_info, k_info: hooks.k_info, k_next: hooks.k_next };
}

/**
 * The index-decoding hooks of each product (row_info, col_info, k_info, k_next: they read only the
 * uniforms), shared with the register-blocked GPU kernel's variants (gemm-blocked-conv.ts), whose
 * loads and stores are its own.
 */
export const CONV2D_INDEX_HOOKS = {
  forward: indexHooks(forwardHooks),
  input: indexHooks(backwardInputHooks),
  weight: indexHooks(backwardWeightHooks),
} as const;
