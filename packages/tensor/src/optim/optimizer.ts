/**
 * Optimizer base: holds the parameters, their state (moments) and the step count, and records a
 * multi-tensor update. Parameters are split, in order, into packs of at most the device's largest
 * storage binding (one pack for small models; ResNet50 + BERT-base take several): every state slot
 * (e.g. Adam's exp_avg) of a pack is one flat buffer holding that state of each of its parameters,
 * and the parameters themselves are packed into one flat buffer per pack at construction when each
 * owns its storage alone (they stay ordinary tensors: handles at an offset in that buffer).
 * `step()` then copies the gradients into one flat gradient buffer per pack (buffer copies, not
 * dispatches) and records one update dispatch per run of consecutive parameters of a pack that
 * have a gradient: one dispatch per pack and step when all do. Parameters that share storage
 * (tied or sliced) are left where they are and updated by one dispatch each.
 * `zeroGrad()` frees the gradients. State is exported for checkpoints (`stateTensors`,
 * `stepCount`) and restored with `loadState`.
 */
import { Tensor } from '../tensor.js';
import { Storage } from '../storage.js';
import { zeros } from '../ops/creation.js';
import { keep } from '../scope.js';
import { fmt, contiguousStrides } from '../shape.js';
import { runtime } from '../gpu/runtime.js';

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

/** Consecutive parameters sharing state buffers (and a packed parameter buffer when packable). */
interface Pack {
  /** Indices into params. */
  members: number[];
  /** Element offset of each member in the pack's buffers. */
  offsets: number[];
  total: number;
  /** One flat tensor per slot name. */
  state: Tensor[];
  packed: Storage | null;
}

let packLimitForTests: number | null = null;

/** Test hook: the most bytes a pack holds (null: the device's largest storage binding). */
export function setOptimizerPackLimitForTests(bytes: number | null): void {
  packLimitForTests = bytes;
}

export abstract class Optimizer {
  /** Number of steps taken. */
  stepCount = 0;
  /** The distinct parameters, in the order given. */
  readonly params: readonly Tensor[];
  private readonly packs: Pack[];
  private readonly slots = new Map<Tensor, Tensor[]>();

  constructor(params: readonly Tensor[], protected slotNames: readonly string[]) {
    this.params = [...new Set(params)];
    for (const p of this.params) {
      if (!p.requiresGrad) throw new Error(`${this.constructor.name}: parameter ${fmt(p.shape)} does not require grad`);
      if (p.dtype !== 'f32' || !p.isContiguous) throw new Error(`${this.constructor.name}: parameters must be contiguous f32 tensors`);
    }
    const limit = Math.floor((packLimitForTests ?? runtime().gpu.info.limits.maxStorageBufferBindingSize) / 4);
    this.packs = [];
    let pack: Pack | null = null;
    this.params.forEach((p, i) => {
      if (!pack || (pack.total > 0 && pack.total + p.size > limit)) this.packs.push((pack = { members: [], offsets: [], total: 0, state: [], packed: null }));
      pack.members.push(i);
      pack.offsets.push(pack.total);
      pack.total += p.size;
    });
    for (const k of this.packs) {
      k.state = slotNames.map(() => keep(zeros([Math.max(k.total, 1)])));
      k.members.forEach((i, j) => {
        const p = this.params[i];
        this.slots.set(p, k.state.map((s) => s.view(p.shape, contiguousStrides(p.shape), k.offsets[j], true)));
      });
      k.packed = this.canPack(k) ? this.pack(k) : null;
    }
  }

  /** Packing moves a parameter's data; only safe when no other handle sees its storage. */
  private canPack(k: Pack): boolean {
    return k.members.length > 1 && k.members.every((i) => this.params[i].offset === 0 && this.params[i].storage.holders === 1);
  }

  private pack(k: Pack): Storage {
    const storage = Storage.allocate(Math.max(k.total, 1) * 4, 'packed parameters');
    k.members.forEach((i, j) => this.params[i].rehome(storage, k.offsets[j]));
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
    if (this.packs.some((k) => k.state.some((s) => s.isDisposed))) throw new Error(`${this.constructor.name}.step(): the optimizer was disposed`);
    this.stepCount++;
    for (const k of this.packs) this.stepPack(k);
  }

  private stepPack(k: Pack): void {
    const state = k.state.map((s) => s.buffer);
    if (!k.packed) {
      k.members.forEach((i, j) => {
        const p = this.params[i];
        if (!p.grad) return;
        this.update({ p: p.buffer, pOffset: p.offset, grad: p.grad.buffer, gOffset: p.grad.offset, sOffset: k.offsets[j], numel: p.size, state });
        p.storage.version++;
      });
      return;
    }
    const packed = k.packed;
    const grads = Tensor.empty([Math.max(k.total, 1)], 'f32', 'packed gradients');
    const rt = runtime();
    let start = -1;
    const flushRun = (end: number): void => {
      if (start < 0) return;
      const from = k.offsets[start];
      const to = end < k.members.length ? k.offsets[end] : k.total;
      this.update({ p: packed.buffer, pOffset: from, grad: grads.buffer, gOffset: from, sOffset: from, numel: to - from, state });
      start = -1;
    };
    k.members.forEach((i, j) => {
      const p = this.params[i];
      const g = p.grad;
      if (!g) return flushRun(j);
      if (!g.isContiguous) throw new Error(`${this.constructor.name}: gradient ${fmt(g.shape)} of a parameter must be contiguous`);
      rt.copy(g.buffer, g.offset * 4, grads.buffer, k.offsets[j] * 4, p.size * 4);
      if (start < 0) start = j;
    });
    flushRun(k.members.length);
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
    for (const k of this.packs) {
      for (const s of k.state) s.dispose();
      k.packed?.release();
      k.packed = null;
    }
  }
}
