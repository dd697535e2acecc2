/**
 * A reference-counted GPU buffer shared by a tensor and its views. The buffer goes back to the
 * pool when the last reference is released. `version` counts in-place writes, so autograd can
 * refuse a gradient that would read a tensor overwritten after it was saved.
 */
import { runtime } from './gpu/runtime.js';
import { deviceLostError } from './gpu/device-lost.js';

export class Storage {
  private refs = 1;
  version = 0;

  constructor(readonly buffer: GPUBuffer, readonly bytes: number) {}

  /** Allocates a storage of at least `bytes` bytes from the pool. */
  static allocate(bytes: number, label?: string): Storage {
    return new Storage(runtime().pool.acquire(Math.max(bytes, 4), undefined, label), bytes);
  }

  retain(): this {
    if (this.refs <= 0) throw new Error('storage used after it was released');
    this.refs++;
    return this;
  }

  release(): void {
    // After a device loss the buffer died with the device: nothing to return to a pool.
    if (--this.refs === 0 && !deviceLostError()) runtime().pool.release(this.buffer);
  }

  /** How many handles hold this storage (1: a single tensor owns it). */
  get holders(): number {
    return this.refs;
  }

  get alive(): boolean {
    return this.refs > 0;
  }
}
