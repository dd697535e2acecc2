/**
 * Linear: y = x W^T + b (the `linear` op: one GEMM, the bias in its epilogue). Parameters
 * `weight` (out, in) and `bias` (out), initialised as PyTorch.
 * Shape: (..., in) -> (..., out)
 */
import { Module } from './module.js';
import type { Tensor } from '../tensor.js';
import { linear } from '../ops/linear.js';
import { defaultWeightInit, uniformInit } from './init.js';
import type { Generator } from '../ops/random.js';
import { fmt } from '../shape.js';
import { tidy } from '../scope.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: { bias?: boolean; generator?: Generator } = {}) {
    super();
    this.weight = this.param('weight', defaultWeightInit([outFeatures, inFeatures], options.generator));
    this.bias = options.bias === false ? null : this.param('bias', uniformInit([outFeatures], 1 / Math.sqrt(inFeatures), options.generator));
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) throw new Error(`Linear(${this.inFeatures} -> ${this.outFeatures}): input ${fmt(x.shape)} has last dim ${x.shape[x.rank - 1]}`);
    return tidy(() => linear(x, this.weight, this.bias));
  }
}
