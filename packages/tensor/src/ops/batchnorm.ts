/**
 * batchNorm2d over (N, C, H, W): per-channel statistics over the M = N * H * W elements of a
 * channel (training: the batch's mean and biased variance, and the running statistics updated in
 * place with the unbiased variance, as PyTorch; evaluation: the running statistics), then
 * y = (x - mean) / sqrt(var + eps) * weight + bias. The backward is a dedicated kernel pair:
 *   d bn (training) = weight invstd (dy - sum(dy) / M - xhat sum(dy xhat) / M) dx,
 *   d bn (evaluation) = weight invstd dy dx;  dweight = sum(dy xhat), dbias = sum(dy) per channel.
 * Statistics are computed on data shifted by each channel's first element, in chunks combined with
 * Chan's formula ('lines'), by Welford per invocation and a tree ('workgroup', GPUs), or by two
 * passes over the channel in one workgroup ('fused', CPU adapters: statistics and map in one
 * dispatch, gradient sums and dx in one), never as E[x^2] - E[x]^2. No gradient flows into the
 * running statistics. A batch counter given in the options is incremented by the statistics
 * kernel (BatchNorm2d's num_batches_tracked, without a dispatch of its own).
 */
import {
  batchNormPartialStatsKernel, batchNormFinalizeStatsKernel, batchNormStatsWorkgroupKernel, batchNormEvalStatsKernel,
  batchNormApplyKernel, batchNormPartialGradKernel, batchNormFinalizeGradKernel, batchNormGradSumsWorkgroupKernel,
  batchNormInputGradKernel, batchNormFusedForwardKernel, batchNormFusedBackwardKernel,
} from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { chooseVariant } from '../gpu/variants.js';
import { checkDType } from '../dtype.js';
import { fmt } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';
import { zeros } from './creation.js';
import { add } from './binary.js';
import { relu as reluOp } from './unary.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    batch_norm: BatchNormContext;
  }
}

interface BatchNormContext {
  x: Tensor;
  stats: Tensor;
  weight: Tensor | null;
  bias: Tensor | null;
  /** The fused residual (contiguous), kept to recompute the activation's input. */
  residual: Tensor | null;
  training: boolean;
  relu: boolean;
}

export interface BatchNormOptions {
  /** Batch statistics (and the running update) when true; the running statistics when false. */
  training: boolean;
  /** Weight of the batch statistic in the running update (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /**
   * A ReLU fused after the affine map: relu(batchNorm2d(x)) in one pass; its gradient mask is
   * recomputed in the backward kernels (d relu(y) = [y > 0] dy), so nothing extra is stored.
   */
  activation?: 'relu';
  /** An i32 scalar incremented in training mode (num_batches_tracked), by the statistics kernel. */
  batchCounter?: Tensor | null;
  /**
   * A tensor of x's shape added before the activation, in the same pass: activation(bn(x) +
   * residual), a ResNet block's end. Its gradient (the activation's gradient) is written by the
   * dx kernel. Where the device binds fewer than 9 storage buffers per stage (the fused kernels
   * need 9), it is an add and an activation after the norm instead.
   */
  residual?: Tensor | null;
}

/** Storage buffers the kernels with a fused residual bind. */
const RESIDUAL_STORAGE_BUFFERS = 9;

export type BatchNormStrategy = 'lines' | 'workgroup' | 'fused';

function strategy(channels: number, perChannel: number): BatchNormStrategy {
  return chooseVariant('batchnorm', channels, perChannel).variant;
}

/** Elements one invocation reduces in the lines strategy: enough invocations, chunks of 64..4096. */
function chunkFor(perChannel: number, channels: number): number {
  const target = 1024;
  const chunksPerChannel = Math.max(1, Math.ceil(target / Math.max(1, channels)));
  return Math.min(4096, Math.max(64, Math.ceil(perChannel / chunksPerChannel)));
}


/** A 1-D per-channel operand as a buffer and an element offset (copied when strided). */
function channelOperand(t: Tensor | null): { t: Tensor | null; owned: boolean } {
  if (!t || t.isContiguous) return { t, owned: false };
  return { t: contiguousCopy(t), owned: true };
}

function checkChannelTensor(t: Tensor | null, what: string, x: Tensor): void {
  if (!t) return;
  checkDType(t.dtype, 'f32', `batchNorm2d (${what})`);
  if (t.rank !== 1 || t.shape[0] !== x.shape[1]) {
    throw new Error(`batchNorm2d: ${what} ${fmt(t.shape)} does not match the ${x.shape[1]} channels of input ${fmt(x.shape)}`);
  }
}

interface Geometry {
  batch: number;
  channels: number;
  plane: number;
}

function geometry(x: Tensor): Geometry {
  return { batch: x.shape[0], channels: x.shape[1], plane: x.shape[2] * x.shape[3] };
}

/**
 * Batch normalisation of (N, C, H, W) over (N, H, W) per channel. `weight` and `bias` (C) are
 * optional (1 and 0); the running statistics (C) are read in evaluation mode and updated in
 * place in training mode when given (both or neither).
 * Shape: (N, C, H, W) -> (N, C, H, W)
 */
export function batchNorm2d(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, runningMean: Tensor | null, runningVar: Tensor | null,
  options: BatchNormOptions,
): Tensor {
  checkDType(x.dtype, 'f32', 'batchNorm2d (input)');
  if (x.rank !== 4) throw new Error(`batchNorm2d: expected a 4-D input (N, C, H, W), got ${fmt(x.shape)}`);
  const residual = options.residual ?? null;
  if (residual) {
    checkDType(residual.dtype, 'f32', 'batchNorm2d (residual)');
    if (residual.rank !== 4 || residual.shape.some((d, i) => d !== x.shape[i])) {
      throw new Error(`batchNorm2d: residual ${fmt(residual.shape)} must have the shape of input ${fmt(x.shape)}`);
    }
    if (runtime().gpu.info.limits.maxStorageBuffersPerShaderStage < RESIDUAL_STORAGE_BUFFERS) {
      const y = batchNorm2d(x, weight, bias, runningMean, runningVar, { ...options, activation: undefined, residual: null });
      const z = add(y, residual);
      y.dispose();
      if (options.activation !== 'relu') return z;
      const out = reluOp(z);
      z.dispose();
      return out;
    }
  }
  checkChannelTensor(weight, 'weight', x);
  checkChannelTensor(bias, 'bias', x);
  checkChannelTensor(runningMean, 'runningMean', x);
  checkChannelTensor(runningVar, 'runningVar', x);
  if ((runningMean === null) !== (runningVar === null)) {
    throw new Error('batchNorm2d: pass both runningMean and runningVar, or neither');
  }
  for (const [t, what] of [[runningMean, 'runningMean'], [runningVar, 'runningVar']] as const) {
    if (t && !t.isContiguous) throw new Error(`batchNorm2d: ${what} ${fmt(t.shape)} must be contiguous (it is updated in place)`);
  }
  const counter = options.training ? options.batchCounter ?? null : null;
  if (counter) {
    checkDType(counter.dtype, 'i32', 'batchNorm2d (batchCounter)');
    if (counter.size !== 1) throw new Error(`batchNorm2d: batchCounter must hold one element, got ${fmt(counter.shape)}`);
  }
  const momentum = options.momentum ?? 0.1;
  const relu = options.activation === 'relu';
  const eps = options.eps ?? 1e-5;
  const geo = geometry(x);
  const perChannel = geo.batch * geo.plane;
  if (options.training && perChannel === 1) {
    throw new Error(`batchNorm2d: expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
  }
  if (!options.training && !runningMean) throw new Error(`batchNorm2d: evaluation mode needs runningMean and runningVar (input ${fmt(x.shape)})`);

  const out = Tensor.empty(x.shape, 'f32', 'batch_norm');
  const stats = Tensor.empty([3, geo.channels], 'f32', 'batch_norm.stats');
  const src = x.isContiguous ? x : contiguousCopy(x);
  const res = residual && !residual.isContiguous ? contiguousCopy(residual) : residual;
  const w = channelOperand(weight);
  const b = channelOperand(bias);
  const applyVariant = `${relu ? 'relu' : 'default'}${res ? '_residual' : ''}` as const;
  if (x.size > 0) {
    const rt = runtime();
    const uniforms = {
      ...geo, x_offset: src.offset, weight_offset: w.t?.offset ?? 0, bias_offset: b.t?.offset ?? 0,
      running_mean_offset: runningMean?.offset ?? 0, running_var_offset: runningVar?.offset ?? 0,
      has_weight: w.t ? 1 : 0, has_bias: b.t ? 1 : 0, update_running: options.training && runningMean ? 1 : 0, momentum, eps,
      update_counter: counter ? 1 : 0, counter_offset: counter?.offset ?? 0, residual_offset: res?.offset ?? 0,
    };
    const running = { running_mean: runningMean?.buffer ?? null, running_var: runningVar?.buffer ?? null, counter: counter?.buffer ?? null };
    const affine = { weight: w.t?.buffer ?? null, bias: b.t?.buffer ?? null, residual: res?.buffer ?? null };
    const variant = options.training ? strategy(geo.channels, perChannel) : null;
    if (variant === 'fused') {
      rt.run(batchNormFusedForwardKernel, applyVariant, { buffers: { x: src.buffer, ...affine, out: out.buffer, channel_out: stats.buffer, ...running }, uniforms });
    } else {
      if (!options.training) {
        rt.run(batchNormEvalStatsKernel, 'default', {
          buffers: { running_mean_in: runningMean!.buffer, running_var_in: runningVar!.buffer, channel_out: stats.buffer }, uniforms,
        });
      } else if (variant === 'workgroup') {
        rt.run(batchNormStatsWorkgroupKernel, 'default', { buffers: { x: src.buffer, channel_out: stats.buffer, ...running }, uniforms });
      } else {
        const chunk = chunkFor(perChannel, geo.channels);
        const chunks = Math.ceil(perChannel / chunk);
        const partial = Tensor.empty([geo.channels, chunks, 2], 'f32', 'batch_norm.partial');
        const u = { ...uniforms, chunk, chunks };
        rt.run(batchNormPartialStatsKernel, 'default', { buffers: { x: src.buffer, partial: partial.buffer }, uniforms: u });
        rt.run(batchNormFinalizeStatsKernel, 'default', { buffers: { x: src.buffer, partial_in: partial.buffer, channel_out: stats.buffer, ...running }, uniforms: u });
        partial.dispose();
      }
      rt.run(batchNormApplyKernel, applyVariant, { buffers: { x: src.buffer, stats: stats.buffer, ...affine, out: out.buffer }, uniforms });
    }
    if (options.training && runningMean && runningVar) {
      runningMean.storage.version++;
      runningVar.storage.version++;
    }
  }
  if (counter) counter.storage.version++;
  if (needsGrad(x, weight, bias, residual)) {
    record('batch_norm', [x, weight, bias, residual], {
      x: saved(src), stats: saved(stats), weight: w.t ? saved(w.t) : null, bias: relu && b.t ? saved(b.t) : null,
      residual: res ? saved(res) : null, training: options.training, relu,
    }, out);
  }
  for (const t of [src !== x ? src : null, res !== residual ? res : null, w.owned ? w.t : null, b.owned ? b.t : null, stats]) t?.dispose();
  return out;
}

/** Gradients of batchNorm2d for (x, weight, bias, residual). */
export function batchNormGrad(g: Tensor, c: BatchNormContext, needs: readonly boolean[]): (Tensor | null)[] {
  const geo = geometry(c.x);
  if (c.x.size === 0) {
    return [needs[0] ? zeros(c.x.shape) : null, needs[1] ? zeros([geo.channels]) : null, needs[2] ? zeros([geo.channels]) : null, needs[3] ? zeros(c.x.shape) : null];
  }
  const rt = runtime();
  const gc = g.isContiguous && g.offset === 0 ? g : contiguousCopy(g);
  const uniforms = {
    ...geo, x_offset: c.x.offset, weight_offset: c.weight?.offset ?? 0, has_weight: c.weight ? 1 : 0,
    bias_offset: c.bias?.offset ?? 0, has_bias: c.bias ? 1 : 0, residual_offset: c.residual?.offset ?? 0,
  };
  const affine = { weight: c.weight?.buffer ?? null, bias: c.bias?.buffer ?? null, residual: c.residual?.buffer ?? null };
  const suffix = c.residual ? '_residual' : '';
  const activation = `${c.relu ? 'relu' : 'default'}${suffix}` as const;
  const dxVariant = `${c.training ? 'training' : 'eval'}${c.relu ? '_relu' : ''}${suffix}` as const;
  const variant = strategy(geo.channels, geo.batch * geo.plane);
  // the dx kernels also write the residual's gradient, so they run when either is needed
  const wantDx = needs[0] || needs[3];
  const wantSums = needs[1] || needs[2] || (wantDx && c.training);
  const dresidual = needs[3] ? Tensor.empty(c.x.shape, 'f32', 'batch_norm_backward.residual') : null;
  let sums: Tensor | null = null;
  let dx: Tensor | null = null;
  if (variant === 'fused' && wantSums) {
    // the sums and dx in one dispatch
    sums = Tensor.empty([2, geo.channels], 'f32', 'batch_norm.sums');
    dx = wantDx ? Tensor.empty(c.x.shape, 'f32', 'batch_norm_backward') : null;
    rt.run(batchNormFusedBackwardKernel, dxVariant, {
      buffers: { x: c.x.buffer, g: gc.buffer, stats: c.stats.buffer, ...affine, channel_out: sums.buffer, out: dx?.buffer ?? null, residual_grad: dresidual?.buffer ?? null },
      uniforms: { ...uniforms, write_dx: dx ? 1 : 0 },
    });
  } else {
    // The channel sums feed dweight, dbias and the training-mode dx; evaluation-mode dx reads none.
    if (wantSums) {
      sums = Tensor.empty([2, geo.channels], 'f32', 'batch_norm.sums');
      if (variant === 'workgroup') {
        rt.run(batchNormGradSumsWorkgroupKernel, activation, { buffers: { x: c.x.buffer, g: gc.buffer, stats: c.stats.buffer, ...affine, channel_out: sums.buffer }, uniforms });
      } else {
        const perChannel = geo.batch * geo.plane;
        const chunk = chunkFor(perChannel, geo.channels);
        const chunks = Math.ceil(perChannel / chunk);
        const partial = Tensor.empty([geo.channels, chunks, 2], 'f32', 'batch_norm.partial');
        const u = { ...uniforms, chunk, chunks };
        rt.run(batchNormPartialGradKernel, activation, { buffers: { x: c.x.buffer, g: gc.buffer, stats: c.stats.buffer, ...affine, partial: partial.buffer }, uniforms: u });
        rt.run(batchNormFinalizeGradKernel, 'default', { buffers: { partial_in: partial.buffer, channel_out: sums.buffer }, uniforms: u });
        partial.dispose();
      }
    }
    if (wantDx) {
      dx = Tensor.empty(c.x.shape, 'f32', 'batch_norm_backward');
      rt.run(batchNormInputGradKernel, dxVariant, {
        // Evaluation mode ignores the sums; the stats buffer stands in so every read is in bounds.
        buffers: { x: c.x.buffer, g: gc.buffer, ...affine, stats: c.stats.buffer, sums: (sums ?? c.stats).buffer, out: dx.buffer, residual_grad: dresidual?.buffer ?? null },
        uniforms,
      });
    }
  }
  if (gc !== g) gc.dispose();
  if (dx && !needs[0]) {
    dx.dispose();
    dx = null;
  }
  const dweight = needs[1] && sums ? sums.view([geo.channels], [1], geo.channels) : null;
  const dbias = needs[2] && sums ? sums.view([geo.channels], [1], 0) : null;
  sums?.dispose();
  return [dx, dweight, dbias, dresidual];
}
