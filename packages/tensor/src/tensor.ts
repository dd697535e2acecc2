/**
 * Tensor: a typed, strided view of a GPU storage. Views (reshape of contiguous data, permute,
 * transpose, expand, slice) share the storage and differ in shape, strides and offset (elements).
 * Operations live in ops/ and are attached as methods in methods.ts.
 * Memory is explicit: `dispose()`, or create tensors inside `tidy`.
 */
import { Storage } from './storage.js';
import { runtime } from './gpu/runtime.js';
import { bindingLimit, checkTensorAllocation, describeLargeBuffer, describeTensor } from './gpu/limits.js';
import { contiguousStrides, numel, checkShape, fmt, type Shape } from './shape.js';
import { bytesPerElement, type DType } from './dtype.js';
import { trackTensor, untrackTensor, registerTensorCheck, type Tracked } from './scope.js';
import type { GradNode } from './autograd/graph.js';
import { releaseNode } from './autograd/graph.js';
import { contiguousCopy } from './ops/copy.js';

let nextId = 1;
let liveTensors = 0;

export function liveTensorCount(): number {
  return liveTensors;
}

export interface TensorInit {
  storage: Storage;
  shape: Shape;
  dtype: DType;
  strides?: Shape;
  offset?: number;
  /** Not registered in the current scope (autograd's saved handles, optimizer state). */
  untracked?: boolean;
}

export class Tensor implements Tracked {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  /** Offset of element 0 in the storage, in elements. */
  readonly offset: number;
  readonly dtype: DType;
  /** Whether gradients flow to this tensor. Set it on leaves (parameters) by hand. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`. Owned by this tensor. */
  grad: Tensor | null = null;
  /** @internal the autograd node that produced this tensor, or its leaf accumulator. */
  node: GradNode | null = null;
  /** @internal */
  scope: Set<Tensor> | null = null;
  private _storage: Storage | null;

  constructor(init: TensorInit) {
    checkShape(init.shape, 'tensor');
    this._storage = init.storage;
    this.shape = [...init.shape];
    this.strides = init.strides ? [...init.strides] : contiguousStrides(init.shape);
    this.offset = init.offset ?? 0;
    this.dtype = init.dtype;
    liveTensors++;
    if (!init.untracked) trackTensor(this);
  }

  /** Allocates an uninitialised contiguous tensor. */
  static empty(shape: Shape, dtype: DType = 'f32', label?: string): Tensor {
    checkShape(shape, 'empty');
    const bytes = numel(shape) * bytesPerElement(dtype);
    if (bytes <= bindingLimit()) return new Tensor({ storage: Storage.allocate(bytes, label), shape, dtype });
    // Past one binding: allowed up to maxBufferSize (some kernels split such work), and described for the binding check's message.
    const what = describeTensor(shape, dtype, label);
    checkTensorAllocation(bytes, what);
    const t = new Tensor({ storage: Storage.allocate(bytes, label), shape, dtype });
    describeLargeBuffer(t.buffer, what, bytes);
    return t;
  }

  get storage(): Storage {
    if (!this._storage) throw new Error(`tensor #${this.id} ${fmt(this.shape)} was used after dispose()`);
    return this._storage;
  }

  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  get size(): number {
    return numel(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this._storage === null;
  }

  /** True when elements are laid out row-major without gaps (the offset may be non-zero). */
  get isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expected) return false;
      expected *= this.shape[i];
    }
    return true;
  }

  /** A new handle on the same storage (shares memory; the storage lives while any handle does). */
  view(shape: Shape, strides: Shape, offset: number, untracked = false): Tensor {
    return new Tensor({ storage: this.storage.retain(), shape, strides, offset, dtype: this.dtype, untracked });
  }

  /**
   * @internal Moves this contiguous tensor's elements into `storage` at element `offset` (a GPU
   * copy) and makes it a handle on that storage; the optimizer packs parameters into one buffer.
   */
  rehome(storage: Storage, offset: number): void {
    if (!this.isContiguous) throw new Error(`rehome(): tensor ${fmt(this.shape)} must be contiguous`);
    runtime().copy(this.buffer, this.offset * 4, storage.buffer, offset * 4, this.size * 4);
    storage.retain();
    this.storage.release();
    this._storage = storage;
    (this as { offset: number }).offset = offset;
    (this as { strides: readonly number[] }).strides = contiguousStrides(this.shape);
  }

  /** Releases this handle's storage reference and autograd node. Idempotent. */
  dispose(): void {
    if (!this._storage) return;
    this._storage.release();
    this._storage = null;
    liveTensors--;
    untrackTensor(this);
    if (this.node) {
      releaseNode(this.node);
      this.node = null;
    }
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** Reads the elements (row-major, contiguous) back to the host. */
  async toArray(): Promise<Float32Array | Int32Array> {
    const src = this.isContiguous ? this : contiguousCopy(this);
    try {
      const bytes = await runtime().read(src.buffer, src.offset * 4, src.size * 4);
      return this.dtype === 'i32' ? new Int32Array(bytes) : new Float32Array(bytes);
    } finally {
      if (src !== this) src.dispose();
    }
  }

  /** Same as toArray(). */
  data(): Promise<Float32Array | Int32Array> {
    return this.toArray();
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item(): tensor ${fmt(this.shape)} has ${this.size} elements, not 1`);
    return (await this.toArray())[0];
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

registerTensorCheck((v): v is Tensor => v instanceof Tensor);
