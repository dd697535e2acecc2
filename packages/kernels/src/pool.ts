/**
 * Specs of 2-D pooling (shaders/pool.wgsl): max pooling with argmax indices (first maximum in
 * scan order, padding as -inf, as PyTorch), average pooling (count_include_pad either way), and
 * their gradients as gathers. Float64 references of the forwards and of the backwards, the latter
 * written as scatters (the adjoint), independent of the kernels' gathers.
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

const UNIFORMS = ['planes', 'in_h', 'in_w', 'out_h', 'out_w', 'k_h', 'k_w', 'stride_h', 'stride_w', 'pad_h', 'pad_w', 'x_offset', 'count_include_pad', GRID_BASE_UNIFORM] as const;

/** The uniform values of a pooling (x_offset and count_include_pad added by the caller). */
export function pool2dUniforms(g: Pool2dGeometry): Record<string, number> {
  return {
    planes: g.planes, in_h: g.inH, in_w: g.inW, out_h: g.outH, out_w: g.outW, k_h: g.kH, k_w: g.kW,
    stride_h: g.strideH, stride_w: g.strideW, pad_h: g.padH, pad_w: g.padW,
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
