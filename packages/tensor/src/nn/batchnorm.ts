/**
 * BatchNorm2d: batch normalisation of (N, C, H, W) per channel, as torch.nn.BatchNorm2d.
 * Parameters `weight` (ones) and `bias` (zeros) when affine; buffers `running_mean` (zeros),
 * `running_var` (ones) and `num_batches_tracked` (an i32 scalar; torchvision's state dicts carry
 * it as int64) when tracking running statistics, so torchvision ResNet weights load strictly.
 * Training mode normalises with the batch statistics, updates the running statistics in place
 * and counts the batch; evaluation mode uses the running statistics (batch statistics when they
 * are not tracked). momentum = null (PyTorch's cumulative average) is not supported.
 * Shape: (N, C, H, W) -> (N, C, H, W)
 */
import { Module } from './module.js';
import type { Tensor } from '../tensor.js';
import { batchNorm2d } from '../ops/batchnorm.js';
import { ones, zeros } from '../ops/creation.js';
import { fmt } from '../shape.js';
import { tidy } from '../scope.js';

export interface BatchNorm2dOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

export class BatchNorm2d extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number;

  constructor(readonly numFeatures: number, options: BatchNorm2dOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const affine = options.affine ?? true;
    const track = options.trackRunningStats ?? true;
    this.weight = affine ? this.param('weight', ones([numFeatures])) : null;
    this.bias = affine ? this.param('bias', zeros([numFeatures])) : null;
    this.runningMean = track ? this.buffer('running_mean', zeros([numFeatures])) : null;
    this.runningVar = track ? this.buffer('running_var', ones([numFeatures])) : null;
    this.numBatchesTracked = track ? this.buffer('num_batches_tracked', zeros([], 'i32')) : null;
  }

  /**
   * Shape: (N, C, H, W) -> (N, C, H, W). `activation: 'relu'` fuses a ReLU after the affine map;
   * a `residual` of x's shape is added before it in the same pass (a ResNet block's end).
   */
  forward(x: Tensor, activation?: 'relu', residual: Tensor | null = null): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.numFeatures) {
      throw new Error(`BatchNorm2d(${this.numFeatures}): expected input (N, ${this.numFeatures}, H, W), got ${fmt(x.shape)}`);
    }
    const useBatchStats = this.training || !this.runningMean;
    // the statistics kernel counts the batch (training only: evaluation with untracked statistics does not count)
    const batchCounter = this.training ? this.numBatchesTracked : null;
    return tidy(() => batchNorm2d(x, this.weight, this.bias, this.runningMean, this.runningVar, { training: useBatchStats, momentum: this.momentum, eps: this.eps, activation, batchCounter, residual }));
  }
}
