/**
 * Specs of 2x upsampling (shaders/upsample.wgsl), nearest and bilinear (align_corners = false, as
 * PyTorch's F.interpolate(scale_factor=2)), in two structures: `rows` (one invocation per element,
 * any width) and `vec4` (rows read and written as vec4s, W a multiple of 4), and float64
 * references of the forward and of the backward (written as the scatter adjoint of the forward,
 * independent of the kernels' gathers).
 */
import { defineKernel, GRID_BASE_UNIFORM, MAX_WORKGROUPS_PER_DIM, type Workgroups } from './spec.js';

export type UpsampleMode = 'nearest' | 'bilinear';

const variants: Record<UpsampleMode, { hooks?: Record<string, string> }> = {
  nearest: {},
  bilinear: {
    hooks: {
      axis_taps: `fn axis_taps(o: u32, size: u32) -> Taps {
  let src = max((f32(o) + 0.5) * 0.5 - 0.5, 0.0);
  let i0 = u32(floor(src));
  let l1 = src - f32(i0);
  return Taps(i0, min(i0 + 1u, size - 1u), 1.0 - l1, l1);
}`,
      axis_window: `fn axis_window(i: u32) -> vec2<u32> {
  return vec2<u32>(max(2u * i, 1u) - 1u, 2u * i + 3u);
}`,
    },
  },
};

/** The vec4 kernels' variants: the row hooks (8 outputs from 4 inputs and their neighbours, and back) on top. */
const vec4Variants: Record<UpsampleMode, { hooks?: Record<string, string>; constants: Record<string, number> }> = {
  nearest: { constants: { NEIGHBOURS: 0 } },
  bilinear: {
    constants: { NEIGHBOURS: 1 },
    hooks: {
      ...variants.bilinear.hooks,
      // outputs 8t + 2m (even) tap columns (4t + m - 1, 4t + m) with weights (1/4, 3/4), odd ones
      // (4t + m, 4t + m + 1) with (3/4, 1/4); the neighbours are clamped at the edges
      expand_row: `fn expand_row(left: f32, c: vec4<f32>, right: f32) -> Pair {
  let even = 0.25 * vec4<f32>(left, c.xyz) + 0.75 * c;
  let odd = 0.75 * c + 0.25 * vec4<f32>(c.yzw, right);
  return Pair(vec4<f32>(even.x, odd.x, even.y, odd.y), vec4<f32>(even.z, odd.z, even.w, odd.w));
}`,
      // the adjoint: input 4t + m gathers 3/4 of outputs 8t + 2m and 8t + 2m + 1, 1/4 of 8t + 2m - 1 and 8t + 2m + 2
      gather_row: `fn gather_row(left: f32, row: Pair, right: f32) -> vec4<f32> {
  let even = vec4<f32>(row.a.xz, row.b.xz);
  let odd = vec4<f32>(row.a.yw, row.b.yw);
  return 0.75 * (even + odd) + 0.25 * (vec4<f32>(left, odd.xyz) + vec4<f32>(even.yzw, right));
}`,
    },
  },
};

/** The two structures of the upsampling kernels. */
export const UPSAMPLE_STRUCTURES = ['rows', 'vec4'] as const;
export type UpsampleStructure = (typeof UPSAMPLE_STRUCTURES)[number];

const base = { shader: 'upsample', uniforms: ['planes', 'in_h', 'in_w', 'x_offset', 'channels', 'g_offset', 'g_strides', GRID_BASE_UNIFORM], constants: { WG: 32 }, variants } as const;
const vec4Base = { ...base, constants: { WG: 8 }, variants: vec4Variants } as const;

/**
 * (ceil(width / WG), rows) workgroups, rows folded into the third dimension past the limit; a
 * width past the limit is split by the runtime (the kernels take wg_base).
 */
function rowGrid(width: number, rows: number, wg: number): Workgroups {
  const y = Math.max(1, Math.min(rows, MAX_WORKGROUPS_PER_DIM));
  return [Math.ceil(width / wg), y, Math.ceil(rows / y)];
}

/** (planes, H, W) -> (planes, 2H, 2W), one invocation per output element. */
export const upsample2xKernel = defineKernel({
  ...base, name: 'upsample2x', entryPoint: 'upsample2x_forward', inputs: ['x'], outputs: ['out'],
  dispatch: (u, c) => rowGrid(2 * (u.in_w as number), (u.planes as number) * 2 * (u.in_h as number), c.WG),
});

/** Gradient (planes, 2H, 2W) -> (planes, H, W), one invocation per input element (a gather). */
export const upsample2xBackwardKernel = defineKernel({
  ...base, name: 'upsample2x_backward', entryPoint: 'upsample2x_backward', inputs: ['g'], outputs: ['out'],
  dispatch: (u, c) => rowGrid(u.in_w as number, (u.planes as number) * (u.in_h as number), c.WG),
});

/** (planes, H, W) -> (planes, 2H, 2W) as vec4s, 8 outputs per invocation; W a multiple of 4. */
export const upsample2xVec4Kernel = defineKernel({
  ...vec4Base, name: 'upsample2x_vec4', entryPoint: 'upsample2x_forward_vec4', inputs: ['x4'], outputs: ['out4'],
  dispatch: (u, c) => rowGrid((u.in_w as number) / 4, (u.planes as number) * 2 * (u.in_h as number), c.WG),
});

/**
 * Gradient (planes, 2H, 2W) -> (planes, H, W) as vec4s, 4 inputs per invocation; W a multiple of 4.
 * The gradient is read from `g4` (contiguous, G_DENSE) or from `g` through `g_offset`/`g_strides`
 * (G_DENSE 0, any view of (N, C, 2H, 2W) with `channels` = C); the other binding may be anything.
 */
export const upsample2xBackwardVec4Kernel = defineKernel({
  ...vec4Base, constants: { ...vec4Base.constants, G_DENSE: 1 }, name: 'upsample2x_backward_vec4', entryPoint: 'upsample2x_backward_vec4', inputs: ['g', 'g4'], outputs: ['out4'],
  dispatch: (u, c) => rowGrid((u.in_w as number) / 4, (u.planes as number) * (u.in_h as number), c.WG),
});

/** The kernels of each structure. */
export const UPSAMPLE_KERNELS = {
  rows: { forward: upsample2xKernel, backward: upsample2xBackwardKernel },
  vec4: { forward: upsample2xVec4Kernel, backward: upsample2xBackwardVec4Kernel },
} as const;

/** The two input taps and weights of output index o along an axis of the given input size. */
function taps(o: number, size: number, mode: UpsampleMode): [number, number, number, number] {
  if (mode === 'nearest') return [Math.floor(o / 2), Math.floor(o / 2), 1, 0];
  const src = Math.max((o + 0.5) / 2 - 0.5, 0);
  const i0 = Math.floor(src);
  const l1 = src - i0;
  return [i0, Math.min(i0 + 1, size - 1), 1 - l1, l1];
}

/** Float64 forward over (planes, H, W). */
export function upsample2xReference(x: ArrayLike<number>, planes: number, H: number, W: number, mode: UpsampleMode): Float64Array {
  const OH = 2 * H;
  const OW = 2 * W;
  const out = new Float64Array(planes * OH * OW);
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < OH; oy++) {
      const [y0, y1, wy0, wy1] = taps(oy, H, mode);
      for (let ox = 0; ox < OW; ox++) {
        const [x0, x1, wx0, wx1] = taps(ox, W, mode);
        const at = (y: number, xx: number) => x[(p * H + y) * W + xx];
        out[(p * OH + oy) * OW + ox] = wy0 * (wx0 * at(y0, x0) + wx1 * at(y0, x1)) + wy1 * (wx0 * at(y1, x0) + wx1 * at(y1, x1));
      }
    }
  }
  return out;
}

/** Float64 backward: scatters each output gradient onto its four taps. */
export function upsample2xBackwardReference(g: ArrayLike<number>, planes: number, H: number, W: number, mode: UpsampleMode): Float64Array {
  const OH = 2 * H;
  const OW = 2 * W;
  const dx = new Float64Array(planes * H * W);
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < OH; oy++) {
      const [y0, y1, wy0, wy1] = taps(oy, H, mode);
      for (let ox = 0; ox < OW; ox++) {
        const [x0, x1, wx0, wx1] = taps(ox, W, mode);
        const gv = g[(p * OH + oy) * OW + ox];
        dx[(p * H + y0) * W + x0] += wy0 * wx0 * gv;
        dx[(p * H + y0) * W + x1] += wy0 * wx1 * gv;
        dx[(p * H + y1) * W + x0] += wy1 * wx0 * gv;
        dx[(p * H + y1) * W + x1] += wy1 * wx1 * gv;
      }
    }
  }
  return dx;
}
