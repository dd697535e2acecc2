/** Dropout: zeroes elements with probability p in training mode (scaled by 1/(1-p)); identity in eval. */
import { Module } from './module.js';
import type { Tensor } from '../tensor.js';
import { dropout, type Generator } from '../ops/random.js';

export class Dropout extends Module {
  constructor(readonly p = 0.5, private generator?: Generator) {
    super();
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}
