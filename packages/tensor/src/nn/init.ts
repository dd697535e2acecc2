/**
 * Parameter initialisers (PyTorch's defaults), drawn from a seeded Generator so a model built
 * with the same seed has the same weights on every run.
 */
import type { Tensor } from '../tensor.js';
import { rand, randn, getDefaultGenerator, type Generator } from '../ops/random.js';
import { zeros, ones } from '../ops/creation.js';
import type { Shape } from '../shape.js';

/** fan_in and fan_out of a weight of shape (out, in, ...kernel). */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[1] ?? 1) * receptive, fanOut: shape[0] * receptive };
}

/** U(-bound, bound). */
export function uniformInit(shape: Shape, bound: number, g: Generator = getDefaultGenerator()): Tensor {
  return rand(shape, -bound, bound, g);
}

/** PyTorch's default for Linear and Conv weights: kaiming_uniform(a = sqrt(5)) = U(+-1/sqrt(fan_in)). */
export function defaultWeightInit(shape: Shape, g: Generator = getDefaultGenerator()): Tensor {
  return uniformInit(shape, 1 / Math.sqrt(Math.max(1, fans(shape).fanIn)), g);
}

/** kaiming_normal(mode = 'fan_out', nonlinearity = 'relu'): N(0, sqrt(2 / fan_out)) (torchvision's conv init). */
export function kaimingNormalFanOut(shape: Shape, g: Generator = getDefaultGenerator()): Tensor {
  return randn(shape, 0, Math.sqrt(2 / fans(shape).fanOut), g);
}

/** N(0, std) (BERT's initializer_range is 0.02). */
export function normalInit(shape: Shape, std: number, g: Generator = getDefaultGenerator()): Tensor {
  return randn(shape, 0, std, g);
}

export { zeros as zerosInit, ones as onesInit };
