/**
 * LayerNorm over the last dimension, as torch.nn.LayerNorm(dim): parameters `weight` (ones) and
 * `bias` (zeros) when elementwiseAffine (Hugging Face BERT names them the same). BERT uses
 * eps = 1e-12.
 * Shape: (..., dim) -> (..., dim)
 */
import { Module } from './module.js';
import type { Tensor } from '../tensor.js';
import { layerNorm } from '../ops/layernorm.js';
import { ones, zeros } from '../ops/creation.js';
import { fmt } from '../shape.js';
import { tidy } from '../scope.js';

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
}

export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(readonly dim: number, options: LayerNormOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.param('weight', ones([dim])) : null;
    this.bias = affine ? this.param('bias', zeros([dim])) : null;
  }

  /** Normalises x, or x + residual in the same dispatch ("add & norm") when a residual is given. */
  forward(x: Tensor, residual: Tensor | null = null): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.dim) throw new Error(`LayerNorm(${this.dim}): input ${fmt(x.shape)} must end in ${this.dim}`);
    return tidy(() => layerNorm(x, this.weight, this.bias, this.eps, residual));
  }
}
