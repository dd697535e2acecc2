/**
 * 2-D pooling over the last two dims of (N, C, H, W) or (C, H, W), with autograd:
 *   maxPool2d:        the max of each window (padding as -inf); the argmax indices (i32, first max in
 *                     scan order, as PyTorch) are saved for backward:
 *                     dx = the output gradient at each window's argmax (a deterministic gather)
 *   avgPool2d:        the window mean (count_include_pad as PyTorch): dx = g / divisor over each window
 *   globalAvgPool2d:  the mean over H and W, (N, C, H, W) -> (N, C) (adaptive average pooling to
 *                     1x1, then flatten, as torchvision's ResNet): d mean = g / (H W) everywhere
 * The kernels' structure comes from the variant table ('pool'): `vec4` on CPU adapters (rows read
 * as vec4s, where W and OW are multiples of 4 and the window fits; `rows` otherwise), `rows` on
 * GPUs.
 * Shape: (..., H, W) -> (..., OH, OW), OH = floor((H + 2 pad - KH) / stride) + 1.
 */
import {
  POOL_KERNELS, pool2dUniforms, poolVec4Constants, poolVec4Fits, type Pool2dGeometry, type PoolStructure, type Constants, type KernelSpec,
} from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { chooseVariant } from '../gpu/variants.js';
import { checkDType } from '../dtype.js';
import { fmt, numel } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';
import { mean } from './reduce.js';
import { pair, slideWindow, type Pair } from './window.js';

export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: Pair;
  /** Implicit -inf padding on both sides, at most half the kernel (default 0). */
  padding?: Pair;
}

export interface AvgPool2dOptions extends MaxPool2dOptions {
  /** Count the zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

interface PoolContext {
  inShape: readonly number[];
  geometry: Pool2dGeometry;
}

declare module '../autograd/rules.js' {
  interface OpContexts {
    max_pool2d: PoolContext & { indices: Tensor };
    avg_pool2d: PoolContext & { countIncludePad: boolean };
  }
}

function geometryOf(op: string, x: Tensor, kernel: Pair, options: MaxPool2dOptions): Pool2dGeometry {
  checkDType(x.dtype, 'f32', op);
  if (x.rank !== 3 && x.rank !== 4) throw new Error(`${op}: input must be (N, C, H, W) or (C, H, W), got ${fmt(x.shape)}`);
  const k = pair(kernel, 'kernel', op, 1);
  const stride = pair(options.stride ?? k, 'stride', op, 1);
  const padding = pair(options.padding ?? 0, 'padding', op, 0);
  if (padding[0] > k[0] / 2 || padding[1] > k[1] / 2) {
    throw new Error(`${op}: padding ${padding.join('x')} must be at most half the kernel ${k.join('x')} (input ${fmt(x.shape)})`);
  }
  const win = slideWindow(x.shape, k, stride, padding, [1, 1], `${op} of input ${fmt(x.shape)}`);
  return {
    planes: numel(x.shape.slice(0, -2)), inH: x.shape[x.rank - 2], inW: x.shape[x.rank - 1], outH: win.out[0], outW: win.out[1],
    kH: k[0], kW: k[1], strideH: stride[0], strideW: stride[1], padH: padding[0], padW: padding[1],
  };
}

/**
 * The structure a pooling runs (its input, or the gradient it reads, at `offset`) and the
 * constants of its kernels: the variant table's choice, `rows` where the vec4 kernels cannot run.
 */
function structureFor(g: Pool2dGeometry, offset: number): { structure: PoolStructure; constants: Constants } {
  const choice = chooseVariant('pool', g.planes, g.inH, g.inW, g.kH * g.kW);
  if (choice.variant === 'vec4' && poolVec4Fits(g) && offset % 4 === 0) {
    return { structure: 'vec4', constants: { ...choice.constants, ...poolVec4Constants(g) } };
  }
  return { structure: 'rows', constants: {} };
}

/** Runs a forward of either structure; buffers are named as the rows kernels' (x, out, argmax). */
function runForward(spec: KernelSpec, structure: PoolStructure, constants: Constants, buffers: Record<string, GPUBuffer | null>, uniforms: Record<string, number | number[]>): void {
  const named = structure === 'vec4' ? Object.fromEntries(Object.entries(buffers).map(([k, b]) => [`${k}4`, b])) : buffers;
  runtime().run(spec, 'default', { buffers: named, uniforms, constants });
}

/**
 * Runs a backward into dx: the vec4 kernels read dy in place, as vec4s when it is contiguous at an
 * offset that is a multiple of 4, else element by element through its strides; the rows kernels
 * read a contiguous copy. `indices`: max pooling's argmaxes.
 */
function runBackward(kind: 'maxBackward' | 'avgBackward', dy: Tensor, geometry: Pool2dGeometry, dx: Tensor, indices: Tensor | null, uniforms: Record<string, number>): void {
  const { structure, constants } = structureFor(geometry, 0);
  const common = { ...pool2dUniforms(geometry), x_offset: 0, ...uniforms };
  if (structure === 'vec4') {
    const vec4s = dy.isContiguous && dy.offset % 4 === 0;
    runtime().run(POOL_KERNELS.vec4[kind], 'default', {
      buffers: { g: vec4s ? null : dy.buffer, g4: vec4s ? dy.buffer : null, out4: dx.buffer, ...(indices ? { argmax4_in: indices.buffer } : {}) },
      uniforms: { ...common, channels: dy.shape[dy.rank - 3], g_offset: dy.offset, g_strides: dy.rank === 4 ? [...dy.strides] : [0, ...dy.strides] },
      constants: { ...constants, G_DENSE: vec4s ? 1 : 0 },
    });
    return;
  }
  const g = dy.isContiguous && dy.offset === 0 ? dy : contiguousCopy(dy);
  runtime().run(POOL_KERNELS.rows[kind], 'default', { buffers: { g: g.buffer, out: dx.buffer, ...(indices ? { argmax_in: indices.buffer } : {}) }, uniforms: common });
  if (g !== dy) g.dispose();
}

function outShape(x: Tensor, g: Pool2dGeometry): number[] {
  return [...x.shape.slice(0, -2), g.outH, g.outW];
}

/**
 * Max pooling with PyTorch's semantics (-inf padding, ties to the first max in scan order).
 * Shape: (N, C, H, W) -> (N, C, OH, OW); (C, H, W) -> (C, OH, OW).
 */
export function maxPool2d(x: Tensor, kernel: Pair, options: MaxPool2dOptions = {}): Tensor {
  const g = geometryOf('maxPool2d', x, kernel, options);
  const shape = outShape(x, g);
  const out = Tensor.empty(shape, 'f32', 'max_pool2d');
  const grad = needsGrad(x);
  // The argmaxes are only needed for the backward; the rows kernel writes them regardless.
  let indices: Tensor | null = null;
  if (out.size > 0) {
    const src = x.isContiguous ? x : contiguousCopy(x);
    const { structure, constants } = structureFor(g, src.offset);
    if (grad || structure === 'rows') indices = Tensor.empty(shape, 'i32', 'max_pool2d_indices');
    runForward(POOL_KERNELS[structure].maxForward, structure, { ...constants, ...(structure === 'vec4' ? { WRITE_ARGMAX: grad ? 1 : 0 } : {}) }, {
      x: src.buffer, out: out.buffer, argmax: indices?.buffer ?? null,
    }, { ...pool2dUniforms(g), x_offset: src.offset });
    if (src !== x) src.dispose();
  } else if (grad) {
    indices = Tensor.empty(shape, 'i32', 'max_pool2d_indices');
  }
  if (grad) {
    record('max_pool2d', [x], { inShape: x.shape, geometry: g, indices: saved(indices!) }, out);
  }
  indices?.dispose();
  return out;
}

/**
 * Average pooling with PyTorch's semantics (zero padding; the divisor counts it unless
 * countIncludePad is false). Shape: (N, C, H, W) -> (N, C, OH, OW); (C, H, W) -> (C, OH, OW).
 */
export function avgPool2d(x: Tensor, kernel: Pair, options: AvgPool2dOptions = {}): Tensor {
  const g = geometryOf('avgPool2d', x, kernel, options);
  const countIncludePad = options.countIncludePad ?? true;
  const out = Tensor.empty(outShape(x, g), 'f32', 'avg_pool2d');
  if (out.size > 0) {
    const src = x.isContiguous ? x : contiguousCopy(x);
    const { structure, constants } = structureFor(g, src.offset);
    runForward(POOL_KERNELS[structure].avgForward, structure, constants, { x: src.buffer, out: out.buffer }, {
      ...pool2dUniforms(g), x_offset: src.offset, count_include_pad: countIncludePad ? 1 : 0,
    });
    if (src !== x) src.dispose();
  }
  if (needsGrad(x)) record('avg_pool2d', [x], { inShape: x.shape, geometry: g, countIncludePad }, out);
  return out;
}

/** Mean over H and W: adaptive average pooling to 1x1, flattened. Shape: (N, C, H, W) -> (N, C). */
export function globalAvgPool2d(x: Tensor): Tensor {
  if (x.rank !== 4) throw new Error(`globalAvgPool2d: input must be (N, C, H, W), got ${fmt(x.shape)}`);
  if (x.shape[2] * x.shape[3] === 0) throw new Error(`globalAvgPool2d: input ${fmt(x.shape)} has no pixels to average`);
  return mean(x, [2, 3]);
}

/** d maxPool2d: each input element gathers the output gradients whose argmax it is. */
export function maxPool2dGrad(dy: Tensor, c: PoolContext & { indices: Tensor }): (Tensor | null)[] {
  const dx = Tensor.empty(c.inShape, 'f32', 'max_pool2d_backward');
  if (dx.size === 0) return [dx];
  runBackward('maxBackward', dy, c.geometry, dx, c.indices, {});
  return [dx];
}

/** d avgPool2d: each input element sums g / divisor over the windows containing it. */
export function avgPool2dGrad(dy: Tensor, c: PoolContext & { countIncludePad: boolean }): (Tensor | null)[] {
  const dx = Tensor.empty(c.inShape, 'f32', 'avg_pool2d_backward');
  if (dx.size === 0) return [dx];
  runBackward('avgBackward', dy, c.geometry, dx, null, { count_include_pad: c.countIncludePad ? 1 : 0 });
  return [dx];
}
