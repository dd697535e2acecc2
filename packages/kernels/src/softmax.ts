/**
 * Specs of the softmax family (shaders/softmax.wgsl) and float64 references.
 */
import { defineKernel, grid1d, MAX_WORKGROUPS_PER_DIM } from './spec.js';

const UNIFORMS = ['outer', 'len', 'inner', 'x_offset'] as const;

const forwardVariants = {
  softmax: {},
  log_softmax: {
    hooks: { finish: 'fn finish(v: f32, row_max: f32, row_sum: f32) -> f32 {\n  return v - row_max - log(row_sum);\n}' },
  },
};

const backwardVariants = {
  softmax: {},
  log_softmax: {
    hooks: {
      backward_term: 'fn backward_term(gv: f32, yv: f32) -> f32 {\n  return gv;\n}',
      backward_value: 'fn backward_value(gv: f32, yv: f32, total: f32) -> f32 {\n  return gv - exp(yv) * total;\n}',
    },
  },
};

const lines = (u: Record<string, unknown>, c: Record<string, number>) => grid1d((u.outer as number) * (u.inner as number), c.WG);

export const softmaxLinesKernel = defineKernel({
  name: 'softmax_lines', shader: 'softmax', entryPoint: 'softmax_lines', inputs: ['x'], outputs: ['out'],
  uniforms: UNIFORMS, constants: { WG: 64 }, variants: forwardVariants, dispatch: lines,
});

export const softmaxRowsWorkgroupKernel = defineKernel({
  name: 'softmax_rows_wg', shader: 'softmax', entryPoint: 'softmax_rows_wg', inputs: ['x'], outputs: ['out'],
  uniforms: UNIFORMS, constants: { WG: 128 }, variants: forwardVariants,
  dispatch: (u) => {
    const rows = u.outer as number;
    const y = Math.ceil(rows / MAX_WORKGROUPS_PER_DIM);
    return [Math.ceil(rows / y), y, 1];
  },
});

export const softmaxRowsVec4Kernel = defineKernel({
  name: 'softmax_rows_vec4', shader: 'softmax', entryPoint: 'softmax_rows_vec4', inputs: ['x4'], outputs: ['out4'],
  uniforms: UNIFORMS, constants: { WG: 64 }, variants: forwardVariants, dispatch: lines,
});

export const softmaxBackwardKernel = defineKernel({
  name: 'softmax_backward', shader: 'softmax', entryPoint: 'softmax_lines_backward', inputs: ['x', 'g'], outputs: ['out'],
  uniforms: UNIFORMS, constants: { WG: 64 }, variants: backwardVariants, dispatch: lines,
});

/** Float64 softmax (or log-softmax) of rows of length `len`. */
export function softmaxReference(x: ArrayLike<number>, rows: number, len: number, log = false): Float64Array {
  const out = new Float64Array(rows * len);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let i = 0; i < len; i++) m = Math.max(m, x[r * len + i]);
    let s = 0;
    for (let i = 0; i < len; i++) s += Math.exp(x[r * len + i] - m);
    for (let i = 0; i < len; i++) out[r * len + i] = log ? x[r * len + i] - m - Math.log(s) : Math.exp(x[r * len + i] - m) / s;
  }
  return out;
}
