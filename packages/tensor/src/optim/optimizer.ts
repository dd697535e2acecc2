/**
 * Optimizer base: holds the parameters, their state (moments) and the step count, and records a
 * multi-tensor update: every state slot (e.g. Adam's exp_avg) is one flat buffer holding that state
 * of every parameter in parameter order, and the parameters themselves are packed into one flat
 * buffer at construction when each owns its storage alone (they stay ordinary tensors: handles at
 * an offset in that buffer). `step()` then copies the gradients into one flat gradient buffer
 * (buffer copies, not dispatches) and records one update dispatch per run of consecutive
 * parameters that have a gradient: one dispatch per step when all do. Parameters that share
 * storage (tied or sliced) are left where they are and updated by one dispatch each.
 * `zeroGrad()` frees the gradients. State is exported for checkpoints (`stateTensors`,
 * `stepCount`) and restored with `loadState`.
 */
import { Tensor } from '../tensor.js';
import { Storage } from '../storage.js';
import { zeros } from '../ops/creation.js';
import { keep } from '../scope.js';
import { fmt, contiguousStrides } from '../shape.js';
import { runtime } from '../gpu/runtime.js';
import { bindingLimit } from '../gpu/limits.js';

/** A range of elements one update dispatch covers (offsets in elements). */
export interface UpdateRange {
  p: GPUBuffer;
  pOffset: number;
  grad: GPUBuffer;
  gOffset: number;
  /** Offset of the range in every state buffer. */
  sOffset: number;
  numel: number;
  /** State buffers, one per slot name. */
  state: GPUBuffer[];
}

export abstract class Optimizer {
  /** Number of steps taken. */
  stepCount = 0;
  /** The distinct parameters, in the order given. */
  readonly params: readonly Tensor[];
  /** One flat tensor per slot name, holding that state of every parameter. */
  private readonly stateBuffers: Tensor[];
  /** Element offset of each parameter in the state buffers (and in the packed parameter buffer). */
  private readonly offsets: number[];
  private readonly total: number;
  /** The packed parameter storage, or null when the parameters stay in their own buffers. */
  private packed: Storage | null;
  private readonly slots = new Map<Tensor, Tensor[]>();

  constructor(params: readonly Tensor[], protected slotNames: readonly string[]) {
    this.params = [...new Set(params)];
    for (const p of this.params) {
      if (!p.requiresGrad) throw new Error(`${this.constructor.name}: parameter ${fmt(p.shape)} does not require grad`);
      if (p.dtype !== 'f32' || !p.isContiguous) throw new Error(`${this.constructor.name}: parameters must be contiguous f32 tensors`);
    }
    this.offsets = [];
    let total = 0;
    for (const p of this.params) {
      this.offsets.push(total);
      total += p.size;
    }
    this.total = total;
    this.stateBuffers = slotNames.map(() => keep(zeros([Math.max(total, 1)])));
    this.params.forEach((p, i) => {
      this.slots.set(p, this.stateBuffers.map((s) => s.view(p.shape, contiguousStrides(p.shape), this.offsets[i], true)));
    });
    this.packed = this.canPack() ? this.pack() : null;
  }

  /** Packing moves a parameter's data; only safe when no other handle sees its storage. */
  private canPack(): boolean {
    // Kernels bind a parameter's whole buffer, so the packed buffer must fit one binding.
    return this.params.length > 1 && this.total * 4 <= bindingLimit() && this.params.every((p) => p.offset === 0 && p.storage.holders === 1);
  }

  private pack(): Storage {
    const storage = Storage.allocate(Math.max(this.total, 1) * 4, 'packed parameters');
    this.params.forEach((p, i) => p.rehome(storage, this.offsets[i]));
    return storage;
  }

  /** The state tensors of a parameter (views into the flat state buffers). */
  protected state(p: Tensor): Tensor[] {
    const s = this.slots.get(p);
    if (!s) throw new Error(`${this.constructor.name}: ${fmt(p.shape)} is not one of its parameters`);
    return s;
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    if (this.params.length && !this.stateBuffers.every((s) => !s.isDisposed)) throw new Error(`${this.constructor.name}.step(): the optimizer was disposed`);
    this.stepCount++;
    const state = this.stateBuffers.map((s) => s.buffer);
    if (!this.packed) {
      this.params.forEach((p, i) => {
        if (!p.grad) return;
        this.update({ p: p.buffer, pOffset: p.offset, grad: p.grad.buffer, gOffset: p.grad.offset, sOffset: this.offsets[i], numel: p.size, state });
        p.storage.version++;
      });
      return;
    }
    const grads = Tensor.empty([Math.max(this.total, 1)], 'f32', 'packed gradients');
    const rt = runtime();
    let start = -1;
    const flushRun = (end: number): void => {
      if (start < 0) return;
      const from = this.offsets[start];
      const to = end < this.params.length ? this.offsets[end] : this.total;
      this.update({ p: this.packed!.buffer, pOffset: from, grad: grads.buffer, gOffset: from, sOffset: from, numel: to - from, state });
      start = -1;
    };
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g) return flushRun(i);
      if (!g.isContiguous) throw new Error(`${this.constructor.name}: gradient ${fmt(g.shape)} of a parameter must be contiguous`);
      rt.copy(g.buffer, g.offset * 4, grads.buffer, this.offsets[i] * 4, p.size * 4);
      if (start < 0) start = i;
    });
    flushRun(this.params.length);
    grads.dispose();
    this.packed.version++;
  }

  /** Records the update of one range of elements (a parameter, or a run of packed ones). */
  protected abstract update(range: UpdateRange): void;

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

  /** Frees the state (the parameters stay valid, packed or not). */
  dispose(): void {
    for (const s of this.slots.values()) for (const t of s) t.dispose();
    this.slots.clear();
    for (const s of this.stateBuffers) s.dispose();
    this.packed?.release();
    this.packed = null;
  }
}
