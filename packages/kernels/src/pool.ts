/**
 * Specs of 2-D pooling (shaders/pool.wgsl): max pooling with argmax indices (first maximum in
 * scan order, padding as -inf, as PyTorch), average pooling (count_include_pad either way), and
 * their gradients as gathers, each in two structures: `rows` (one invocation per element, any
 * geometry) and `vec4` (rows read and written as vec4s, the window along x compile-time; see
 * `poolVec4Fits`). Float64 references of the forwards and of the backwards, the latter written as
 * scatters (the adjoint), independent of the kernels' gathers.
 */
import { defineKernel, GRID_BASE_UNIFORM, MAX_WORKGROUPS_PER_DIM, type Workgroups } from './spec.js';

/** Sizes of one pooling over (planes, H, W). */
export interface Pool2dGeometry {
  planes: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
}

const UNIFORMS = [
  'planes', 'in_h', 'in_w', 'out_h', 'out_w', 'k_h', 'k_w', 'stride_h', 'stride_w', 'pad_h', 'pad_w', 'x_offset', 'count_include_pad',
  'channels', 'g_offset', 'g_strides', GRID_BASE_UNIFORM,
] as const;

/**
 * The uniform values of a pooling (x_offset and count_include_pad added by the caller; the vec4
 * backwards' strided gradient fields zero, the caller sets them).
 */
export function pool2dUniforms(g: Pool2dGeometry): Record<string, number | number[]> {
  return {
    planes: g.planes, in_h: g.inH, in_w: g.inW, out_h: g.outH, out_w: g.outW, k_h: g.kH, k_w: g.kW,
    stride_h: g.strideH, stride_w: g.strideW, pad_h: g.padH, pad_w: g.padW,
    channels: 1, g_offset: 0, g_strides: [0, 0, 0, 0],
  };
}

/**
 * (ceil(width / WG), rows) workgroups, rows folded into the third dimension past the limit; a
 * width past the limit is split by the runtime (the kernels take wg_base).
 */
function rowGrid(width: number, rows: number, wg: number): Workgroups {
  const y = Math.max(1, Math.min(rows, MAX_WORKGROUPS_PER_DIM));
  return [Math.ceil(width / wg), y, Math.ceil(rows / y)];
}

const base = { shader: 'pool', uniforms: UNIFORMS, constants: { WG: 32 }, variants: { default: {} } } as const;
const overOutputs = (u: Record<string, unknown>, c: Record<string, number>) => rowGrid(u.out_w as number, (u.planes as number) * (u.out_h as number), c.WG);
const overInputs = (u: Record<string, unknown>, c: Record<string, number>) => rowGrid(u.in_w as number, (u.planes as number) * (u.in_h as number), c.WG);

/** (planes, H, W) -> values and argmax (planes, OH, OW), one invocation per output. */
export const maxPool2dKernel = defineKernel({ ...base, name: 'max_pool2d', entryPoint: 'max_pool_forward', inputs: ['x'], outputs: ['out', 'argmax'], dispatch: overOutputs });
/** Gradient (planes, OH, OW) and argmax -> (planes, H, W), one invocation per input element. */
export const maxPool2dBackwardKernel = defineKernel({ ...base, name: 'max_pool2d_backward', entryPoint: 'max_pool_backward', inputs: ['g', 'argmax_in'], outputs: ['out'], dispatch: overInputs });
/** (planes, H, W) -> (planes, OH, OW), one invocation per output. */
export const avgPool2dKernel = defineKernel({ ...base, name: 'avg_pool2d', entryPoint: 'avg_pool_forward', inputs: ['x'], outputs: ['out'], dispatch: overOutputs });
/** Gradient (planes, OH, OW) -> (planes, H, W), one invocation per input element. */
export const avgPool2dBackwardKernel = defineKernel({ ...base, name: 'avg_pool2d_backward', entryPoint: 'avg_pool_backward', inputs: ['g'], outputs: ['out'], dispatch: overInputs });

/** The two structures of the pooling kernels. */
export const POOL_STRUCTURES = ['rows', 'vec4'] as const;
export type PoolStructure = (typeof POOL_STRUCTURES)[number];

/** vec4s of a row segment an invocation of the vec4 kernels keeps in registers (MAX_SPAN4). */
const POOL_MAX_SPAN4 = 8;
/** Largest OUT_VEC4 (vec4s of outputs per invocation of the vec4 forwards). */
const POOL_VEC4_MAX_OUT = 2;

/**
 * Tuning of the vec4 kernels: invocations per workgroup (a workgroup covers part of one row), and
 * of the forwards vec4s of outputs per output row (1 or 2) and output rows (1 or 2) per invocation.
 */
export const POOL_VEC4_TUNING = { WG: 8, OUT_VEC4: 2, OUT_ROWS: 2 } as const;

/** The vec4 kernels' compile-time window geometry along x for a pooling. */
export function poolVec4Constants(g: Pool2dGeometry): Record<string, number> {
  return { K_W: g.kW, STRIDE_W: g.strideW, PAD_W: g.padW };
}

/**
 * Whether the vec4 kernels can run a pooling: W and OW multiples of 4, and the row segments an
 * invocation keeps within MAX_SPAN4 vec4s (forward: the windows of 4 outputs; backward: 4 stride
 * inputs and the gradient covering them). The input must also sit at an offset that is a
 * multiple of 4 (the op checks).
 */
export function poolVec4Fits(g: Pool2dGeometry): boolean {
  if (g.inW % 4 !== 0 || g.outW % 4 !== 0 || g.outW === 0) return false;
  const lead = Math.ceil(g.padW / 4);
  const span4 = Math.floor((4 * lead - g.padW + (4 * POOL_VEC4_MAX_OUT - 1) * g.strideW + g.kW + 3) / 4);
  const rLo = Math.ceil((g.padW - g.kW + 1) / g.strideW);
  const rHi = Math.floor((4 * g.strideW - 1 + g.padW) / g.strideW);
  const gSpan4 = Math.floor(rHi / 4) - Math.floor(rLo / 4) + 1;
  return span4 <= POOL_MAX_SPAN4 && gSpan4 <= POOL_MAX_SPAN4 && g.strideW <= POOL_MAX_SPAN4;
}

const vec4Base = { ...base, constants: { ...POOL_VEC4_TUNING, K_W: 3, STRIDE_W: 2, PAD_W: 1 } } as const;
const overOutputs4 = (u: Record<string, unknown>, c: Record<string, number>) =>
  rowGrid(Math.ceil((u.out_w as number) / 4 / c.OUT_VEC4), (u.planes as number) * Math.ceil((u.out_h as number) / c.OUT_ROWS), c.WG);
const overInputs4 = (u: Record<string, unknown>, c: Record<string, number>) =>
  rowGrid(Math.ceil((u.in_w as number) / 4 / c.STRIDE_W), (u.planes as number) * (u.in_h as number), c.WG);

/**
 * max_pool2d as vec4s: 4 OUT_VEC4 outputs per invocation, and their argmaxes when WRITE_ARGMAX
 * (otherwise `argmax4` may be bound to anything).
 */
export const maxPool2dVec4Kernel = defineKernel({
  ...vec4Base, constants: { ...vec4Base.constants, WRITE_ARGMAX: 1 }, name: 'max_pool2d_vec4', entryPoint: 'max_pool_forward_vec4',
  inputs: ['x4'], outputs: ['out4', 'argmax4'], dispatch: overOutputs4,
});
/**
 * max_pool2d_backward as vec4s: 4 STRIDE_W inputs per invocation. The gradient is read from `g4`
 * (contiguous, G_DENSE) or from `g` through `g_offset`/`g_strides` (G_DENSE 0, any view of
 * (N, C, OH, OW) with `channels` = C); the other binding may be anything. So for the average's.
 */
export const maxPool2dBackwardVec4Kernel = defineKernel({
  ...vec4Base, constants: { ...vec4Base.constants, G_DENSE: 1 }, name: 'max_pool2d_backward_vec4', entryPoint: 'max_pool_backward_vec4',
  inputs: ['g', 'g4', 'argmax4_in'], outputs: ['out4'], dispatch: overInputs4,
});
/** avg_pool2d as vec4s: 4 OUT_VEC4 outputs per invocation. */
export const avgPool2dVec4Kernel = defineKernel({ ...vec4Base, name: 'avg_pool2d_vec4', entryPoint: 'avg_pool_forward_vec4', inputs: ['x4'], outputs: ['out4'], dispatch: overOutputs4 });
/** avg_pool2d_backward as vec4s: 4 STRIDE_W inputs per invocation (the gradient as for max_pool2d_backward_vec4). */
export const avgPool2dBackwardVec4Kernel = defineKernel({
  ...vec4Base, constants: { ...vec4Base.constants, G_DENSE: 1 }, name: 'avg_pool2d_backward_vec4', entryPoint: 'avg_pool_backward_vec4',
  inputs: ['g', 'g4'], outputs: ['out4'], dispatch: overInputs4,
});

/** The kernels of each structure. */
export const POOL_KERNELS = {
  rows: { maxForward: maxPool2dKernel, maxBackward: maxPool2dBackwardKernel, avgForward: avgPool2dKernel, avgBackward: avgPool2dBackwardKernel },
  vec4: { maxForward: maxPool2dVec4Kernel, maxBackward: maxPool2dBackwardVec4Kernel, avgForward: avgPool2dVec4Kernel, avgBackward: avgPool2dBackwardVec4Kernel },
} as const;

/** Calls visit(plane, output index, input flat index in the plane) for every in-bounds window element. */
function forEachWindow(g: Pool2dGeometry, visit: (p: number, o: number, y: number, x: number) => void, after?: (p: number, o: number, oy: number, ox: number) => void): void {
  for (let p = 0; p < g.planes; p++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const o = (p * g.outH + oy) * g.outW + ox;
        for (let ky = 0; ky < g.kH; ky++) {
          const y = oy * g.strideH - g.padH + ky;
          if (y < 0 || y >= g.inH) continue;
          for (let kx = 0; kx < g.kW; kx++) {
            const x = ox * g.strideW - g.padW + kx;
            if (x >= 0 && x < g.inW) visit(p, o, y, x);
          }
        }
        after?.(p, o, oy, ox);
      }
    }
  }
}

/** Float64 max pooling: values and the argmax (flat y * W + x in the plane, first max in scan order). */
export function maxPool2dReference(x: ArrayLike<number>, g: Pool2dGeometry): { values: Float64Array; indices: Int32Array } {
  const values = new Float64Array(g.planes * g.outH * g.outW).fill(-Infinity);
  const indices = new Int32Array(values.length).fill(-1);
  forEachWindow(g, (p, o, y, xx) => {
    const v = x[(p * g.inH + y) * g.inW + xx];
    if (indices[o] < 0 || v > values[o]) {
      values[o] = v;
      indices[o] = y * g.inW + xx;
    }
  });
  return { values, indices };
}

/** Float64 gradient of max pooling: each output gradient added to its argmax (a scatter). */
export function maxPool2dBackwardReference(dy: ArrayLike<number>, indices: ArrayLike<number>, g: Pool2dGeometry): Float64Array {
  const dx = new Float64Array(g.planes * g.inH * g.inW);
  for (let p = 0; p < g.planes; p++) {
    for (let o = 0; o < g.outH * g.outW; o++) dx[p * g.inH * g.inW + indices[p * g.outH * g.outW + o]] += dy[p * g.outH * g.outW + o];
  }
  return dx;
}

/** PyTorch's divisor of the window at output (oy, ox). */
export function avgPoolDivisor(g: Pool2dGeometry, oy: number, ox: number, countIncludePad: boolean): number {
  const y0 = oy * g.strideH - g.padH;
  const x0 = ox * g.strideW - g.padW;
  if (countIncludePad) return (Math.min(y0 + g.kH, g.inH + g.padH) - y0) * (Math.min(x0 + g.kW, g.inW + g.padW) - x0);
  return (Math.min(y0 + g.kH, g.inH) - Math.max(y0, 0)) * (Math.min(x0 + g.kW, g.inW) - Math.max(x0, 0));
}

/** Float64 average pooling. */
export function avgPool2dReference(x: ArrayLike<number>, g: Pool2dGeometry, countIncludePad: boolean): Float64Array {
  const out = new Float64Array(g.planes * g.outH * g.outW);
  forEachWindow(g, (p, o, y, xx) => {
    out[o] += x[(p * g.inH + y) * g.inW + xx];
  }, (_p, o, oy, ox) => {
    out[o] /= avgPoolDivisor(g, oy, ox, countIncludePad);
  });
  return out;
}

/** Float64 gradient of average pooling: each output gradient spread over its window (a scatter). */
export function avgPool2dBackwardReference(dy: ArrayLike<number>, g: Pool2dGeometry, countIncludePad: boolean): Float64Array {
  const dx = new Float64Array(g.planes * g.inH * g.inW);
  forEachWindow(g, (p, o, y, xx) => {
    const oy = Math.floor(o / g.outW) % g.outH;
    const ox = o % g.outW;
    dx[(p * g.inH + y) * g.inW + xx] += dy[o] / avgPoolDivisor(g, oy, ox, countIncludePad);
  });
  return dx;
}
