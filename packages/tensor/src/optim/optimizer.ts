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
 * No flat buffer is larger than the device can bind (`maxStorageBufferBindingSize`): the
 * parameters are cut into groups of consecutive ones that fit, each with its own flat buffers
 * (one group, and one dispatch per step, unless the model is that large: the seed preset's 116M
 * parameters are 465 MB, four groups on a 128 MiB adapter).
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

/** Consecutive parameters [first, end) sharing flat buffers, `total` elements. */
interface ParamGroup {
  first: number;
  end: number;
  total: number;
  /** One flat tensor per slot name, holding that state of the group's parameters. */
  state: Tensor[];
  /** The packed parameter storage, or null when the parameters stay in their own buffers. */
  packed: Storage | null;
}

export abstract class Optimizer {
  /** Number of steps taken. */
  stepCount = 0;
  /** The distinct parameters, in the order given. */
  readonly params: readonly Tensor[];
  private readonly groups: ParamGroup[] = [];
  /** Element offset of each parameter in its group's state buffers (and packed parameter buffer). */
  private readonly offsets: number[] = [];
  private readonly slots = new Map<Tensor, Tensor[]>();

  constructor(params: readonly Tensor[], protected slotNames: readonly string[]) {
    this.params = [...new Set(params)];
    for (const p of this.params) {
      if (!p.requiresGrad) throw new Error(`${this.constructor.name}: parameter ${fmt(p.shape)} does not require grad`);
      if (p.dtype !== 'f32' || !p.isContiguous) throw new Error(`${this.constructor.name}: parameters must be contiguous f32 tensors`);
    }
    // Kernels bind a group's whole packed buffer, so a group must fit one binding (tests lower the
    // limit with setBindingLimitForTests).
    const limit = Math.floor(bindingLimit() / 4);
    this.params.forEach((p, i) => {
      let g = this.groups[this.groups.length - 1];
      if (!g || (g.total > 0 && g.total + p.size > limit)) this.groups.push((g = { first: i, end: i, total: 0, state: [], packed: null }));
      this.offsets.push(g.total);
      g.total += p.size;
      g.end = i + 1;
    });
    const pack = this.canPack();
    for (const g of this.groups) {
      g.state = slotNames.map(() => keep(zeros([Math.max(g.total, 1)])));
      for (let i = g.first; i < g.end; i++) {
        const p = this.params[i];
        this.slots.set(p, g.state.map((s) => s.view(p.shape, contiguousStrides(p.shape), this.offsets[i], true)));
      }
      if (pack && g.end - g.first > 1) g.packed = this.pack(g);
    }
  }

  /** Packing moves a parameter's data; only safe when no other handle sees its storage. */
  private canPack(): boolean {
    return this.params.length > 1 && this.params.every((p) => p.offset === 0 && p.storage.holders === 1);
  }

  private pack(g: ParamGroup): Storage {
    const storage = Storage.allocate(Math.max(g.total, 1) * 4, 'packed parameters');
    for (let i = g.first; i < g.end; i++) this.params[i].rehome(storage, this.offsets[i]);
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
    if (this.params.length && !this.groups.every((g) => g.state.every((s) => !s.isDisposed))) throw new Error(`${this.constructor.name}.step(): the optimizer was disposed`);
    this.stepCount++;
    for (const g of this.groups) this.stepGroup(g);
  }

  private stepGroup(group: ParamGroup): void {
    const state = group.state.map((s) => s.buffer);
    if (!group.packed) {
      for (let i = group.first; i < group.end; i++) {
        const p = this.params[i];
        if (!p.grad) continue;
        this.update({ p: p.buffer, pOffset: p.offset, grad: p.grad.buffer, gOffset: p.grad.offset, sOffset: this.offsets[i], numel: p.size, state });
        p.storage.version++;
      }
      return;
    }
    const packed = group.packed;
    const grads = Tensor.empty([Math.max(group.total, 1)], 'f32', 'packed gradients');
    const rt = runtime();
    let start = -1;
    const flushRun = (end: number): void => {
      if (start < 0) return;
      const from = this.offsets[start];
      const to = end < group.end ? this.offsets[end] : group.total;
      this.update({ p: packed.buffer, pOffset: from, grad: grads.buffer, gOffset: from, sOffset: from, numel: to - from, state });
      start = -1;
    };
    for (let i = group.first; i < group.end; i++) {
      const p = this.params[i];
      const g = p.grad;
      if (!g) {
        flushRun(i);
        continue;
      }
      if (!g.isContiguous) throw new Error(`${this.constructor.name}: gradient ${fmt(g.shape)} of a parameter must be contiguous`);
      rt.copy(g.buffer, g.offset * 4, grads.buffer, this.offsets[i] * 4, p.size * 4);
      if (start < 0) start = i;
    }
    flushRun(group.end);
    grads.dispose();
    packed.version++;
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
    for (const g of this.groups) {
      for (const s of g.state) s.dispose();
      g.packed?.release();
      g.packed = null;
    }
  }
}
