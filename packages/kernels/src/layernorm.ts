/**
 * Specs of the layer-norm family (shaders/layernorm.wgsl) and float64 references of the forward
 * and backward over the last dimension of a (rows, dim) view.
 */
import { defineKernel, grid1d, MAX_WORKGROUPS_PER_DIM, type Workgroups } from './spec.js';
import type { UniformValues } from './reflect.js';

export const LAYERNORM_UNIFORMS = ['rows', 'dim', 'chunk', 'chunks', 'x_offset', 'weight_offset', 'bias_offset', 'has_weight', 'has_bias', 'eps', 'residual_offset'] as const;

/**
 * Forward variants: the input x, or x + residual (both contiguous (rows, dim) views) with the sum
 * also written to sum_out, for the backward ("add & norm" in one dispatch).
 */
const forwardVariants = {
  default: {},
  residual: {
    hooks: {
      input_at: 'fn input_at(i: u32) -> f32 {\n  return x[params.x_offset + i] + residual[params.residual_offset + i];\n}',
      keep_input: 'fn keep_input(i: u32, v: f32) {\n  sum_out[i] = v;\n}',
    },
  },
};

const base = { shader: 'layernorm', uniforms: LAYERNORM_UNIFORMS, variants: { default: {} } } as const;
const perRow = (u: UniformValues, c: Record<string, number>) => grid1d(u.rows as number, c.WG);
const workgroupPerRow = (u: UniformValues): Workgroups => {
  const n = u.rows as number;
  const y = Math.ceil(n / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(n / y), y, 1];
};

/** Forward, one invocation per row (CPU adapters): y and stats = (rows, 2) [mean, invstd]. */
export const layerNormRowsKernel = defineKernel({
  ...base, name: 'layernorm_rows', entryPoint: 'layernorm_rows', inputs: ['x', 'weight', 'bias', 'residual'], outputs: ['out', 'stats_out', 'sum_out'],
  constants: { WG: 64 }, dispatch: perRow, variants: forwardVariants,
});

/** Forward, one workgroup per row (GPUs). */
export const layerNormRowsWorkgroupKernel = defineKernel({
  ...base, name: 'layernorm_rows_wg', entryPoint: 'layernorm_rows_wg', inputs: ['x', 'weight', 'bias', 'residual'], outputs: ['out', 'stats_out', 'sum_out'],
  constants: { WG: 128 }, dispatch: workgroupPerRow, variants: forwardVariants,
});

/** Input gradient, one invocation per row. */
export const layerNormBackwardRowsKernel = defineKernel({
  ...base, name: 'layernorm_backward_rows', entryPoint: 'layernorm_backward_rows', inputs: ['x', 'g', 'weight', 'stats'], outputs: ['out'],
  constants: { WG: 64 }, dispatch: perRow,
});

/** Input gradient, one workgroup per row. */
export const layerNormBackwardRowsWorkgroupKernel = defineKernel({
  ...base, name: 'layernorm_backward_rows_wg', entryPoint: 'layernorm_backward_rows_wg', inputs: ['x', 'g', 'weight', 'stats'], outputs: ['out'],
  constants: { WG: 128 }, dispatch: workgroupPerRow,
});

/** Weight and bias gradients per chunk of rows: param_partial = (chunks, 2, dim). */
export const layerNormBackwardParamsKernel = defineKernel({
  ...base, name: 'layernorm_backward_params', entryPoint: 'layernorm_backward_params', inputs: ['x', 'g', 'stats'], outputs: ['param_partial'],
  constants: { WG: 64 }, dispatch: (u, c) => grid1d((u.chunks as number) * (u.dim as number), c.WG),
});

/** Float64 layer norm of each row of length `dim`. */
export function layerNormReference(
  x: ArrayLike<number>, rows: number, dim: number, weight: ArrayLike<number> | null, bias: ArrayLike<number> | null, eps: number,
): { y: Float64Array; mean: Float64Array; invstd: Float64Array } {
  const y = new Float64Array(rows * dim);
  const mean = new Float64Array(rows);
  const invstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[r * dim + d];
    const m = s / dim;
    let q = 0;
    for (let d = 0; d < dim; d++) q += (x[r * dim + d] - m) ** 2;
    const inv = 1 / Math.sqrt(q / dim + eps);
    mean[r] = m;
    invstd[r] = inv;
    for (let d = 0; d < dim; d++) y[r * dim + d] = (x[r * dim + d] - m) * inv * (weight ? weight[d] : 1) + (bias ? bias[d] : 0);
  }
  return { y, mean, invstd };
}

/** Float64 layer-norm backward: dx per row, dweight = sum(g xhat), dbias = sum(g) over rows. */
export function layerNormBackwardReference(
  x: ArrayLike<number>, g: ArrayLike<number>, rows: number, dim: number, weight: ArrayLike<number> | null, eps: number,
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const { mean, invstd } = layerNormReference(x, rows, dim, null, null, eps);
  const dx = new Float64Array(rows * dim);
  const dweight = new Float64Array(dim);
  const dbias = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    let a = 0;
    let b = 0;
    for (let d = 0; d < dim; d++) {
      const i = r * dim + d;
      const xhat = (x[i] - mean[r]) * invstd[r];
      const gw = g[i] * (weight ? weight[d] : 1);
      a += gw;
      b += gw * xhat;
      dweight[d] += g[i] * xhat;
      dbias[d] += g[i];
    }
    for (let d = 0; d < dim; d++) {
      const i = r * dim + d;
      const xhat = (x[i] - mean[r]) * invstd[r];
      dx[i] = invstd[r] * (g[i] * (weight ? weight[d] : 1) - a / dim - (xhat * b) / dim);
    }
  }
  return { dx, dweight, dbias };
}
