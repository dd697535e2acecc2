/**
 * Elementwise work on tensors larger than one storage binding (the adapter's
 * `maxStorageBufferBindingSize`, 128 MiB on lavapipe): kernels bind whole buffers, so such a
 * tensor cannot be handed to a kernel at once. When the output and every operand are contiguous
 * ranges of the same length (or single elements broadcast over it) and the kernel does not depend
 * on the element's index (every elementwise kernel except arange), the work is cut into chunks
 * that fit one binding: each chunk's operands are copied into temporaries (buffer copies have no
 * binding limit), the kernel runs on them, and the result is copied into the output's range. The cost
 * is one extra copy of each operand and of the output, on a path only oversized tensors take.
 * Other elementwise calls (broadcast, strided, arange) and every other kernel family (GEMM and
 * convolutions, reductions, softmax, norms, pooling, attention) bind whole buffers and stop with
 * the binding check's DeviceLimitError (gpu/limits.ts) instead.
 */
import type { KernelSpec } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { bindingLimit, bindingLimitError } from '../gpu/limits.js';
import { bytesPerElement } from '../dtype.js';

/** Kernels whose result depends on the element's index, so a chunk cannot run as a smaller call. */
const INDEX_DEPENDENT = new Set(['arange', 'arange_i32']);

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
    const why = splittable ? 'its result depends on the index' : 'an operand or the output is broadcast or strided';
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
      rt.copy(t.buffer, (t.offset + start) * bpe, piece.buffer, 0, count * bpe);
      copies.push(piece);
      return piece;
    });
    const result = Tensor.empty([count], out.dtype, 'split output');
    run(pieces, result, count);
    const bpe = bytesPerElement(out.dtype);
    rt.copy(result.buffer, 0, out.buffer, (out.offset + start) * bpe, count * bpe);
    for (const t of [...copies, result]) t.dispose();
  }
}
