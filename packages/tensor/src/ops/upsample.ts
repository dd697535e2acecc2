/**
 * upsample2x(x, mode): (N, C, H, W) -> (N, C, 2H, 2W), nearest or bilinear with
 * align_corners = false (PyTorch's F.interpolate(scale_factor=2)). The backward is a gather:
 *   d up = sum over the outputs o that tap input i of weight(o, i) g[o]  (no atomics)
 * with the weights of the forward's taps (1 for nearest; 1/4, 3/4 or 1 per axis for bilinear).
 * The kernels' structure comes from the variant table ('upsample'): `vec4` on CPU adapters (where
 * W is a multiple of 4 and the rows start at multiples of 4; `rows` otherwise), `rows` on GPUs.
 * A tensor past one storage binding is processed in chunks of images (ops/split-binding.ts).
 */
import { UPSAMPLE_KERNELS, type UpsampleMode, type UpsampleStructure } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { chooseVariant } from '../gpu/variants.js';
import { checkDType } from '../dtype.js';
import { fmt } from '../shape.js';
import { needsGrad, record } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';
import { imagesPerChunk, forEachImageChunk, writeImages } from './split-binding.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    upsample2x: { inShape: readonly number[]; mode: UpsampleMode };
  }
}

export type { UpsampleMode };

/** The uniforms every upsampling kernel takes for an (N, C, H, W) input (the strided gradient's: zero). */
function geometryUniforms(N: number, C: number, H: number, W: number): Record<string, number | number[]> {
  return { planes: N * C, in_h: H, in_w: W, channels: C, g_offset: 0, g_strides: [0, 0, 0, 0] };
}

/** The variant table's structure for (planes, H, W), `rows` where the vec4 kernels cannot run (data at `offset`). */
function structureFor(planes: number, H: number, W: number, offset: number): { structure: UpsampleStructure; constants: Record<string, number> } {
  const choice = chooseVariant('upsample', planes, H, W);
  if (choice.variant === 'vec4' && W % 4 === 0 && offset % 4 === 0) return { structure: 'vec4', constants: { ...choice.constants } };
  return { structure: 'rows', constants: {} };
}

/**
 * Doubles the spatial size of an (N, C, H, W) tensor.
 * Shape: (N, C, H, W) -> (N, C, 2H, 2W)
 */
export function upsample2x(x: Tensor, mode: UpsampleMode = 'nearest'): Tensor {
  checkDType(x.dtype, 'f32', 'upsample2x');
  if (x.rank !== 4) throw new Error(`upsample2x: expected a 4-D input (N, C, H, W), got ${fmt(x.shape)}`);
  if (mode !== 'nearest' && mode !== 'bilinear') throw new Error(`upsample2x: mode must be 'nearest' or 'bilinear', got ${String(mode)}`);
  const [N, C, H, W] = x.shape;
  const src = x.isContiguous ? x : contiguousCopy(x);
  const outShape = [N, C, 2 * H, 2 * W];
  const perChunk = imagesPerChunk(`upsample2x/${mode}`, [src], [outShape]);
  let out: Tensor;
  if (perChunk === null) out = upsampleForward(src, mode);
  else {
    const big = Tensor.empty(outShape, 'f32', `upsample2x/${mode}`);
    forEachImageChunk(N, perChunk, [src], ([xc], start) => {
      const yc = upsampleForward(xc, mode);
      writeImages(big, start, yc);
      yc.dispose();
    });
    out = big;
  }
  if (src !== x) src.dispose();
  if (needsGrad(x)) record('upsample2x', [x], { inShape: x.shape, mode }, out);
  return out;
}

/** The forward kernel on a contiguous input that fits one binding. */
function upsampleForward(src: Tensor, mode: UpsampleMode): Tensor {
  const [N, C, H, W] = src.shape;
  const out = Tensor.empty([N, C, 2 * H, 2 * W], 'f32', `upsample2x/${mode}`);
  if (out.size > 0) {
    const { structure, constants } = structureFor(N * C, H, W, src.offset);
    const buffers: Record<string, GPUBuffer> = structure === 'vec4' ? { x4: src.buffer, out4: out.buffer } : { x: src.buffer, out: out.buffer };
    runtime().run(UPSAMPLE_KERNELS[structure].forward, mode, { buffers, uniforms: { ...geometryUniforms(N, C, H, W), x_offset: src.offset }, constants });
  }
  return out;
}

export function upsample2xGrad(g: Tensor, c: { inShape: readonly number[]; mode: UpsampleMode }): Tensor[] {
  const perChunk = imagesPerChunk(`upsample2x_backward/${c.mode}`, [g], [c.inShape]);
  if (perChunk === null) return [upsampleBackward(g, c.inShape, c.mode)];
  const dx = Tensor.empty(c.inShape, 'f32', `upsample2x_backward/${c.mode}`);
  forEachImageChunk(c.inShape[0], perChunk, [g], ([gc], start, count) => {
    const dxc = upsampleBackward(gc, [count, ...c.inShape.slice(1)], c.mode);
    writeImages(dx, start, dxc);
    dxc.dispose();
  });
  return [dx];
}

/** The backward kernel for a gradient and an input that fit one binding. */
function upsampleBackward(g: Tensor, inShape: readonly number[], mode: UpsampleMode): Tensor {
  const c = { inShape, mode };
  const [N, C, H, W] = c.inShape;
  const dx = Tensor.empty(c.inShape, 'f32', `upsample2x_backward/${c.mode}`);
  if (dx.size === 0) return dx;
  const uniforms = { ...geometryUniforms(N, C, H, W), x_offset: 0 };
  const { structure, constants } = structureFor(N * C, H, W, 0);
  if (structure === 'vec4') {
    // a contiguous gradient is read as vec4s, any other view element by element through its strides
    const dense = g.isContiguous && g.offset % 4 === 0;
    runtime().run(UPSAMPLE_KERNELS.vec4.backward, c.mode, {
      buffers: { g: dense ? null : g.buffer, g4: dense ? g.buffer : null, out4: dx.buffer },
      uniforms: { ...uniforms, g_offset: g.offset, g_strides: [...g.strides] }, constants: { ...constants, G_DENSE: dense ? 1 : 0 },
    });
    return dx;
  }
  const gc = g.isContiguous && g.offset === 0 ? g : contiguousCopy(g);
  runtime().run(UPSAMPLE_KERNELS.rows.backward, c.mode, { buffers: { g: gc.buffer, out: dx.buffer }, uniforms, constants });
  if (gc !== g) gc.dispose();
  return dx;
}
