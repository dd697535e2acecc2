/**
 * Dynamic loss scaling for mixed-precision training (as PyTorch's GradScaler): the backward pass
 * is seeded with `scale` instead of 1, so small gradients survive the cast of dC to f16 in the f16
 * GEMMs' backward; then every gradient is multiplied by 1 / scale in one dispatch per binding-sized
 * chunk, which also raises a flag when a gradient is infinite or NaN (an f16 cast overflowed). The
 * flag is read back (one sync per step, as GradScaler's): a step with a non-finite gradient is
 * skipped (the optimizer does not step; the step still counts, its batch is consumed) and the
 * scale is multiplied by `backoffFactor`; after `growthInterval` finite steps in a row it is
 * multiplied by `growthFactor`.
 * Gradients are moved into flat buffers (buffer copies) of at most one storage binding each
 * (`bindingLimit`, gpu/limits.ts) and each parameter's `.grad` becomes a view of them; the
 * optimizer reads them as before. A single gradient past the binding limit stops with the binding
 * check's DeviceLimitError.
 */
import { unscaleCheckKernel } from '@fusion/kernels';
import { Tensor } from './tensor.js';
import { runtime } from './gpu/runtime.js';
import { full, zeros } from './ops/creation.js';
import { backward } from './autograd/backward.js';
import { keep } from './scope.js';
import { bindingLimit, bindingLimitError } from './gpu/limits.js';
import { fmt, contiguousStrides } from './shape.js';

export interface LossScalerOptions {
  /** Initial scale (default 2^16). */
  initScale?: number;
  /** Factor applied after `growthInterval` finite steps in a row (default 2). */
  growthFactor?: number;
  /** Factor applied after a step with a non-finite gradient (default 0.5). */
  backoffFactor?: number;
  /** Finite steps in a row before the scale grows (default 2000). */
  growthInterval?: number;
}

/** What a checkpoint keeps of a scaler. */
export interface LossScalerState {
  scale: number;
  /** Finite steps since the scale last changed. */
  goodSteps: number;
  /** Steps skipped for a non-finite gradient, in all. */
  skippedSteps: number;
}

/** Below this scale the gradients overflow f16 even unscaled: mixed precision cannot train this model. */
const MIN_SCALE = 2 ** -24;

/** The flag of one recorded check, to be read by `finite`. */
export interface PendingCheck {
  found: Tensor;
}

export class LossScaler {
  scale: number;
  goodSteps = 0;
  skippedSteps = 0;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;

  constructor(options: LossScalerOptions = {}) {
    this.scale = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    if (!(this.scale > 0) || !(this.growthFactor > 1) || !(this.backoffFactor > 0 && this.backoffFactor < 1) || !(this.growthInterval >= 1)) {
      throw new Error(`LossScaler: needs initScale > 0, growthFactor > 1, 0 < backoffFactor < 1, growthInterval >= 1 (got ${JSON.stringify(options)})`);
    }
  }

  /** Backward of a scalar loss seeded with the scale: the gradients come out multiplied by it. */
  backward(loss: Tensor): void {
    if (loss.size !== 1) throw new Error(`LossScaler.backward: the loss ${fmt(loss.shape)} must have one element`);
    const seed = full(loss.shape, this.scale);
    try {
      backward(loss, { grad: seed });
    } finally {
      seed.dispose();
    }
  }

  /**
   * Records the unscaling of the parameters' gradients and the finiteness check (no readback).
   * Each `.grad` is replaced by a view of a flat buffer holding the unscaled values.
   */
  unscale(params: readonly Tensor[]): PendingCheck {
    const rt = runtime();
    const found = keep(zeros([1], 'i32'));
    const limit = bindingLimit();
    const withGrad = params.filter((p) => p.grad);
    let chunk: Tensor[] = [];
    let bytes = 0;
    const flushChunk = () => {
      if (chunk.length === 0) return;
      const flat = Tensor.empty([bytes / 4], 'f32', 'unscaled gradients');
      let offset = 0;
      for (const p of chunk) {
        const g = p.grad!;
        if (g.dtype !== 'f32' || !g.isContiguous) throw new Error(`LossScaler: the gradient ${fmt(g.shape)} must be a contiguous f32 tensor`);
        rt.copy(g.buffer, g.offset * 4, flat.buffer, offset * 4, g.size * 4);
        g.dispose();
        p.grad = flat.view(p.shape, contiguousStrides(p.shape), offset, true);
        offset += p.size;
      }
      rt.run(unscaleCheckKernel, 'default', { buffers: { grads: flat.buffer, found: found.buffer }, uniforms: { numel: offset, inv_scale: 1 / this.scale } });
      flat.dispose();
      chunk = [];
      bytes = 0;
    };
    for (const p of withGrad) {
      const size = p.grad!.size * 4;
      if (size > limit) throw bindingLimitError(unscaleCheckKernel.name, 'grads', p.grad!.buffer, limit, `the loss scaler unscales each gradient of parameter ${fmt(p.shape)} whole`);
      if (bytes + size > limit) flushChunk();
      chunk.push(p);
      bytes += size;
    }
    flushChunk();
    return { found };
  }

  /** Reads a recorded check: true when every gradient was finite. Frees the check (it is kept out of scopes until then). */
  async finite(check: PendingCheck): Promise<boolean> {
    try {
      return (await check.found.toArray())[0] === 0;
    } finally {
      check.found.dispose();
    }
  }

  /** Updates the scale after a step (`finite`: whether it was applied). */
  update(finite: boolean): void {
    if (finite) {
      if (++this.goodSteps >= this.growthInterval) {
        this.scale *= this.growthFactor;
        this.goodSteps = 0;
      }
      return;
    }
    this.skippedSteps++;
    this.goodSteps = 0;
    this.scale *= this.backoffFactor;
    if (this.scale < MIN_SCALE) {
      throw new Error(`LossScaler: the loss scale fell below 2^-24 after ${this.skippedSteps} skipped steps: the gradients (or the forward pass) overflow f16 at any scale; train in f32`);
    }
  }

  state(): LossScalerState {
    return { scale: this.scale, goodSteps: this.goodSteps, skippedSteps: this.skippedSteps };
  }

  setState(s: LossScalerState): void {
    if (!(s.scale > 0) || !Number.isInteger(s.goodSteps) || !Number.isInteger(s.skippedSteps)) throw new Error(`LossScaler.setState: bad state ${JSON.stringify(s)}`);
    this.scale = s.scale;
    this.goodSteps = s.goodSteps;
    this.skippedSteps = s.skippedSteps;
  }
}
