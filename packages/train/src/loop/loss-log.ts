/**
 * The training loss of every step, logged without a per-step stall, with the divergence guard
 * beside it. Each step's loss stays on the GPU, where the guard kernel checks it at once (ops/
 * guard.ts: the first step whose loss is not finite or past the bound). Every `logEvery` steps
 * (and at the end of an epoch) the pending losses and the guard's state come back in one
 * readback, are appended to train.jsonl, and the first bad step is returned. The steps pushed
 * into one log are consecutive, starting at `firstStep`.
 */
import { appendFile } from 'node:fs/promises';
import { concat, guardFinite, guardState, readGuardState, reshape, tidy, type Tensor } from '@fusion/tensor';

/** What one flush read back. */
export interface FlushedLosses {
  /** The losses read back, in step order (NaN or ±Infinity where they were not finite). */
  losses: { step: number; loss: number }[];
  /** The first step whose loss was not finite or past the bound, and that loss; null while none. */
  diverged: { step: number; loss: number } | null;
}

export class LossLog {
  private readonly pending: { step: number; loss: Tensor }[] = [];
  private readonly guard = guardState();

  /**
   * @param jsonl the train.jsonl to append to
   * @param firstStep the step of the first loss pushed
   * @param bound a loss of larger magnitude counts as diverged
   */
  constructor(private readonly jsonl: string, private readonly firstStep: number, private readonly bound: number) {}

  /** Steps pushed and not yet read back. */
  get size(): number {
    return this.pending.length;
  }

  /** Takes a step's scalar loss (this log owns it now) and records its check on the GPU. */
  push(step: number, loss: Tensor): void {
    guardFinite(loss, this.guard, this.bound);
    this.pending.push({ step, loss });
  }

  /** Reads the pending losses and the guard back in one readback and appends them to train.jsonl. */
  async flush(epoch: number): Promise<FlushedLosses> {
    const steps = this.pending.splice(0);
    const all = tidy(() => concat([...steps.map((p) => reshape(p.loss, [1])), this.guard]));
    for (const p of steps) p.loss.dispose();
    const values = await all.toArray();
    all.dispose();
    const losses = steps.map((p, k) => ({ step: p.step, loss: values[k] }));
    if (losses.length) await appendFile(this.jsonl, losses.map((l) => `${JSON.stringify({ step: l.step, epoch, loss: l.loss })}\n`).join(''));
    const guard = readGuardState(values.subarray(steps.length));
    return { losses, diverged: guard.firstBad === null ? null : { step: this.firstStep + guard.firstBad, loss: guard.value } };
  }

  /** Frees the pending losses and the guard's state. */
  dispose(): void {
    for (const p of this.pending.splice(0)) p.loss.dispose();
    this.guard.dispose();
  }
}
