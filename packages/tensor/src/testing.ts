/**
 * Test helpers shared by the packages' tests: seeded host data, comparison against float64
 * references with stated tolerances, and a central finite-difference gradient check.
 * Import from '@fusion/tensor/testing'.
 */
import { Tensor } from './tensor.js';
import { tensor } from './ops/creation.js';
import { tidy } from './scope.js';
import { noGrad } from './autograd/graph.js';
import { backward } from './autograd/backward.js';
import { fmt, numel, type Shape } from './shape.js';
import { runtime } from './gpu/runtime.js';
import type { Constants, KernelSpec } from '@fusion/kernels';

/** Deterministic host PRNG (mulberry32) for test data. */
export function hostRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi) from a seeded host PRNG. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = hostRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/**
 * Throws unless |actual - expected| <= atol + rtol * |expected| everywhere; the message names the
 * worst element. Returns the largest relative error (against max(|expected|, atol)).
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}, what = 'values'): number {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  let maxRel = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    const bound = atol + rtol * Math.abs(e);
    if (!(err <= bound) && !(Number.isNaN(a) && Number.isNaN(e)) && !(a === e)) {
      const excess = Number.isNaN(err) ? Infinity : err / bound;
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = i;
      }
    }
    if (Number.isFinite(err)) maxRel = Math.max(maxRel, err / Math.max(Math.abs(e), atol));
  }
  if (worst >= 0) {
    throw new Error(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
  return maxRel;
}

export interface GradcheckOptions extends Tolerance {
  /** Finite-difference step (default 1e-2; f32 rounding favours a large step for smooth functions). */
  eps?: number;
  /** Elements checked per input (a seeded random subset when the input is larger). */
  samples?: number;
  seed?: number;
}

/**
 * Central finite-difference check of the gradients of `f` at host inputs. The scalar checked is
 * L = sum(f(x) * R) for a fixed random R (so every output element matters); the analytic
 * gradient comes from backward() with grad R, the numeric one from f64 sums of f32 outputs.
 * Default tolerances: rtol 1e-2, atol 1e-3 (f32 forward passes, step 1e-2).
 */
export async function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: { data: Float32Array; shape: Shape }[],
  options: GradcheckOptions = {},
): Promise<void> {
  const eps = options.eps ?? 1e-2;
  const samples = options.samples ?? 24;
  const rng = hostRng(options.seed ?? 7);
  const tol = { rtol: options.rtol ?? 1e-2, atol: options.atol ?? 1e-3 };
  for (const inp of inputs) {
    if (inp.data.length !== numel(inp.shape)) throw new Error(`gradcheck: data of ${inp.data.length} for shape ${fmt(inp.shape)}`);
  }
  const leaves = inputs.map((inp) => {
    const t = tensor(inp.data, inp.shape);
    t.requiresGrad = true;
    return t;
  });
  try {
    const out = f(...leaves);
    const weights = randomArray(out.size, 1234, -1, 1);
    const R = tensor(weights, out.shape);
    backward(out, { grad: R });
    out.dispose();
    R.dispose();
    const scalarAt = async (xs: Float32Array[]): Promise<number> => {
      const y = noGrad(() => tidy(() => f(...xs.map((d, k) => tensor(d, inputs[k].shape)))));
      const values = await y.toArray();
      y.dispose();
      let s = 0;
      for (let i = 0; i < values.length; i++) s += values[i] * weights[i];
      return s;
    };
    for (let k = 0; k < inputs.length; k++) {
      const leaf = leaves[k];
      if (!leaf.grad) throw new Error(`gradcheck: input ${k} ${fmt(inputs[k].shape)} received no gradient`);
      const analytic = await leaf.grad.toArray();
      const n = inputs[k].data.length;
      const picks = n <= samples ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: samples }, () => Math.floor(rng() * n));
      const numeric: number[] = [];
      const got: number[] = [];
      for (const j of picks) {
        const xs = inputs.map((inp) => inp.data.slice());
        xs[k][j] = inputs[k].data[j] + eps;
        const plus = await scalarAt(xs);
        xs[k][j] = inputs[k].data[j] - eps;
        const minus = await scalarAt(xs);
        numeric.push((plus - minus) / (2 * eps));
        got.push(analytic[j]);
      }
      assertClose(got, numeric, tol, `gradient of input ${k} ${fmt(inputs[k].shape)} at [${picks.join(', ')}]`);
    }
  } finally {
    for (const t of leaves) t.dispose();
  }
}
/**
 * Runs `fn` and returns the per-call constants of every kernel run it records from a shader file
 * (`shader`, e.g. 'gemm_blocked'): which specialisation an op chose. The runtime's `run` is
 * wrapped for the duration of `fn` only.
 */
export function runConstants(shader: string, fn: () => void): Constants[] {
  const rt = runtime();
  const seen: Constants[] = [];
  const run = rt.run;
  rt.run = (spec: KernelSpec, variant: string, call: Parameters<typeof run>[2]): void => {
    if (spec.shader === shader) seen.push(call.constants ?? {});
    run.call(rt, spec, variant, call);
  };
  try {
    fn();
  } finally {
    rt.run = run;
  }
  return seen;
}

export { assertWithinF16Bound, type F16Error } from './f16-tolerance.js';
export { fuzzReader, type FuzzCase, type FuzzEdit, type FuzzOptions, type FuzzReport } from './fuzz.js';
