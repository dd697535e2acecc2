// The divergence guard against its float64 reference: NaN, ±Infinity, values past the bound and
// the bound itself, a guard that has already fired, and a value read at an offset into a view.
import { beforeAll, describe, expect, it } from 'vitest';
import { guardReference } from '@fusion/kernels';
import { init, tensor, guardFinite, guardState, readGuardState, memory } from '../index.js';

beforeAll(async () => {
  await init();
});

async function runGuard(values: number[], bound: number): Promise<number[]> {
  const state = guardState();
  const host = tensor(Float32Array.from(values), [values.length]);
  for (let i = 0; i < values.length; i++) {
    const v = host.slice(0, i, i + 1);
    guardFinite(v, state, bound);
    v.dispose();
  }
  const out = Array.from(await state.toArray());
  state.dispose();
  host.dispose();
  return out;
}

describe('guardFinite', () => {
  it.each([
    ['all finite and within the bound', [0.7, 0.5, -3, 99.5], 100],
    ['NaN at call 2', [0.7, 0.6, Number.NaN, 0.5], 100],
    ['+Infinity first', [Number.POSITIVE_INFINITY, 1, Number.NaN], 100],
    ['-Infinity after a finite run', [1, 2, 3, 4, 5, Number.NEGATIVE_INFINITY], 100],
    ['past the bound (and only the first is kept)', [1, 250, Number.NaN, 1e30], 100],
    ['exactly the bound is fine', [100, -100, 100.5], 100],
    ['the largest finite f32', [3.4028234663852886e38, -3.4028234663852886e38], 1e39],
  ])('%s', async (_, values, bound) => {
    const before = memory().liveTensors;
    const got = await runGuard(values as number[], bound as number);
    const ref = guardReference(Float32Array.from(values as number[]), bound as number);
    expect(got[0]).toBe(ref[0]);
    expect(got[2]).toBe(ref[2]);
    if (Number.isNaN(ref[1])) expect(got[1]).toBeNaN();
    else expect(got[1]).toBe(Math.fround(ref[1]));
    expect(memory().liveTensors).toBe(before);
  });

  it('reads as "nothing bad" on a fresh state and names the call when something was', async () => {
    expect(readGuardState(await runGuard([1, 2], 10))).toEqual({ firstBad: null, value: 0, calls: 2 });
    const r = readGuardState(await runGuard([1, 2, Number.NaN], 10));
    expect(r.firstBad).toBe(2);
    expect(r.value).toBeNaN();
  });

  it('rejects a value that is not one element, and a state that is not a guard state', () => {
    const s = guardState();
    const two = tensor([1, 2]);
    expect(() => guardFinite(two, s, 1)).toThrow(/value must be one f32 element, got \[2\]/);
    const one = tensor([1]);
    expect(() => guardFinite(one, two, 1)).toThrow(/state must be a contiguous f32 tensor of 3/);
    one.dispose();
    s.dispose();
    two.dispose();
  });
});
