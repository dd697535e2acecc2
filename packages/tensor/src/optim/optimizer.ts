/**
 * Optimizer base: holds the parameters, per-parameter state tensors (moments) and the step
 * count; `step()` records one in-place update kernel per parameter that has a gradient;
 * `zeroGrad()` frees the gradients. State is exported for checkpoints (`stateTensors`,
 * `stepCount`) and restored with `loadState`.
 */
import { Tensor } from '../tensor.js';
import { zeros } from '../ops/creation.js';
import { keep } from '../scope.js';
import { fmt } from '../shape.js';

export abstract class Optimizer {
  /** Number of steps taken. */
  stepCount = 0;
  protected slots: Map<Tensor, Tensor[]> = new Map();

  constructor(readonly params: readonly Tensor[], protected slotNames: readonly string[]) {
    for (const p of params) {
      if (!p.requiresGrad) throw new Error(`${this.constructor.name}: parameter ${fmt(p.shape)} does not require grad`);
      if (p.dtype !== 'f32' || !p.isContiguous) throw new Error(`${this.constructor.name}: parameters must be contiguous f32 tensors`);
    }
  }

  /** The state tensors of a parameter (allocated as zeros on first use). */
  protected state(p: Tensor): Tensor[] {
    let s = this.slots.get(p);
    if (!s) {
      s = this.slotNames.map(() => keep(zeros(p.shape)));
      this.slots.set(p, s);
    }
    return s;
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    this.stepCount++;
    for (const p of this.params) {
      if (!p.grad) continue;
      this.update(p, p.grad, this.state(p));
      p.storage.version++;
    }
  }

  protected abstract update(p: Tensor, grad: Tensor, state: Tensor[]): void;

  /** Frees every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** State tensors by `<param index>.<slot name>` (for checkpoints). */
  stateTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    this.params.forEach((p, i) => this.state(p).forEach((t, k) => out.set(`${i}.${this.slotNames[k]}`, t)));
    return out;
  }

  /** Restores state written by `stateTensors` (host data) and the step count. */
  loadState(stepCount: number, values: (name: string) => Float32Array | undefined, write: (t: Tensor, data: Float32Array) => void): void {
    this.stepCount = stepCount;
    this.params.forEach((p, i) =>
      this.state(p).forEach((t, k) => {
        const name = `${i}.${this.slotNames[k]}`;
        const data = values(name);
        if (!data) throw new Error(`${this.constructor.name}.loadState: missing state ${name}`);
        if (data.length !== t.size) throw new Error(`${this.constructor.name}.loadState: state ${name} has ${data.length} values, expected ${t.size} (${fmt(t.shape)})`);
        write(t, data);
      }),
    );
  }

  dispose(): void {
    for (const s of this.slots.values()) for (const t of s) t.dispose();
    this.slots.clear();
  }
}
