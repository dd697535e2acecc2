/**
 * The adapter's buffer limits, checked before a GPU object is made, so a tensor too large for this
 * adapter fails with one message naming its shape, its size, the limit and the kernel, instead of
 * a page of Dawn validation errors and an invalid bind group:
 *   - a tensor larger than `maxBufferSize` cannot be allocated (`checkTensorAllocation`, called
 *     by `Tensor.empty`);
 *   - a tensor larger than `maxStorageBufferBindingSize` can be allocated, but no kernel can bind
 *     it whole: the runtime checks every storage binding of a dispatch (`checkBinding`) and
 *     throws; the elementwise family and the image-batched ops (conv2d, upsample2x) split such
 *     work instead (ops/split-binding.ts).
 * Tensors past the binding limit are described (shape, dtype, the op that made them) when
 * allocated, so the binding error names them. Callers that know which user setting sizes the
 * tensors (the train CLI: --batch, --size) add it to the message (`DeviceLimitError.limit`).
 */
import { gpu } from './device.js';

export type BufferLimit = 'maxBufferSize' | 'maxStorageBufferBindingSize';

/** A tensor does not fit this adapter's buffer limits. */
export class DeviceLimitError extends Error {
  override name = 'DeviceLimitError';
  constructor(
    message: string,
    /** Which limit. */
    readonly limit: BufferLimit,
    /** The limit in bytes. */
    readonly limitBytes: number,
    /** The tensor's (or buffer's) size in bytes. */
    readonly bytes: number,
  ) {
    super(message);
  }
}

let bindingLimitOverride: number | null = null;
const descriptions = new WeakMap<GPUBuffer, { what: string; bytes: number }>();

/** Test hook: a lower storage binding limit in bytes (null: the adapter's), so small tensors exercise the limit paths. */
export function setBindingLimitForTests(bytes: number | null): void {
  bindingLimitOverride = bytes;
}

/** The largest storage binding in bytes: the adapter's `maxStorageBufferBindingSize` (or the test override). */
export function bindingLimit(): number {
  return bindingLimitOverride ?? gpu().info.limits.maxStorageBufferBindingSize;
}

/** Bytes as a short human size: 512 B, 3.0 KiB, 128.0 MiB, 2.50 GiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** A tensor for messages: `(2000, 16, 64, 64) f32 (made by conv2d)`. */
export function describeTensor(shape: readonly number[], dtype: string, label?: string): string {
  return `(${shape.join(', ')}) ${dtype}${label ? ` (made by ${label})` : ''}`;
}

/**
 * Called before allocating a tensor of `bytes` past the binding limit: throws when it is past the
 * adapter's `maxBufferSize` too (it cannot exist on this adapter).
 */
export function checkTensorAllocation(bytes: number, what: string): void {
  const max = gpu().info.limits.maxBufferSize;
  if (bytes > max) {
    throw new DeviceLimitError(
      `tensor ${what} needs ${formatBytes(bytes)}, more than this adapter's maxBufferSize (${formatBytes(max)}): it cannot be allocated`,
      'maxBufferSize', max, bytes,
    );
  }
}

/** Remembers what a buffer past the binding limit holds, for `checkBinding`'s message. */
export function describeLargeBuffer(buffer: GPUBuffer, what: string, bytes: number): void {
  descriptions.set(buffer, { what, bytes });
}

/**
 * The error for a buffer larger than the binding limit `limit` that kernel `kernel` would bind
 * whole as `binding` (the caller compares first, so the common case costs one comparison).
 */
export function bindingLimitError(kernel: string, binding: string, buffer: GPUBuffer, limit: number, why = 'this kernel cannot split its work'): DeviceLimitError {
  const { what, bytes } = descriptions.get(buffer) ?? { what: `in buffer "${buffer.label}"`, bytes: buffer.size };
  return new DeviceLimitError(
    `tensor ${what} takes ${formatBytes(bytes)}, more than this adapter's maxStorageBufferBindingSize ` +
      `(${formatBytes(limit)}), and kernel ${kernel} binds it whole as "${binding}" (${why})`,
    'maxStorageBufferBindingSize', limit, bytes,
  );
}
