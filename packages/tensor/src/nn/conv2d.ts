/**
 * Conv2d: y = conv2d(x, W) + b (groups = 1). Parameters `weight` (C_out, C_in, KH, KW) and
 * `bias` (C_out), both initialised as PyTorch: U(+-1/sqrt(fan_in)), fan_in = C_in * KH * KW.
 * Shape: (N, C_in, H, W) -> (N, C_out, OH, OW)
 */
import { Module } from './module.js';
import type { Tensor } from '../tensor.js';
import { conv2d } from '../ops/conv2d.js';
import { pair, type Pair } from '../ops/window.js';
import { defaultWeightInit, uniformInit } from './init.js';
import type { Generator } from '../ops/random.js';
import { fmt } from '../shape.js';
import { tidy } from '../scope.js';

export interface Conv2dModuleOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  generator?: Generator;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, options: Conv2dModuleOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize, 'kernelSize', 'Conv2d', 1);
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    const shape = [outChannels, inChannels, ...this.kernelSize];
    this.weight = this.param('weight', defaultWeightInit(shape, options.generator));
    const fanIn = inChannels * this.kernelSize[0] * this.kernelSize[1];
    this.bias = options.bias === false ? null : this.param('bias', uniformInit([outChannels], 1 / Math.sqrt(Math.max(1, fanIn)), options.generator));
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new Error(`Conv2d(${this.inChannels} -> ${this.outChannels}): input ${fmt(x.shape)} has ${x.rank === 4 ? x.shape[1] : 'no'} channels (expected (N, ${this.inChannels}, H, W))`);
    }
    return tidy(() => conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation }));
  }
}
