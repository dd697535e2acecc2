/**
 * Test support for f16 kernels: comparison of an f16 GEMM's output against its float64 reference
 * with the per-element bound of `f16GemmErrorBound` (@fusion/kernels), and the error it measured.
 * Import from '@fusion/tensor/testing'.
 */
import { f16GemmErrorBound } from '@fusion/kernels';

export interface F16Error {
  /** Largest |actual - expected|. */
  maxAbs: number;
  /** Largest |actual - expected| / |expected| over elements with |expected| >= 1e-3 * max |expected| (cancellation makes it large). */
  maxRel: number;
  /** Largest |actual - expected| / max |expected| (the error relative to the output's scale). */
  relToScale: number;
  /** Largest error as a fraction of its element's bound (<= 1 passes). */
  worstOfBound: number;
}

/**
 * Throws unless every |actual - expected| <= f16GemmErrorBound(K, absProduct) (absProduct: the
 * float64 product of |A| and |B|, per element); returns the errors measured.
 */
export function assertWithinF16Bound(
  actual: ArrayLike<number>, expected: ArrayLike<number>, absProduct: ArrayLike<number>, K: number, what: string,
): F16Error {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const err: F16Error = { maxAbs: 0, maxRel: 0, relToScale: 0, worstOfBound: 0 };
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const bound = f16GemmErrorBound(K, absProduct[i]);
    if (!(diff <= bound)) {
      throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (error ${diff.toExponential(3)} > f16 bound ${bound.toExponential(3)} for K ${K})`);
    }
    err.maxAbs = Math.max(err.maxAbs, diff);
    if (Math.abs(expected[i]) >= 1e-3 * scale) err.maxRel = Math.max(err.maxRel, diff / Math.abs(expected[i]));
    if (bound > 0) err.worstOfBound = Math.max(err.worstOfBound, diff / bound);
  }
  err.relToScale = scale > 0 ? err.maxAbs / scale : 0;
  return err;
}
