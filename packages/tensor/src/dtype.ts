/** Element types. f16 is reserved for the mixed-precision path; every dtype here is 4 bytes wide. */
export type DType = 'f32' | 'i32';

export type TypedArrayFor<D extends DType> = D extends 'i32' ? Int32Array : Float32Array;

export function bytesPerElement(_dtype: DType): number {
  return 4;
}

export function checkDType(actual: DType, expected: DType, context: string): void {
  if (actual !== expected) throw new Error(`${context}: expected a ${expected} tensor, got ${actual}`);
}
