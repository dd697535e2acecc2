/**
 * Element types. f32 and i32 are 4 bytes wide; f16 (IEEE binary16) is 2 bytes wide and stored
 * packed, two elements per 32-bit word (an odd-length f16 tensor's last word has a spare half).
 * f16 is a storage and GEMM-input type: views, contiguous(), cast(), matmul, linear and conv2d accept it
 * (the products accumulate and return in f32); every other op refuses it (`checkDType`).
 * The gradient of an f16 tensor is an f32 tensor: gradients are always summed in f32.
 */
export type DType = 'f32' | 'i32' | 'f16';

export type TypedArrayFor<D extends DType> = D extends 'i32' ? Int32Array : Float32Array;

/** Bytes per element of a dtype. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'f16' ? 2 : 4;
}

/** The ops that take f16 tensors, for error messages. */
export const F16_OPS = 'views (reshape, transpose, permute, slice, expand), contiguous(), cast(), matmul, linear and conv2d';

/** Throws unless `actual` is `expected`; the message names the op and, for f16, what accepts it. */
export function checkDType(actual: DType, expected: DType, context: string): void {
  if (actual === expected) return;
  const hint = actual === 'f16' ? ` (f16 tensors are accepted only by ${F16_OPS}; cast(x, 'f32') first)` : '';
  throw new Error(`${context}: expected a ${expected} tensor, got ${actual}${hint}`);
}
