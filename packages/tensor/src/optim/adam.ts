/** Adam and AdamW (decoupled weight decay), PyTorch's update rule, multi-tensor (optimizer.ts). */
import { adamKernel } from '@fusion/kernels';
import type { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { Optimizer, type UpdateRange } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;

  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    super(params, ['exp_avg', 'exp_avg_sq']);
    this.lr = options.lr ?? 1e-3;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  protected update(r: UpdateRange): void {
    const t = this.stepCount;
    runtime().run(adamKernel, 'default', {
      buffers: { p: r.p, grad: r.grad, m: r.state[0], v: r.state[1] },
      uniforms: {
        numel: r.numel, decoupled: this.decoupled ? 1 : 0, lr: this.lr, weight_decay: this.weightDecay,
        beta1: this.beta1, beta2: this.beta2, eps: this.eps,
        bias_correction1: 1 - this.beta1 ** t, bias_correction2_sqrt: Math.sqrt(1 - this.beta2 ** t),
        p_offset: r.pOffset, g_offset: r.gOffset, s_offset: r.sOffset,
      },
    });
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }
}
