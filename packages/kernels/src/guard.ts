/**
 * Spec of the divergence guard (shaders/guard.wgsl): one invocation per call watches a scalar and
 * records, in a 3-float state, the index of the first call whose value was not finite or past a
 * bound, that value, and the number of calls. The float64 reference replays a sequence of values.
 */
import { defineKernel } from './spec.js';

export const guardFiniteKernel = defineKernel({
  name: 'guard_finite', shader: 'guard', entryPoint: 'guard_finite', inputs: ['value'], outputs: ['state'],
  uniforms: ['value_offset', 'bound'], constants: {}, variants: { default: {} },
  dispatch: () => [1, 1, 1],
});

/** The guard's state before its first call: no bad value, no calls. */
export const GUARD_INITIAL_STATE: readonly number[] = [-1, 0, 0];

/**
 * Float64 reference: the state after one guard call per value, starting from `state`
 * ([first bad index or -1, its value, calls]).
 */
export function guardReference(values: ArrayLike<number>, bound: number, state: readonly number[] = GUARD_INITIAL_STATE): number[] {
  const out = [...state];
  for (let i = 0; i < values.length; i++) {
    const index = out[2];
    out[2] = index + 1;
    if (out[0] >= 0) continue;
    const v = values[i];
    if (!Number.isFinite(v) || Math.abs(v) > bound) {
      out[0] = index;
      out[1] = v;
    }
  }
  return out;
}
