/** SGD with momentum, dampening, Nesterov and L2 weight decay (PyTorch's rule, optim.wgsl). */
import { sgdKernel } from '@fusion/kernels';
import type { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { Optimizer, type UpdateRange } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: readonly Tensor[], options: SgdOptions) {
    super(params, options.momentum ? ['momentum_buffer'] : []);
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error('SGD: Nesterov momentum requires momentum > 0 and dampening 0');
  }

  protected update(r: UpdateRange): void {
    runtime().run(sgdKernel, 'default', {
      buffers: { p: r.p, grad: r.grad, m: r.state[0] ?? null },
      uniforms: {
        numel: r.numel, first_step: this.stepCount === 1 ? 1 : 0, nesterov: this.nesterov ? 1 : 0, lr: this.lr,
        weight_decay: this.weightDecay, momentum: this.momentum, dampening: this.dampening, p_offset: r.pOffset, g_offset: r.gOffset, s_offset: r.sOffset,
      },
    });
  }
}
