/**
 * Specs of the batch-norm family (shaders/batchnorm.wgsl) and float64 references of the forward
 * (training and evaluation, with the running-statistics update) and of the backward.
 * Layout: x is (N, C, plane) with plane = H * W; statistics are per channel over M = N * plane.
 */
import { defineKernel, grid1d, MAX_WORKGROUPS_PER_DIM, type KernelVariant, type Workgroups } from './spec.js';
import type { UniformValues } from './reflect.js';

export const BATCHNORM_UNIFORMS = [
  'batch', 'channels', 'plane', 'chunk', 'chunks', 'x_offset', 'weight_offset', 'bias_offset', 'running_mean_offset',
  'running_var_offset', 'counter_offset', 'has_weight', 'has_bias', 'update_running', 'momentum', 'eps', 'update_counter', 'write_dx',
  'residual_offset',
] as const;

const base = { shader: 'batchnorm', uniforms: BATCHNORM_UNIFORMS, variants: { default: {} } } as const;
const perChannel = (u: UniformValues, c: Record<string, number>) => grid1d(u.channels as number, c.WG);
const perChunk = (u: UniformValues, c: Record<string, number>) => grid1d((u.channels as number) * (u.chunks as number), c.WG);
/**
 * (ceil(plane / (WG * PER_INVOCATION)), N * C) workgroups, the second dimension folded into the
 * third past the limit, the first capped at it (the shaders loop over the plane, grid-stride).
 */
const perPlaneElement = (u: UniformValues, c: Record<string, number>): Workgroups => {
  const planes = (u.batch as number) * (u.channels as number);
  const y = Math.min(planes, MAX_WORKGROUPS_PER_DIM);
  return [Math.min(Math.ceil((u.plane as number) / (c.WG * c.PER_INVOCATION)), MAX_WORKGROUPS_PER_DIM), y, Math.ceil(planes / Math.max(1, y))];
};
/** One workgroup per channel, folded into 2-D past the per-dimension limit. */
const workgroupPerChannel = (u: UniformValues): Workgroups => {
  const n = u.channels as number;
  const y = Math.ceil(n / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(n / y), y, 1];
};

/** Training statistics, CPU strategy, step 1: (mean, M2) of each (channel, chunk). */
export const batchNormPartialStatsKernel = defineKernel({
  ...base, name: 'batchnorm_partial_stats', entryPoint: 'batchnorm_partial_stats', inputs: ['x'], outputs: ['partial'],
  constants: { WG: 64 }, dispatch: perChunk,
});

/**
 * Training statistics, CPU strategy, step 2: combines the chunks; writes
 * stats = [shift, centred mean, invstd] (3, C), updates the running statistics and, with
 * update_counter, the batch counter.
 */
export const batchNormFinalizeStatsKernel = defineKernel({
  ...base, name: 'batchnorm_finalize_stats', entryPoint: 'batchnorm_finalize_stats', inputs: ['x', 'partial_in'],
  outputs: ['channel_out', 'running_mean', 'running_var', 'counter'], constants: { WG: 64 }, dispatch: perChannel,
});

/** Training statistics, GPU strategy: one workgroup per channel (Welford, tree combine). */
export const batchNormStatsWorkgroupKernel = defineKernel({
  ...base, name: 'batchnorm_stats_wg', entryPoint: 'batchnorm_stats_wg', inputs: ['x'],
  outputs: ['channel_out', 'running_mean', 'running_var', 'counter'], constants: { WG: 256 }, dispatch: workgroupPerChannel,
});

/** Evaluation statistics: stats = [running_mean, 0, 1 / sqrt(running_var + eps)]. */
export const batchNormEvalStatsKernel = defineKernel({
  ...base, name: 'batchnorm_eval_stats', entryPoint: 'batchnorm_eval_stats', inputs: ['running_mean_in', 'running_var_in'],
  outputs: ['channel_out'], constants: { WG: 64 }, dispatch: perChannel,
});

const RELU = {
  activate: 'fn activate(y: f32) -> f32 {\n  return max(y, 0.0);\n}',
  activation_grad: 'fn activation_grad(dy: f32, y: f32) -> f32 {\n  return select(0.0, dy, y > 0.0);\n}',
};
const EVAL_INPUT_GRAD = 'fn input_grad(dy: f32, xhat: f32, sum_dy: f32, sum_dy_xhat: f32, count: f32) -> f32 {\n  return dy;\n}';
const RESIDUAL = {
  residual_at: 'fn residual_at(e: u32) -> f32 {\n  return residual[params.residual_offset + e];\n}',
  keep_residual_grad: 'fn keep_residual_grad(e: u32, dz: f32) {\n  residual_grad[e] = dz;\n}',
};

/** Each variant, and the same with the fused residual (`<name>_residual`: hooks merged). */
function withResidual<V extends string>(variants: Record<V, KernelVariant>): Record<V | `${V}_residual`, KernelVariant> {
  const out: Record<string, KernelVariant> = { ...variants };
  for (const [name, v] of Object.entries(variants) as [string, KernelVariant][]) out[`${name}_residual`] = { ...v, hooks: { ...v.hooks, ...RESIDUAL } };
  return out as Record<V | `${V}_residual`, KernelVariant>;
}

/**
 * Variants of the kernels a fused activation touches: none, or ReLU after the affine map; each
 * with or without a residual added before it.
 */
const activations = withResidual({ default: {}, relu: { hooks: RELU } } as Record<'default' | 'relu', KernelVariant>);

/** y = activate(((x - shift) - centred mean) * invstd * weight + bias). */
export const batchNormApplyKernel = defineKernel({
  ...base, name: 'batchnorm_apply', entryPoint: 'batchnorm_apply', inputs: ['x', 'stats', 'weight', 'bias', 'residual'], outputs: ['out'],
  constants: { WG: 64, PER_INVOCATION: 4 }, dispatch: perPlaneElement, variants: activations,
});

/** Gradient sums, CPU strategy, step 1: (sum dy, sum dy xhat) of each (channel, chunk). */
export const batchNormPartialGradKernel = defineKernel({
  ...base, name: 'batchnorm_partial_grad', entryPoint: 'batchnorm_partial_grad', inputs: ['x', 'g', 'stats', 'weight', 'bias', 'residual'], outputs: ['partial'],
  constants: { WG: 64 }, dispatch: perChunk, variants: activations,
});

/** Gradient sums, CPU strategy, step 2: sums = [sum dy (C), sum dy xhat (C)]. */
export const batchNormFinalizeGradKernel = defineKernel({
  ...base, name: 'batchnorm_finalize_grad', entryPoint: 'batchnorm_finalize_grad', inputs: ['partial_in'], outputs: ['channel_out'],
  constants: { WG: 64 }, dispatch: perChannel,
});

/** Gradient sums, GPU strategy: one workgroup per channel. */
export const batchNormGradSumsWorkgroupKernel = defineKernel({
  ...base, name: 'batchnorm_grad_sums_wg', entryPoint: 'batchnorm_grad_sums_wg', inputs: ['x', 'g', 'stats', 'weight', 'bias', 'residual'], outputs: ['channel_out'],
  constants: { WG: 256 }, dispatch: workgroupPerChannel, variants: activations,
});

/**
 * The dx variants: batch statistics (training) or running ones (eval), each with a fused ReLU or
 * not, each with or without the fused residual (whose gradient they also write).
 */
const inputGradVariants = withResidual({
  training: {},
  eval: { hooks: { input_grad: EVAL_INPUT_GRAD } },
  training_relu: { hooks: RELU },
  eval_relu: { hooks: { ...RELU, input_grad: EVAL_INPUT_GRAD } },
} as Record<'training' | 'eval' | 'training_relu' | 'eval_relu', KernelVariant>);

/** dx in training mode (batch statistics) or evaluation mode (an affine map of dy). */
export const batchNormInputGradKernel = defineKernel({
  ...base, name: 'batchnorm_input_grad', entryPoint: 'batchnorm_input_grad', inputs: ['x', 'g', 'weight', 'bias', 'stats', 'sums', 'residual'], outputs: ['out', 'residual_grad'],
  constants: { WG: 64, PER_INVOCATION: 4 }, dispatch: perPlaneElement, variants: inputGradVariants,
});

/**
 * Training statistics and the normalising map in one dispatch, one workgroup per channel (CPU
 * strategy 'fused'); writes stats (3, C) as the other strategies, updates the running statistics
 * and, with update_counter, the batch counter. WG 8: a workgroup of one 8-lane SIMD vector, whose
 * barriers cost nothing on lavapipe (measured: 64 invocations made the barriers of the
 * reductions dominate, 2-10x slower on ResNet's shapes).
 */
export const batchNormFusedForwardKernel = defineKernel({
  ...base, name: 'batchnorm_fused_forward', entryPoint: 'batchnorm_fused_forward', inputs: ['x', 'weight', 'bias', 'residual'],
  outputs: ['out', 'channel_out', 'running_mean', 'running_var', 'counter'], constants: { WG: 8 }, dispatch: workgroupPerChannel, variants: activations,
});

/** Gradient sums (channel_out) and dx (with write_dx) in one dispatch, one workgroup per channel. */
export const batchNormFusedBackwardKernel = defineKernel({
  ...base, name: 'batchnorm_fused_backward', entryPoint: 'batchnorm_fused_backward', inputs: ['x', 'g', 'weight', 'bias', 'stats', 'residual'],
  outputs: ['out', 'channel_out', 'residual_grad'], constants: { WG: 8 }, dispatch: workgroupPerChannel, variants: inputGradVariants,
});

export interface BatchNormReferenceOptions {
  training: boolean;
  eps: number;
  momentum: number;
  /** Running statistics (read in evaluation mode; updated in place in training mode). */
  runningMean?: Float64Array | null;
  runningVar?: Float64Array | null;
}

/** Per-channel mean and biased variance over (N, plane), in float64. */
export function batchNormStatsReference(x: ArrayLike<number>, N: number, C: number, plane: number): { mean: Float64Array; variance: Float64Array } {
  const M = N * plane;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < plane; k++) s += x[(n * C + c) * plane + k];
    mean[c] = s / M;
    let q = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < plane; k++) q += (x[(n * C + c) * plane + k] - mean[c]) ** 2;
    variance[c] = q / M;
  }
  return { mean, variance };
}

/**
 * Float64 batch norm forward. Training: batch statistics, and the running statistics (when given)
 * updated in place with the unbiased variance; evaluation: the running statistics.
 */
export function batchNormReference(
  x: ArrayLike<number>, N: number, C: number, plane: number,
  weight: ArrayLike<number> | null, bias: ArrayLike<number> | null, o: BatchNormReferenceOptions,
): { y: Float64Array; mean: Float64Array; invstd: Float64Array } {
  const M = N * plane;
  let mean: Float64Array;
  let variance: Float64Array;
  if (o.training) {
    ({ mean, variance } = batchNormStatsReference(x, N, C, plane));
    for (let c = 0; c < C; c++) {
      if (o.runningMean) o.runningMean[c] = (1 - o.momentum) * o.runningMean[c] + o.momentum * mean[c];
      if (o.runningVar) o.runningVar[c] = (1 - o.momentum) * o.runningVar[c] + o.momentum * (variance[c] * M) / (M - 1);
    }
  } else {
    if (!o.runningMean || !o.runningVar) throw new Error('batchNormReference: evaluation mode needs running statistics');
    mean = Float64Array.from(o.runningMean);
    variance = Float64Array.from(o.runningVar);
  }
  const invstd = variance.map((v) => 1 / Math.sqrt(v + o.eps));
  const y = new Float64Array(N * C * plane);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let k = 0; k < plane; k++) {
        const i = (n * C + c) * plane + k;
        y[i] = (x[i] - mean[c]) * invstd[c] * (weight ? weight[c] : 1) + (bias ? bias[c] : 0);
      }
    }
  }
  return { y, mean, invstd };
}

/**
 * Float64 batch norm backward given the statistics the forward used (mean, invstd):
 * dbias = sum(dy), dweight = sum(dy xhat) per channel; dx = weight invstd (dy - dbias / M -
 * xhat dweight / M) in training, weight invstd dy in evaluation.
 */
export function batchNormBackwardReference(
  x: ArrayLike<number>, dy: ArrayLike<number>, N: number, C: number, plane: number,
  weight: ArrayLike<number> | null, mean: ArrayLike<number>, invstd: ArrayLike<number>, training: boolean,
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const M = N * plane;
  const dweight = new Float64Array(C);
  const dbias = new Float64Array(C);
  const at = (n: number, c: number, k: number) => (n * C + c) * plane + k;
  for (let c = 0; c < C; c++) {
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < plane; k++) {
        const i = at(n, c, k);
        dbias[c] += dy[i];
        dweight[c] += dy[i] * (x[i] - mean[c]) * invstd[c];
      }
    }
  }
  const dx = new Float64Array(N * C * plane);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const w = weight ? weight[c] : 1;
      for (let k = 0; k < plane; k++) {
        const i = at(n, c, k);
        const xhat = (x[i] - mean[c]) * invstd[c];
        dx[i] = w * invstd[c] * (training ? dy[i] - dbias[c] / M - (xhat * dweight[c]) / M : dy[i]);
      }
    }
  }
  return { dx, dweight, dbias };
}
