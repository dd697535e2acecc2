/**
 * One training step of a MaskModel, its numeric precision, and the learning rate of a step: the
 * part of the training loop `pnpm train` (train-fusion.ts), the benchmarks (bench/src/train-step.ts)
 * and the page's Train tab share, so it knows nothing of files or Node. A step records forward,
 * BCE-with-logits against the masks (positive pixels weighted `posWeight`), backward, the
 * optimizer update and the cleared gradients into the current command stream; every temporary is
 * freed when it is finished except the loss, which the caller reads back (in batches, to wait for
 * the GPU rarely) and disposes. Precisions:
 *   f32   (the reference): forward, backward and update in f32; nothing is left to finish;
 *   mixed (a LossScaler given): f32 master weights (the optimizer's), the forward under `autocast`
 *         (matmul, linear and conv2d take f16 inputs, accumulate in f32), the backward seeded with the
 *         scaler's dynamic loss scale, the gradients unscaled and checked on the GPU; `finish()`
 *         reads the check (one GPU sync) and steps, or skips a step whose gradients are not finite
 *         (an f16 overflow: the step still counts, its batch is consumed, the scale backs off).
 * The loss is the unscaled loss in both, so the divergence guard reads it alike: a skipped step's
 * finite loss is no divergence, a non-finite loss is.
 */
import { autocast, bceWithLogits, tidy, LossScaler, type LossScalerOptions, type Optimizer, type Tensor } from '@fusion/tensor';
import type { MaskModel } from '@fusion/models';
import type { BatchTensors } from './batch-tensors.js';

export const PRECISIONS = ['f32', 'mixed'] as const;
export type Precision = (typeof PRECISIONS)[number];

export interface TrainStepOptions {
  /** BCE weight of positive (mask) pixels; 1 is plain BCE. */
  posWeight: number;
  /** Mixed precision with this scaler (one per training run: its scale carries over steps); absent: f32. */
  lossScaler?: LossScaler | null;
}

/** A recorded training step. */
export interface RecordedStep {
  /** The batch's loss (unscaled), a scalar tensor the caller owns. */
  loss: Tensor;
  /**
   * Completes the update; await it before the next step. Resolves to false when the step was
   * skipped (mixed, non-finite gradients); f32 steps resolve to true at once.
   */
  finish(): Promise<boolean>;
}

/** Learning-rate schedules over the planned steps. */
export type LearningRateSchedule = 'constant' | 'cosine';

/** The loss scaler of a precision's steps: null for f32, a new LossScaler for mixed. */
export function lossScalerFor(precision: Precision, options: LossScalerOptions = {}): LossScaler | null {
  if (!PRECISIONS.includes(precision)) throw new Error(`precision must be one of ${PRECISIONS.join(', ')}, got '${precision}'`);
  return precision === 'mixed' ? new LossScaler(options) : null;
}

/** One line on a mixed run's scaler: its scale and the steps it skipped. */
export function describeLossScaler(scaler: LossScaler): string {
  return `loss scale ${scaler.scale}, ${scaler.skippedSteps} step${scaler.skippedSteps === 1 ? '' : 's'} skipped (non-finite gradients)`;
}

/**
 * Records a step of `model` on one batch with `optimizer` (at its current `lr`) in the precision
 * `options` give (see the module comment). Shape: batch images (B, 3, H, W), masks (B, 1, H, W) -> loss ().
 */
export function trainStep(model: MaskModel, optimizer: Optimizer, batch: BatchTensors, options: TrainStepOptions): RecordedStep {
  const lossOf = () => {
    const { logits } = model.forward({ images: batch.images, inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds });
    return bceWithLogits(logits, batch.masks, { posWeight: options.posWeight });
  };
  const scaler = options.lossScaler;
  if (!scaler) {
    const loss = tidy(() => {
      const l = lossOf();
      l.backward();
      optimizer.step();
      optimizer.zeroGrad();
      return l;
    });
    return { loss, finish: async () => true };
  }
  const { loss, check } = tidy(() => {
    const l = autocast(lossOf);
    scaler.backward(l);
    return { loss: l, check: scaler.unscale(optimizer.params) };
  });
  return {
    loss,
    async finish() {
      const finite = await scaler.finite(check);
      if (finite) optimizer.step();
      optimizer.zeroGrad();
      scaler.update(finite);
      return finite;
    },
  };
}

/**
 * The learning rate at `step` of `totalSteps`: `lr` throughout ('constant'), or decayed from `lr`
 * to 0 on a half cosine ('cosine').
 */
export function learningRateAt(schedule: LearningRateSchedule, lr: number, step: number, totalSteps: number): number {
  return schedule === 'cosine' ? lr * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)) : lr;
}
