/**
 * Divergence of a head's training, decided in one place: a training loss that is not finite or
 * whose magnitude passes DIVERGENCE_LOSS_BOUND (checked every step on the GPU, see loss-log.ts),
 * a validation BCE that is not finite or past the same bound, or weights that are not finite
 * when they would be saved.
 * A diverged head stops; it keeps the weights of its best epoch before the divergence (never
 * non-finite ones), is marked `diverged` in its result, and is not ranked by the report.
 */
import type { SerializableTensor } from '@fusion/tensor';

/**
 * A training loss past this magnitude counts as diverged. BCE-with-logits of a sane model sits
 * near ln 2 times the positive weight; 1e4 needs logits of about 1e4, which no training recovers from.
 */
export const DIVERGENCE_LOSS_BOUND = 1e4;

/** Where and why a head diverged (FusionResult.diverged). */
export interface Divergence {
  step: number;
  /** 1-based epoch the step belongs to. */
  epoch: number;
  reason: string;
}

/** The divergence of a bad training loss at `step`. */
export function lossDivergence(step: number, epoch: number, loss: number): Divergence {
  const what = Number.isFinite(loss) ? `${loss.toExponential(2)}, past the bound ${DIVERGENCE_LOSS_BOUND.toExponential(0)}` : String(loss);
  return { step, epoch, reason: `training loss ${what} at step ${step}` };
}

/** The name of the first tensor holding NaN or ±Infinity, or null when all are finite. */
export function firstNonFinite(tensors: Record<string, SerializableTensor>): string | null {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype === 'i32') continue;
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) return name;
  }
  return null;
}

/** The console line for a diverged head. */
export function divergenceMessage(fusion: string, d: Divergence, lr: number, keptEpoch: number): string {
  const kept = keptEpoch > 0 ? `it keeps the weights of epoch ${keptEpoch}, before the divergence` : 'no weights were kept (none were finite)';
  return `${fusion}: training diverged: ${d.reason} (epoch ${d.epoch}); this head stops, ${kept}, and is reported as diverged (not ranked). Try a lower --lr (now ${lr}).`;
}
