/**
 * One training step of a MaskModel and the learning rate of a step: the part of the training loop
 * `pnpm train` (train-fusion.ts) and the page's Train tab share, so it knows nothing of files or
 * Node. A step records forward, BCE-with-logits against the masks (positive pixels weighted
 * `posWeight`), backward, the optimizer update and the cleared gradients into the current command
 * stream; every temporary is freed when it returns except the loss, which the caller reads back
 * (in batches, to wait for the GPU rarely) and disposes.
 */
import { bceWithLogits, tidy, type Optimizer, type Tensor } from '@fusion/tensor';
import type { MaskModel } from '@fusion/models';
import type { BatchTensors } from './batch-tensors.js';

export interface TrainStepOptions {
  /** BCE weight of positive (mask) pixels; 1 is plain BCE. */
  posWeight: number;
}

/** Learning-rate schedules over the planned steps. */
export type LearningRateSchedule = 'constant' | 'cosine';

/**
 * Trains `model` on one batch with `optimizer` (at its current `lr`). Returns the batch's loss,
 * a scalar tensor the caller owns. Shape: batch images (B, 3, H, W), masks (B, 1, H, W) -> loss ().
 */
export function trainStep(model: MaskModel, optimizer: Optimizer, batch: BatchTensors, options: TrainStepOptions): Tensor {
  return tidy(() => {
    const { logits } = model.forward({ images: batch.images, inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds });
    const loss = bceWithLogits(logits, batch.masks, { posWeight: options.posWeight });
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
    return loss;
  });
}

/**
 * The learning rate at `step` of `totalSteps`: `lr` throughout ('constant'), or decayed from `lr`
 * to 0 on a half cosine ('cosine').
 */
export function learningRateAt(schedule: LearningRateSchedule, lr: number, step: number, totalSteps: number): number {
  return schedule === 'cosine' ? lr * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)) : lr;
}
