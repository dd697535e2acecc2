/**
 * The divergence guard as an op: `guardFinite(value, state, bound)` records one call of the guard
 * kernel, which watches a scalar on the GPU (the training loss of a step) and keeps, in `state`,
 * the index of the first call whose value was not finite or past `bound`, that value, and the
 * number of calls. Nothing is read back: the caller reads `state` with the values it already
 * reads (the logged losses), so checking every step costs one tiny dispatch and no stall.
 * Not differentiable (a side effect on `state`).
 */
import { guardFiniteKernel, GUARD_INITIAL_STATE } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { fmt } from '../shape.js';
import { tensor } from './creation.js';

/** A fresh guard state: f32 [first bad call index (-1: none), its value, calls so far]. */
export function guardState(): Tensor {
  return tensor(Float32Array.from(GUARD_INITIAL_STATE), [GUARD_INITIAL_STATE.length]);
}

/** The host view of a guard state read back. */
export interface GuardReading {
  /** Index of the first bad call, or null when every value so far was finite and within the bound. */
  firstBad: number | null;
  /** That value (NaN, ±Infinity, or past the bound). */
  value: number;
  /** Calls recorded so far. */
  calls: number;
}

/** Decodes a guard state's three values. */
export function readGuardState(values: ArrayLike<number>): GuardReading {
  return { firstBad: values[0] >= 0 ? values[0] : null, value: values[1], calls: values[2] };
}

/**
 * Records one guard call: checks the one element of `value` (any shape of size 1, f32) against
 * `bound` (magnitude) and finiteness, updating `state` (from `guardState()`) in place.
 */
export function guardFinite(value: Tensor, state: Tensor, bound: number): void {
  if (value.size !== 1 || value.dtype !== 'f32') throw new Error(`guardFinite: value must be one f32 element, got ${fmt(value.shape)} ${value.dtype}`);
  if (state.size !== GUARD_INITIAL_STATE.length || state.dtype !== 'f32' || !state.isContiguous) {
    throw new Error(`guardFinite: state must be a contiguous f32 tensor of ${GUARD_INITIAL_STATE.length} (from guardState()), got ${fmt(state.shape)} ${state.dtype}`);
  }
  if (!(bound > 0)) throw new Error(`guardFinite: bound must be positive, got ${bound}`);
  if (state.offset !== 0) throw new Error('guardFinite: state must start at offset 0');
  runtime().run(guardFiniteKernel, 'default', {
    buffers: { value: value.buffer, state: state.buffer },
    uniforms: { value_offset: value.offset, bound: Math.min(bound, 3.4028234663852886e38) },
  });
  state.storage.version++;
}
