/**
 * Pooling modules (no parameters): MaxPool2d and AvgPool2d wrap the ops with fixed options.
 * Shape: (N, C, H, W) -> (N, C, OH, OW)
 */
import { Module } from './module.js';
import type { Tensor } from '../tensor.js';
import { maxPool2d, avgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from '../ops/pool.js';
import type { Pair } from '../ops/window.js';

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: MaxPool2dOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: AvgPool2dOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}
