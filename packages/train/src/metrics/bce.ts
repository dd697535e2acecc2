/**
 * Binary cross-entropy per pixel, in float64: from a logit (stable for any magnitude) and from a
 * probability (clamped away from 0 and 1, for baselines that predict a probability directly).
 * Math: bce(x, y) = max(x, 0) - x*y + log(1 + exp(-|x|)) = -(y log σ(x) + (1-y) log(1-σ(x))).
 */

/**
 * How far a probability is kept from 0 and 1 before its log is taken (Keras's epsilon), so a hard 0/1
 * prediction costs -log(1e-7) ≈ 16.1 nats per wrong pixel instead of infinity.
 */
export const PROBABILITY_EPSILON = 1e-7;

/** BCE of one pixel from its logit `x` and 0/1 target `y`; exact for any finite `x` (no overflow). */
export function bceFromLogit(x: number, y: number): number {
  return Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
}

/** BCE of one pixel from a probability `p` (clamped to [ε, 1-ε], ε = PROBABILITY_EPSILON) and 0/1 target `y`. */
export function bceFromProbability(p: number, y: number): number {
  const q = Math.min(Math.max(p, PROBABILITY_EPSILON), 1 - PROBABILITY_EPSILON);
  return -(y * Math.log(q) + (1 - y) * Math.log1p(-q));
}

/** σ(x) = 1 / (1 + exp(-x)), without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
