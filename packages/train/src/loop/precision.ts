/**
 * The training step's numeric precision, the one place the loop asks how to turn a loss into an
 * update:
 *   f32   (default, the reference): forward, backward and update in f32;
 *   mixed: f32 master weights (the optimizer's), the forward under `autocast` (matmul and conv2d
 *          take f16 inputs, accumulate in f32), the backward seeded with a dynamic loss scale,
 *          gradients unscaled and checked, and a step with a non-finite gradient skipped (it still
 *          counts as a step: its batch is consumed and the schedule moves on).
 * A step is recorded synchronously (`record`, so it can be timed or profiled) and finished
 * asynchronously (`finish`: mixed reads the overflow flag back, then steps or skips).
 */
import { autocast, tidy, LossScaler, type LossScalerOptions, type LossScalerState, type Optimizer, type Tensor } from '@fusion/tensor';

export const PRECISIONS = ['f32', 'mixed'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** One recorded step: its loss (the caller's to dispose) and the rest of the update. */
export interface RecordedStep {
  loss: Tensor;
  /** Completes the update; resolves to false when the step was skipped (mixed, non-finite gradient). */
  finish(): Promise<boolean>;
}

export interface PrecisionStep {
  precision: Precision;
  /** Records forward (`lossOf`, a scalar loss), backward and, in f32, the update. */
  record(lossOf: () => Tensor, optimizer: Optimizer): RecordedStep;
  /** The loss scaler's state (mixed) for checkpoints, or null. */
  state(): LossScalerState | null;
  setState(state: LossScalerState | null | undefined): void;
  /** One line on the scaler (mixed): scale and skipped steps; null for f32. */
  describe(): string | null;
}

/** The step policy for a precision (see the module comment). */
export function makePrecisionStep(precision: Precision, scalerOptions: LossScalerOptions = {}): PrecisionStep {
  if (!PRECISIONS.includes(precision)) throw new Error(`precision must be one of ${PRECISIONS.join(', ')}, got '${precision}'`);
  if (precision === 'f32') {
    return {
      precision,
      record(lossOf, optimizer) {
        const loss = tidy(() => {
          const l = lossOf();
          l.backward();
          optimizer.step();
          optimizer.zeroGrad();
          return l;
        });
        return { loss, finish: async () => true };
      },
      state: () => null,
      setState: () => undefined,
      describe: () => null,
    };
  }
  const scaler = new LossScaler(scalerOptions);
  return {
    precision,
    record(lossOf, optimizer) {
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
    },
    state: () => scaler.state(),
    setState: (s) => {
      if (s) scaler.setState(s);
    },
    describe: () => `loss scale ${scaler.scale}, ${scaler.skippedSteps} step${scaler.skippedSteps === 1 ? '' : 's'} skipped (non-finite gradients)`,
  };
}
