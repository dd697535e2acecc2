/**
 * Inputs of the benchmarks: seeded host data uploaded to Fusion and to the peer, so both sides
 * compute on the same values (the peer's NHWC copies are transposed in setup, outside timing).
 */
import { tensor, type Tensor } from '@fusion/tensor';
import { randomArray } from '@fusion/tensor/testing';
import type { Tf } from './peer.js';
import { prod } from './declare.js';

type TfTensor = ReturnType<Tf['tensor']>;

/** Seeded values in [lo, hi) for a shape. */
export function hostData(shape: readonly number[], seed: number, lo = -1, hi = 1): Float32Array {
  return randomArray(prod(shape), seed, lo, hi);
}

/** A Fusion tensor of seeded values. */
export function oursRandom(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  return tensor(hostData(shape, seed, lo, hi), shape);
}

/** A Fusion leaf that requires grad, of seeded values. */
export function oursParam(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  const t = oursRandom(shape, seed, lo, hi);
  t.requiresGrad = true;
  return t;
}

/** A peer tensor of the same seeded values (same layout as Fusion's). */
export function peerRandom(tf: Tf, shape: readonly number[], seed: number, lo = -1, hi = 1): TfTensor {
  return tf.tensor(hostData(shape, seed, lo, hi), [...shape]);
}

/** A peer tensor of the same seeded values, permuted (e.g. NCHW -> NHWC: [0, 2, 3, 1]). */
export function peerRandomPermuted(tf: Tf, shape: readonly number[], seed: number, perm: number[], lo = -1, hi = 1): TfTensor {
  const t = peerRandom(tf, shape, seed, lo, hi);
  const p = tf.transpose(t, perm);
  t.dispose();
  return p;
}

/** NCHW -> NHWC. */
export const NHWC = [0, 2, 3, 1];
/** Conv weight (C_out, C_in, KH, KW) -> TF.js filter (KH, KW, C_in, C_out). */
export const HWIO = [2, 3, 1, 0];
