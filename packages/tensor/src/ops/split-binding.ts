/**
 * Elementwise work on tensors larger than one storage binding (the adapter's
 * `maxStorageBufferBindingSize`, 128 MiB on lavapipe): kernels bind whole buffers, so such a
 * tensor cannot be handed to a kernel at once. When the output and every operand are contiguous
 * ranges of the same length (or single elements broadcast over it) and the kernel does not depend
 * on the element's index (every elementwise kernel except arange), the work is cut into chunks
 * that fit one binding: each chunk's operands are copied into temporaries (buffer copies have no
 * binding limit), the kernel runs on them, and the result is copied into the output's range. The cost
 * is one extra copy of each operand and of the output, on a path only oversized tensors take.
 * Image-batched ops (conv2d forward and both gradients, upsample2x and its gradient) split the
 * same way along the images (dim 0): `imagesPerChunk` says how many images' slices of every
 * operand fit one binding, `copyImages` copies such a slice into a temporary and `writeImages`
 * copies a result back into the big tensor's range, so each chunk is an ordinary call on tensors
 * that fit. Other elementwise calls (broadcast, strided, arange) and every other kernel family
 * (GEMM, reductions, softmax, norms, pooling, attention) bind whole buffers and stop with the
 * binding check's DeviceLimitError (gpu/limits.ts) instead.
 */
import type { KernelSpec } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { bindingLimit, bindingLimitError, DeviceLimitError } from '../gpu/limits.js';
import { bytesPerElement } from '../dtype.js';

/** Kernels whose result depends on the element's index, so a chunk cannot run as a smaller call. */
const INDEX_DEPENDENT = new Set(['arange', 'arange_i32']);

/**
 * Bytes a buffer copy of `count` elements of `bpe` bytes moves: rounded up to whole 32-bit words
 * (copies move words; f16 elements pair up). An odd f16 range starts on a word (`isRange`), so the
 * extra half is its neighbour in the source, or the spare half of a new f16 output's last word
 * (every f16 output here is a new tensor: copyInto refuses f16 views).
 */
function copyBytes(count: number, bpe: number): number {
  return Math.ceil((count * bpe) / 4) * 4;
}

/** Elements per chunk: a multiple of 64 (256-byte copies) that fits one binding. */
function chunkElements(limit: number, bytes: number): number {
  return Math.max(64, Math.floor(limit / bytes / 64) * 64);
}

/** Whether any of the buffers exceeds one binding (the caller's cheap test before splitting). */
export function exceedsBinding(out: Tensor, operands: readonly Tensor[]): boolean {
  const limit = bindingLimit();
  return out.buffer.size > limit || operands.some((t) => t.buffer.size > limit);
}

/**
 * Runs an elementwise call of n elements in chunks that fit one binding. `run(chunkOperands,
 * chunkOut, count)` records the call on temporaries of `count` elements (single-element operands,
 * broadcast scalars, are passed as they are). Throws the binding check's DeviceLimitError when
 * the call cannot be split: an operand or the output is strided or broadcast, or the kernel
 * depends on the index.
 */
export function launchSplit(
  spec: KernelSpec, n: number, out: Tensor, operands: readonly Tensor[],
  run: (chunkOperands: Tensor[], chunkOut: Tensor, count: number) => void,
): void {
  const limit = bindingLimit();
  const isRange = (t: Tensor) => t.size === n && t.isContiguous && (t.offset * bytesPerElement(t.dtype)) % 4 === 0;
  const splittable = isRange(out) && operands.every((t) => t.size === 1 || isRange(t));
  if (!splittable || INDEX_DEPENDENT.has(spec.name)) {
    const big = [...operands, out].find((t) => t.buffer.size > limit)!;
    const why = splittable ? 'its result depends on the index' : 'an operand or the output is broadcast, strided or an f16 view starting mid-word';
    throw bindingLimitError(spec.name, big === out ? 'output' : 'input', big.buffer, limit, `this elementwise call cannot be split: ${why}`);
  }
  const rt = runtime();
  const step = chunkElements(limit, Math.max(...[out, ...operands].map((t) => bytesPerElement(t.dtype))));
  for (let start = 0; start < n; start += step) {
    const count = Math.min(step, n - start);
    const copies: Tensor[] = [];
    const pieces = operands.map((t) => {
      if (t.size === 1 && n > 1) return t;
      const piece = Tensor.empty([count], t.dtype, 'split operand');
      const bpe = bytesPerElement(t.dtype);
      rt.copy(t.buffer, (t.offset + start) * bpe, piece.buffer, 0, copyBytes(count, bpe));
      copies.push(piece);
      return piece;
    });
    const result = Tensor.empty([count], out.dtype, 'split output');
    run(pieces, result, count);
    const bpe = bytesPerElement(out.dtype);
    rt.copy(result.buffer, 0, out.buffer, (out.offset + start) * bpe, copyBytes(count, bpe));
    for (const t of [...copies, result]) t.dispose();
  }
}

/**
 * Images per chunk such that the slice of that many images of every input in `inputs` (each
 * (images, ...)) and of every f32 output of shape in `outputs` fits one binding; null when every
 * one fits whole (the ops' normal path). Throws the binding check's DeviceLimitError, naming
 * `kernel`, when one image alone does not fit, or when an input past the binding is not a
 * contiguous range that a copy can slice.
 */
export function imagesPerChunk(kernel: string, inputs: readonly Tensor[], outputs: readonly (readonly number[])[]): number | null {
  const limit = bindingLimit();
  const outBytes = outputs.map((s) => s.reduce((a, b) => a * b, 1) * 4);
  if (inputs.every((t) => t.buffer.size <= limit) && outBytes.every((b) => b <= limit)) return null;
  const unsliceable = inputs.find((t) => t.buffer.size > limit && !(t.isContiguous && (t.offset * bytesPerElement(t.dtype)) % 4 === 0));
  if (unsliceable) throw bindingLimitError(kernel, 'input', unsliceable.buffer, limit, 'it is strided or an f16 view starting mid-word, so it cannot be split by images');
  const perImage = Math.max(
    ...inputs.map((t) => copyBytes(t.size / t.shape[0], bytesPerElement(t.dtype))),
    ...outputs.map((s, i) => outBytes[i] / s[0]),
  );
  const images = Math.floor(limit / perImage);
  if (images < 1) {
    const big = inputs.find((t) => t.buffer.size > limit);
    const why = `one image takes ${perImage} bytes, more than one binding`;
    if (big) throw bindingLimitError(kernel, 'input', big.buffer, limit, why);
    throw new DeviceLimitError(`kernel ${kernel}: output of ${outBytes.find((b) => b > limit)} bytes is past this adapter's maxStorageBufferBindingSize (${limit} bytes) and ${why}`, 'maxStorageBufferBindingSize', limit, Math.max(...outBytes));
  }
  return images;
}

/** A new contiguous tensor holding images [start, start + count) of the contiguous tensor `t` (a buffer copy). */
export function copyImages(t: Tensor, start: number, count: number): Tensor {
  const perImage = t.size / t.shape[0];
  const bpe = bytesPerElement(t.dtype);
  const piece = Tensor.empty([count, ...t.shape.slice(1)], t.dtype, 'image chunk');
  runtime().copy(t.buffer, (t.offset + start * perImage) * bpe, piece.buffer, 0, copyBytes(count * perImage, bpe));
  return piece;
}

/** Copies the contiguous images of `chunk` into images [start, ...) of the contiguous tensor `dst` (a new output, so the word rounding is harmless). */
export function writeImages(dst: Tensor, start: number, chunk: Tensor): void {
  const perImage = dst.size / dst.shape[0];
  const bpe = bytesPerElement(dst.dtype);
  runtime().copy(chunk.buffer, chunk.offset * bpe, dst.buffer, (dst.offset + start * perImage) * bpe, copyBytes(chunk.size, bpe));
}

/**
 * Runs `run(chunks, count)` over chunks of `images` images (`perChunk` from `imagesPerChunk`),
 * with `chunks` the slices of `batched` copied into temporaries (disposed after `run`).
 */
export function forEachImageChunk(images: number, perChunk: number, batched: readonly Tensor[], run: (chunks: Tensor[], start: number, count: number) => void): void {
  for (let start = 0; start < images; start += perChunk) {
    const count = Math.min(perChunk, images - start);
    const chunks = batched.map((t) => copyImages(t, start, count));
    run(chunks, start, count);
    for (const t of chunks) t.dispose();
  }
}
