/**
 * Embedding: a (numEmbeddings, dim) table looked up by i32 ids, as torch.nn.Embedding. Parameter
 * `weight` ~ N(0, 1) (PyTorch's default); with `paddingIdx` that row starts at zero and gets no
 * gradient (PyTorch's padding_idx, used by Hugging Face BERT's word embeddings).
 * Shape: ids (...) -> (..., dim)
 */
import { Module } from './module.js';
import type { Tensor } from '../tensor.js';
import { embedding } from '../ops/embedding.js';
import { fillInPlace } from '../ops/creation.js';
import { normalInit } from './init.js';
import type { Generator } from '../ops/random.js';
import { tidy } from '../scope.js';

export interface EmbeddingModuleOptions {
  paddingIdx?: number;
  generator?: Generator;
}

export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingModuleOptions = {}) {
    super();
    const pad = options.paddingIdx;
    if (pad !== undefined && (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings)) {
      throw new Error(`Embedding(${numEmbeddings}, ${embeddingDim}): paddingIdx ${pad} is out of range`);
    }
    this.paddingIdx = pad === undefined ? null : pad < 0 ? pad + numEmbeddings : pad;
    this.weight = this.param('weight', normalInit([numEmbeddings, embeddingDim], 1, options.generator));
    if (this.paddingIdx !== null) {
      const row = this.weight.view([embeddingDim], [1], this.paddingIdx * embeddingDim);
      fillInPlace(row, 0);
      row.dispose();
    }
  }

  forward(ids: Tensor): Tensor {
    return tidy(() => embedding(ids, this.weight, { paddingIdx: this.paddingIdx }));
  }
}
