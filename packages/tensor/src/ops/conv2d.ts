/**
 * conv2d: NCHW input, weight (C_out, C_in, KH, KW), optional bias (C_out); stride, padding and
 * dilation per axis; groups = 1. Implicit GEMM on the GEMM family's tiling (images folded into
 * N), bias added by the GEMM's epilogue (bias_row). 1x1 convolutions with stride 1 and no padding
 * are plain batched matmuls over the images (no gather) forward and for dx; their dW folds the
 * images into K of the implicit GEMM (its gather is then a strided read). A strided input is
 * copied once, and the copy is what the backward saves. Gradients:
 *   dx = W^T * patches'(dy)  (the transposed gather: each input pixel sums the outputs it fed; one
 *                             product per stride phase, over the taps that reach its pixels)
 *   dW = dy * patches(x)^T   (K = images * OH * OW is long: split-K when few output tiles)
 *   db = sum of dy over images and pixels: one more column of the dW product (a column of ones
 *        in the patches), not a reduction of its own
 * Input and weight are both f32, or both f16 (the f16 GEMM family, chosen through the same lookup;
 * the bias and every output stay f32, and the backward casts dy to f16 once for both products, so
 * db sums the f16-rounded dy in f32 as dW does). Inside `autocast`, f32 input and weight are cast to
 * f16 first. A tensor past one storage binding (the decoder's last layer at batch 8, 512x512 on
 * lavapipe) is processed in chunks of images (ops/split-binding.ts); dW and db then sum the chunks'
 * products in f32.
 * Shape: (N, C_in, H, W) -> (N, C_out, OH, OW), OH = floor((H + 2 pad - dil (KH - 1) - 1) / stride) + 1.
 */
import {
  conv2dKernelsFor, conv2dUniforms, conv2dPhaseUniforms, convInputPhases, gemmVariantTile, kernelConstants, type Conv2dGeometry,
} from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { checkDType } from '../dtype.js';
import { fmt, contiguousStrides } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';
import { matmulRaw, gemmChoice, gemmDType } from './matmul.js';
import { cast, castRaw } from './cast.js';
import { autocastsToF16 } from '../autocast.js';
import { alignedQuads, gemmCallConstants, gemmSplitK } from './gemm-blocked.js';
import { reshape, transpose } from './shape.js';
import { sum } from './reduce.js';
import { pair, slideWindow, type Pair } from './window.js';
import { imagesPerChunk, forEachImageChunk, writeImages } from './split-binding.js';
import { add } from './binary.js';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

interface Conv2dContext {
  x: Tensor;
  weight: Tensor;
  geometry: Conv2dGeometry;
}

declare module '../autograd/rules.js' {
  interface OpContexts {
    conv2d: Conv2dContext;
  }
}

/** Bound of the images * pixels index the kernels decode (the shaders' `quotient` is exact below it). */
const MAX_PIXELS = 2 ** 24;

let forcedSplits: number | null = null;

/**
 * Forces the number of K chunks of the weight gradient's GEMM (1: no split-K); `null` restores
 * the automatic choice (split when the C_out x C_in*KH*KW output has few tiles). Tests, benchmarks.
 */
export function setConv2dSplitK(splits: number | null): void {
  if (splits !== null && !(Number.isInteger(splits) && splits >= 1)) throw new Error(`setConv2dSplitK: splits must be an integer >= 1 or null, got ${splits}`);
  forcedSplits = splits;
}

/** Checks the operands and options and returns the geometry (errors name the shapes). */
function geometryOf(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions): Conv2dGeometry {
  gemmDType(x, weight, 'conv2d', ['input', 'weight']);
  if (x.rank !== 4) throw new Error(`conv2d: input must be (N, C_in, H, W), got ${fmt(x.shape)}`);
  if (weight.rank !== 4) throw new Error(`conv2d: weight must be (C_out, C_in, KH, KW), got ${fmt(weight.shape)}`);
  const [images, cIn, inH, inW] = x.shape;
  const [cOut, wIn, kH, kW] = weight.shape;
  if (wIn !== cIn) {
    throw new Error(`conv2d: input ${fmt(x.shape)} has ${cIn} channels but weight ${fmt(weight.shape)} expects ${wIn} (C_in is dim 1 of both)`);
  }
  if (bias) {
    checkDType(bias.dtype, 'f32', 'conv2d (bias)');
    if (bias.rank !== 1 || bias.shape[0] !== cOut) throw new Error(`conv2d: bias ${fmt(bias.shape)} must be (${cOut}) for weight ${fmt(weight.shape)}`);
  }
  if (kH === 0 || kW === 0) throw new Error(`conv2d: weight ${fmt(weight.shape)} has an empty kernel`);
  const stride = pair(options.stride ?? 1, 'stride', 'conv2d', 1);
  const padding = pair(options.padding ?? 0, 'padding', 'conv2d', 0);
  const dilation = pair(options.dilation ?? 1, 'dilation', 'conv2d', 1);
  const win = slideWindow(x.shape, [kH, kW], stride, padding, dilation, `conv2d of input ${fmt(x.shape)} with weight ${fmt(weight.shape)}`);
  if (images * Math.max(inH * inW, win.out[0] * win.out[1]) >= MAX_PIXELS) {
    throw new Error(`conv2d: input ${fmt(x.shape)} has ${images} x ${inH * inW} pixels; the kernels decode pixel indices below 2^24`);
  }
  return {
    images, cIn, inH, inW, cOut, kH, kW, outH: win.out[0], outW: win.out[1],
    strideH: stride[0], strideW: stride[1], padH: padding[0], padW: padding[1], dilH: dilation[0], dilW: dilation[1],
  };
}

/** A 1x1 kernel with stride 1 and no padding: a product over channels at every pixel. */
function isPointwise(g: Conv2dGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;
}

function dense(t: Tensor): Tensor {
  return t.isContiguous ? t : contiguousCopy(t);
}

function release(t: Tensor, original: Tensor): void {
  if (t !== original) t.dispose();
}

/** Forward product without autograd (x dense), in chunks of images past one binding. */
function conv2dRaw(x: Tensor, weight: Tensor, bias: Tensor | null, g: Conv2dGeometry): Tensor {
  const outShape = [g.images, g.cOut, g.outH, g.outW];
  const perChunk = imagesPerChunk('conv2d', [x], [outShape]);
  if (perChunk === null) return conv2dWhole(x, weight, bias, g);
  const out = Tensor.empty(outShape, 'f32', 'conv2d');
  forEachImageChunk(g.images, perChunk, [x], ([xc], start, count) => {
    const yc = conv2dWhole(xc, weight, bias, { ...g, images: count });
    writeImages(out, start, yc);
    yc.dispose();
  });
  return out;
}

/** Forward product on tensors that fit one binding. */
function conv2dWhole(x: Tensor, weight: Tensor, bias: Tensor | null, g: Conv2dGeometry): Tensor {
  const outShape = [g.images, g.cOut, g.outH, g.outW];
  const bs = bias ? dense(bias) : null;
  if (isPointwise(g)) {
    // out[n] = W (C_out x C_in) x[n] (C_in x H*W) + bias per row
    const w2 = reshape(weight, [g.cOut, g.cIn]);
    const x3 = reshape(x, [g.images, g.cIn, g.inH * g.inW]);
    const y3 = matmulRaw(w2, x3, 1, bs ? { t: bs, along: 'rows' } : undefined);
    const y = reshape(y3, outShape);
    for (const t of [w2, x3, y3]) t.dispose();
    if (bs && bias) release(bs, bias);
    return y;
  }
  const out = Tensor.empty(outShape, 'f32', 'conv2d');
  if (out.size === 0) return out;
  const ws = dense(weight);
  const M = g.cOut;
  const N = g.images * g.outH * g.outW;
  const K = g.cIn * g.kH * g.kW;
  const dtype = gemmDType(ws, x, 'conv2d', ['weight', 'input']);
  const { strategy, constants } = gemmChoice(M, N, K, 1, [ws.buffer, x.buffer], dtype);
  runtime().run(conv2dKernelsFor(strategy, dtype).forward, bs ? 'forward_bias' : 'forward', {
    buffers: { a: ws.buffer, b: x.buffer, bias: bs ? bs.buffer : null, c: out.buffer },
    uniforms: {
      ...conv2dUniforms(g), M, N, K, batch: 1,
      a_offset: ws.offset, b_offset: x.offset, c_offset: 0, bias_offset: bs ? bs.offset : 0, alpha: 1,
    },
    constants: gemmCallConstants(strategy, constants, { M, N, K, vecA: alignedQuads(ws.offset, K, K), vecB: false }),
  });
  release(ws, weight);
  if (bs && bias) release(bs, bias);
  return out;
}

/**
 * 2-D convolution (cross-correlation, as torch.nn.functional.conv2d with groups = 1).
 * Shape: x (N, C_in, H, W), weight (C_out, C_in, KH, KW), bias (C_out) -> (N, C_out, OH, OW).
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
  if (autocastsToF16(x, weight)) {
    geometryOf(x, weight, bias, options);
    const x16 = cast(x, 'f16');
    const w16 = cast(weight, 'f16');
    const out = conv2d(x16, w16, bias, options);
    x16.dispose();
    w16.dispose();
    return out;
  }
  const g = geometryOf(x, weight, bias, options);
  const xs = dense(x);
  const out = conv2dRaw(xs, weight, bias, g);
  if (needsGrad(x, weight, bias)) {
    record('conv2d', [x, weight, bias], { x: saved(xs), weight: saved(weight), geometry: g }, out);
  }
  release(xs, x);
  return out;
}

/** Gradient w.r.t. the input: (N, C_out, OH, OW) -> (N, C_in, H, W). */
export function conv2dBackwardInput(dy: Tensor, weight: Tensor, g: Conv2dGeometry): Tensor {
  const inShape = [g.images, g.cIn, g.inH, g.inW];
  const dys = dense(dy);
  const perChunk = imagesPerChunk('conv2d_backward_input', [dys], [inShape]);
  if (perChunk === null) {
    const whole = backwardInputWhole(dys, weight, g);
    release(dys, dy);
    return whole;
  }
  const dx = Tensor.empty(inShape, 'f32', 'conv2d_backward_input');
  forEachImageChunk(g.images, perChunk, [dys], ([dyc], start, count) => {
    const dxc = backwardInputWhole(dyc, weight, { ...g, images: count });
    writeImages(dx, start, dxc);
    dxc.dispose();
  });
  release(dys, dy);
  return dx;
}

/** Gradient w.r.t. the input on tensors that fit one binding. */
function backwardInputWhole(dy: Tensor, weight: Tensor, g: Conv2dGeometry): Tensor {
  const inShape = [g.images, g.cIn, g.inH, g.inW];
  if (isPointwise(g)) {
    // dx[n] = W^T (C_in x C_out) dy[n] (C_out x H*W)
    const w2 = reshape(weight, [g.cOut, g.cIn]);
    const wt = transpose(w2);
    const dy3 = reshape(dy, [g.images, g.cOut, g.outH * g.outW]);
    const dx3 = matmulRaw(wt, dy3);
    const dx = reshape(dx3, inShape);
    for (const t of [w2, wt, dy3, dx3]) t.dispose();
    return dx;
  }
  const dx = Tensor.empty(inShape, 'f32', 'conv2d_backward_input');
  if (dx.size === 0) return dx;
  const dys = dense(dy);
  const ws = dense(weight);
  const dtype = gemmDType(ws, dys, 'conv2d input gradient', ['weight', 'dy']);
  const { strategy, constants } = gemmChoice(g.cIn, g.images * g.inH * g.inW, g.cOut * g.kH * g.kW, 1, [ws.buffer, dys.buffer], dtype);
  // one stride-1 product per stride phase (pixels (i + pad) % stride = q take the same taps); each
  // writes its own dx pixels, a phase no tap reaches writes zeros (K = 0)
  for (const ph of convInputPhases(g.inH, g.kH, g.strideH, g.padH, g.dilH)) {
    for (const pw of convInputPhases(g.inW, g.kW, g.strideW, g.padW, g.dilW)) {
      const M = g.cIn;
      const N = g.images * ph.pixels * pw.pixels;
      const K = g.cOut * ph.taps * pw.taps;
      runtime().run(conv2dKernelsFor(strategy, dtype).backward, 'input', {
        buffers: { a: ws.buffer, b: dys.buffer, bias: null, scale: null, residual: null, c: dx.buffer },
        uniforms: {
          ...conv2dUniforms(g), ...conv2dPhaseUniforms(ph, pw), M, N, K, batch: 1, a_offset: ws.offset, b_offset: dys.offset, c_offset: 0, alpha: 1,
        },
        constants: gemmCallConstants(strategy, constants, { M, N, K, vecA: false, vecB: false }),
      });
    }
  }
  release(dys, dy);
  release(ws, weight);
  return dx;
}

/** Output tiles below which the weight gradient splits K (per adapter kind). */
function splitTarget(): number {
  // CPU adapters: split only products of fewer tiles than a small CPU has threads (measured on
  // lavapipe, 2 cores: the tiny step's weight gradients take the same GPU time with or without
  // split-K, and each split costs a reduction dispatch)
  return runtime().gpu.info.isSoftware ? 2 : 256;
}

/** Shortest K chunk worth a split. */
const MIN_K_CHUNK = 256;

/** Number of K chunks for an M x N product with a K of `K`. */
function kSplits(M: number, N: number, K: number, tile: { rows: number; cols: number }): number {
  if (forcedSplits !== null) return Math.min(forcedSplits, Math.max(1, K));
  const tiles = Math.ceil(M / tile.rows) * Math.ceil(N / tile.cols);
  if (tiles >= splitTarget()) return 1;
  return Math.max(1, Math.min(Math.ceil(splitTarget() / tiles), Math.floor(K / MIN_K_CHUNK)));
}

/**
 * Gradient w.r.t. the weight, and with `withBias` the bias's from the same product:
 * dy (N, C_out, OH, OW), x (N, C_in, H, W) -> dW (C_out, C_in, KH, KW), db (C_out).
 */
export function conv2dBackwardWeight(dy: Tensor, x: Tensor, g: Conv2dGeometry, withBias = false): { dw: Tensor; db: Tensor | null } {
  const wShape = [g.cOut, g.cIn, g.kH, g.kW];
  const cols = g.cIn * g.kH * g.kW;
  const dys = dense(dy);
  const xs = dense(x);
  const perChunk = imagesPerChunk('conv2d_backward_weight', [dys, xs], []);
  let summed: Tensor;
  if (perChunk === null) summed = backwardWeightWhole(dys, xs, g, withBias);
  else {
    let total: Tensor | null = null;
    forEachImageChunk(g.images, perChunk, [dys, xs], ([dyc, xc], _start, count) => {
      const part = backwardWeightWhole(dyc, xc, { ...g, images: count }, withBias);
      if (!total) total = part;
      else {
        const next = add(total, part);
        total.dispose();
        part.dispose();
        total = next;
      }
    });
    summed = total!;
  }
  release(dys, dy);
  release(xs, x);
  // [dW (C_out x C_in*KH*KW), db (C_out)] in one buffer
  const dw = summed.view(wShape, contiguousStrides(wShape), summed.offset);
  const db = withBias ? summed.view([g.cOut], [1], summed.offset + g.cOut * cols) : null;
  summed.dispose();
  return { dw, db };
}

/** The [dW, db] product (C_out x (C_in*KH*KW + withBias), one buffer) on dense tensors that fit one binding. */
function backwardWeightWhole(dys: Tensor, xs: Tensor, g: Conv2dGeometry, withBias: boolean): Tensor {
  // 1x1 kernels too: the images fold into K, where a batched product over images would need an
  // (images, C_out, C_in) intermediate and a sum (134 MB for ResNet's layer4.conv3 at batch 32)
  const M = g.cOut;
  const cols = g.cIn * g.kH * g.kW;
  const N = cols + (withBias ? 1 : 0);
  const K = g.images * g.outH * g.outW;
  const dtype = gemmDType(dys, xs, 'conv2d weight gradient', ['dy', 'input']);
  const { strategy, constants } = gemmChoice(M, N, K, 1, [dys.buffer, xs.buffer], dtype);
  const spec = conv2dKernelsFor(strategy, dtype).backward;
  const variant = withBias ? 'weight_bias' : 'weight';
  const tuning = kernelConstants(spec, variant, constants);
  const { splits, chunk } = gemmSplitK(strategy, tuning, K, kSplits(M, N, K, gemmVariantTile(strategy, tuning, dtype)));
  const partial = Tensor.empty(splits === 1 ? [M * N] : [splits, M * N], 'f32', 'conv2d_backward_weight');
  const pixels = g.outH * g.outW;
  runtime().run(spec, variant, {
    buffers: { a: dys.buffer, b: xs.buffer, c: partial.buffer },
    uniforms: {
      ...conv2dUniforms(g), M, N, K, batch: 1, a_offset: dys.offset, b_offset: xs.offset, c_offset: 0,
      c_batch_stride: M * N, k_splits: splits, k_chunk: chunk, alpha: 1,
    },
    // dy's rows are runs of a plane's pixels: vec4s when they divide by 4
    constants: gemmCallConstants(strategy, constants, { M, N, K, kChunk: chunk, vecA: alignedQuads(dys.offset, pixels, pixels, g.cOut * pixels), vecB: false }),
  });
  const summed = splits === 1 ? partial : sum(partial, 0);
  if (summed !== partial) partial.dispose();
  return summed;
}

/** The gradient rule: one gradient per input (x, weight, bias), null where not needed. */
export function conv2dGrad(g: Tensor, c: Conv2dContext, needs: readonly boolean[]): (Tensor | null)[] {
  // f16 operands: dy cast to f16 once for both products (the f16 GEMMs take f16 x f16)
  const dy = c.x.dtype === 'f16' && (needs[0] || needs[1]) ? castRaw(g, 'f16') : g;
  const dx = needs[0] ? conv2dBackwardInput(dy, c.weight, c.geometry) : null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[1]) ({ dw, db } = conv2dBackwardWeight(dy, c.x, c.geometry, needs[2]));
  else if (needs[2]) db = sum(g, [0, 2, 3]);
  if (dy !== g) dy.dispose();
  return [dx, dw, db];
}
