/**
 * Buffer pool keyed by usage and size bucket. Buckets are 2^k * {1, 1.25, 1.5, 1.75} bytes, so a
 * pooled buffer wastes at most a quarter of its size.
 *
 * Reuse is stream-ordered, as in PyTorch's caching allocator: all GPU work and every host write
 * into a pooled buffer goes through the one command stream (uploads are copies recorded in the
 * encoder, uniforms live in their own immutable buffers), so a buffer released after the work that
 * reads it was *recorded* can be handed to work recorded later: the GPU runs them in that order.
 * Buffers are destroyed (trim) only between submissions.
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

export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  private stats: PoolStats = { liveBytes: 0, pooledBytes: 0, pooledBuffers: 0, peakBytes: 0, created: 0 };

  constructor(private device: GPUDevice, private maxBindingBytes: number) {}

  acquire(bytes: number, usage: number = STORAGE_USAGE, label = 'tensor'): GPUBuffer {
    const size = bucketBytes(bytes, this.maxBindingBytes);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    let buffer = list?.pop();
    if (buffer) {
      this.stats.pooledBytes -= size;
      this.stats.pooledBuffers--;
    } else {
      buffer = this.device.createBuffer({ size, usage, label });
      this.stats.created++;
    }
    this.stats.liveBytes += size;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.liveBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.stats.liveBytes -= buffer.size;
    this.stats.pooledBytes += buffer.size;
    this.stats.pooledBuffers++;
  }

  /** Destroys every pooled buffer. Call only between submissions (the runtime flushes first). */
  trim(onDestroy: (b: GPUBuffer) => void): void {
    for (const list of this.free.values()) for (const b of list) { onDestroy(b); b.destroy(); }
    this.free.clear();
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
