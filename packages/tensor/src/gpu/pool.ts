/**
 * Buffer pool keyed by usage and size bucket. Buckets are 2^k * {1, 1.25, 1.5, 1.75} bytes, so a
 * pooled buffer wastes at most a quarter of its size.
 *
 * Reuse is stream-ordered, as in PyTorch's caching allocator: all GPU work and every host write
 * into a pooled buffer goes through the one command stream (uploads are copies recorded in the
 * encoder, uniforms live in their own immutable buffers), so a buffer released after the work that
 * reads it was *recorded* can be handed to work recorded later: the GPU runs them in that order.
 * Buffers are destroyed (trim) only between submissions.
 *
 * Host cost: a buffer's bucket is remembered on the JS side (reading `GPUBuffer.size` or `.usage`
 * crosses into Dawn, which costs more than the rest of a release), and a bucket hands out its free
 * buffer of the lowest serial number, not the last released: a training step that repeats the
 * same sequence of acquires and releases then gets the same buffers every step, so the runtime's
 * bind groups (keyed by the buffers they bind) are created once, not per step.
 */
import { BufferUsage } from './constants.js';

const MIN_BYTES = 256;

export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/** The bucket size for a request: the smallest 2^k * (1 + q/4) >= bytes, capped at `cap`. */
export function bucketBytes(bytes: number, cap = Infinity): number {
  const n = Math.max(MIN_BYTES, Math.ceil(bytes / 4) * 4);
  const k = Math.floor(Math.log2(n));
  const base = 2 ** k;
  for (const q of [0, 1, 2, 3]) {
    const size = base + (base / 4) * q;
    if (size >= n) return Math.min(size, Math.max(n, cap));
  }
  return Math.min(2 * base, Math.max(n, cap));
}

export interface PoolStats {
  /** Bytes in buffers handed out and not yet released. */
  liveBytes: number;
  /** Bytes in released buffers kept for reuse. */
  pooledBytes: number;
  pooledBuffers: number;
  /** Highest liveBytes seen since the last resetPeak(). */
  peakBytes: number;
  /** Buffers created (not reused) since start. */
  created: number;
}

/** The free buffers of one (usage, size) bucket, highest serial first (the lowest is popped). */
interface Bucket {
  size: number;
  free: GPUBuffer[];
}

/** What the pool remembers of a buffer it created. */
interface Entry {
  bucket: Bucket;
  serial: number;
}

export class BufferPool {
  private buckets = new Map<string, Bucket>();
  private entries = new WeakMap<GPUBuffer, Entry>();
  private nextSerial = 1;
  private stats: PoolStats = { liveBytes: 0, pooledBytes: 0, pooledBuffers: 0, peakBytes: 0, created: 0 };

  constructor(private device: GPUDevice, private maxBindingBytes: number) {}

  acquire(bytes: number, usage: number = STORAGE_USAGE, label = 'tensor'): GPUBuffer {
    const size = bucketBytes(bytes, this.maxBindingBytes);
    const key = `${usage}:${size}`;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { size, free: [] }));
    let buffer = bucket.free.pop();
    if (buffer) {
      this.stats.pooledBytes -= size;
      this.stats.pooledBuffers--;
    } else {
      buffer = this.device.createBuffer({ size, usage, label });
      this.entries.set(buffer, { bucket, serial: this.nextSerial++ });
      this.stats.created++;
    }
    this.stats.liveBytes += size;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.liveBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const entry = this.entries.get(buffer);
    if (!entry) throw new Error(`BufferPool.release: buffer '${buffer.label}' was not acquired from this pool`);
    const { bucket, serial } = entry;
    // keep the free list ordered by decreasing serial (binary search for the insertion point)
    const free = bucket.free;
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries.get(free[mid])!.serial > serial) lo = mid + 1;
      else hi = mid;
    }
    free.splice(lo, 0, buffer);
    this.stats.liveBytes -= bucket.size;
    this.stats.pooledBytes += bucket.size;
    this.stats.pooledBuffers++;
  }

  /** Destroys every pooled buffer. Call only between submissions (the runtime flushes first). */
  trim(onDestroy: (b: GPUBuffer) => void): void {
    for (const bucket of this.buckets.values()) {
      for (const b of bucket.free) {
        onDestroy(b);
        this.entries.delete(b);
        b.destroy();
      }
      bucket.free = [];
    }
    this.stats.pooledBytes = 0;
    this.stats.pooledBuffers = 0;
  }

  resetPeak(): void {
    this.stats.peakBytes = this.stats.liveBytes;
  }

  snapshot(): PoolStats {
    return { ...this.stats };
  }
}
