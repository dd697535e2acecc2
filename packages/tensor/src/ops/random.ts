/**
 * Seeded random tensors (uniform, normal, bernoulli) and dropout, from the counter-based Philox
 * generator of shaders/random.wgsl. A Generator is (seed, offset): each call consumes `numel`
 * counters, so the same seed and the same sequence of calls give the same numbers on any run,
 * and the state saved in a checkpoint resumes the stream exactly.
 * Dropout's gradient recomputes the mask from the (seed, offset) of its forward pass:
 *   d dropout(x) = mask / (1 - p) * dx
 */
import { uniformKernel, normalKernel, bernoulliKernel, dropoutKernel, type KernelSpec } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { checkDType } from '../dtype.js';
import { checkShape, type Shape } from '../shape.js';
import { needsGrad, record } from '../autograd/graph.js';
import { contiguous, contiguousCopy } from './copy.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    dropout: { p: number; seed: number; offset: number };
  }
}

const TWO32 = 2 ** 32;

export interface GeneratorState {
  seed: number;
  offset: number;
}

/** A stream of random numbers: a 53-bit seed and a counter offset. */
export class Generator {
  offset = 0;
  constructor(public seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Generator: seed must be a non-negative safe integer, got ${seed}`);
  }

  /** Reserves `n` counters; returns the offset of the first. */
  take(n: number): number {
    const at = this.offset;
    this.offset += n;
    return at;
  }

  state(): GeneratorState {
    return { seed: this.seed, offset: this.offset };
  }

  setState(s: GeneratorState): void {
    this.seed = s.seed;
    this.offset = s.offset;
  }
}

let defaultGenerator = new Generator(0);

/** Reseeds the default generator (used when no generator is passed). */
export function manualSeed(seed: number): Generator {
  defaultGenerator = new Generator(seed);
  return defaultGenerator;
}

export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}

function counterUniforms(seed: number, offset: number): Record<string, number> {
  return {
    seed_lo: seed % TWO32, seed_hi: Math.floor(seed / TWO32),
    offset_lo: offset % TWO32, offset_hi: Math.floor(offset / TWO32),
  };
}

function draw(spec: KernelSpec, shape: Shape, alpha: number, beta: number, generator: Generator): Tensor {
  checkShape(shape, spec.name);
  const out = Tensor.empty(shape, 'f32', spec.name);
  const n = out.size;
  const offset = generator.take(n);
  if (n > 0) {
    runtime().run(spec, 'default', { buffers: { out: out.buffer }, uniforms: { numel: n, alpha, beta, ...counterUniforms(generator.seed, offset) } });
  }
  return out;
}

/** Uniform samples in [lo, hi). */
export function rand(shape: Shape, lo = 0, hi = 1, generator = defaultGenerator): Tensor {
  return draw(uniformKernel, shape, lo, hi, generator);
}

/** Normal samples with the given mean and standard deviation. */
export function randn(shape: Shape, mean = 0, std = 1, generator = defaultGenerator): Tensor {
  return draw(normalKernel, shape, mean, std, generator);
}

/** 1 with probability p, else 0. */
export function bernoulli(shape: Shape, p: number, generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`bernoulli: p must be in [0, 1], got ${p}`);
  return draw(bernoulliKernel, shape, p, 0, generator);
}

function dropoutRaw(x: Tensor, p: number, seed: number, offset: number): Tensor {
  const src = x.isContiguous ? x : contiguousCopy(x);
  const out = Tensor.empty(x.shape, 'f32', 'dropout');
  if (x.size > 0) {
    runtime().run(dropoutKernel, 'default', {
      buffers: { x: src.buffer, out: out.buffer },
      uniforms: { numel: x.size, alpha: p, beta: 0, ...counterUniforms(seed, offset), x_offset: src.offset },
    });
  }
  if (src !== x) src.dispose();
  return out;
}

/**
 * Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).
 * Identity (a new handle, or a contiguous copy of a strided view; gradients pass through) when
 * not training or p == 0.
 */
export function dropout(x: Tensor, p: number, training = true, generator = defaultGenerator): Tensor {
  checkDType(x.dtype, 'f32', 'dropout');
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return contiguous(x); // identity that keeps the autograd graph
  const offset = generator.take(x.size);
  const out = dropoutRaw(x, p, generator.seed, offset);
  if (needsGrad(x)) record('dropout', [x], { p, seed: generator.seed, offset }, out);
  return out;
}

export function dropoutGrad(g: Tensor, c: { p: number; seed: number; offset: number }): Tensor[] {
  return [dropoutRaw(g, c.p, c.seed, c.offset)];
}
