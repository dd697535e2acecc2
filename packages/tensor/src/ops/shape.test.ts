import { beforeAll, describe, expect, it } from 'vitest';
import { init, tensor, reshape, permute, transpose, expand, slice, concat, squeeze, unsqueeze, flatten, contiguous, mul, Tensor } from '../index.js';
import { gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

const range = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

describe('views and copies', () => {
  it('permute, transpose and slice read the right elements', async () => {
    const x = tensor(range(24), [2, 3, 4]);
    const p = permute(x, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    const expected: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(i * 12 + j * 4 + k);
    expect(Array.from(await p.toArray())).toEqual(expected);
    const s = slice(x, 2, 1, 4, 2);
    expect(s.shape).toEqual([2, 3, 2]);
    expect(Array.from(await s.toArray())).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23]);
    const neg = slice(x, -1, -2);
    expect(Array.from(await neg.toArray())).toEqual([2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23]);
    const t = transpose(x, 0, 2);
    expect(t.shape).toEqual([4, 3, 2]);
    expect((await t.toArray())[1]).toBe(12);
    for (const v of [x, p, s, neg, t]) v.dispose();
  });

  it('reshape is a view when contiguous and a copy otherwise', async () => {
    const x = tensor(range(12), [3, 4]);
    const r = reshape(x, [2, -1]);
    expect(r.shape).toEqual([2, 6]);
    expect(r.buffer).toBe(x.buffer);
    const t = transpose(x);
    const rt = reshape(t, [12]);
    expect(rt.buffer).not.toBe(x.buffer);
    expect(Array.from(await rt.toArray())).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(() => reshape(x, [5, -1])).toThrow(/cannot reshape \[3, 4\]/);
    for (const v of [x, r, t, rt]) v.dispose();
  });

  it('reshapes strided views without copying when the layout allows (PyTorch view rule)', async () => {
    const x = tensor(range(2 * 3 * 4), [2, 3, 4]);
    // A slice along a middle dim: squeezing or splitting its contiguous last dim stays a view.
    const s = slice(x, 1, 1, 2); // [2, 1, 4], strides [12, 4, 1]
    const sq = reshape(s, [2, 4]);
    expect(sq.buffer).toBe(x.buffer);
    expect(sq.strides).toEqual([12, 1]);
    expect(Array.from(await sq.toArray())).toEqual([4, 5, 6, 7, 16, 17, 18, 19]);
    const split = reshape(s, [2, 2, 2]);
    expect(split.buffer).toBe(x.buffer);
    expect(Array.from(await split.toArray())).toEqual([4, 5, 6, 7, 16, 17, 18, 19]);
    // Merging dims that are not contiguous with each other needs a copy, with the right values.
    const t = permute(x, [0, 2, 1]); // [2, 4, 3]
    const merged = reshape(t, [2, 12]);
    expect(merged.buffer).not.toBe(x.buffer);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) expected.push(i * 12 + j * 4 + k);
    expect(Array.from(await merged.toArray())).toEqual(expected);
    // Splitting the batch dim of the permuted view is still a view.
    const batchSplit = reshape(t, [1, 2, 4, 3]);
    expect(batchSplit.buffer).toBe(x.buffer);
    expect(Array.from(await batchSplit.toArray())).toEqual(expected);
    for (const v of [x, s, sq, split, t, merged, batchSplit]) v.dispose();
  });

  it('expand broadcasts without copying; concat joins along any axis', async () => {
    const x = tensor([1, 2, 3], [3, 1]);
    const e = expand(x, [2, 3, 4]);
    expect(e.strides).toEqual([0, 1, 0]);
    expect(Array.from(await e.toArray()).slice(0, 8)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(expand(x, [3, 2]).shape).toEqual([3, 2]);
    expect(() => expand(x, [4, 2])).toThrow(/cannot expand \[3, 1\] to \[4, 2\]/);
    const a = tensor(range(6), [2, 3]);
    const b = tensor([10, 11, 12, 13], [2, 2]);
    const c1 = concat([a, b], 1);
    expect(Array.from(await c1.toArray())).toEqual([0, 1, 2, 10, 11, 3, 4, 5, 12, 13]);
    const c0 = concat([a, transpose(tensor(range(6), [3, 2]))], 0);
    expect(Array.from(await c0.toArray())).toEqual([0, 1, 2, 3, 4, 5, 0, 2, 4, 1, 3, 5]);
    expect(() => concat([a, b], 0)).toThrow(/differ outside axis 0/);
    for (const v of [x, e, a, b, c1, c0]) v.dispose();
  });

  it('squeeze, unsqueeze, flatten and contiguous', async () => {
    const x = tensor(range(6), [1, 2, 1, 3]);
    expect(squeeze(x).shape).toEqual([2, 3]);
    expect(squeeze(x, 2).shape).toEqual([1, 2, 3]);
    expect(() => squeeze(x, 1)).toThrow(/is not 1/);
    expect(unsqueeze(x, -1).shape).toEqual([1, 2, 1, 3, 1]);
    expect(flatten(x, 1).shape).toEqual([1, 6]);
    const t = transpose(reshape(x, [2, 3]));
    const c = contiguous(t);
    expect(c.isContiguous).toBe(true);
    expect(Array.from(await c.toArray())).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe('gradients of shape ops', () => {
  it('reshape, permute, expand, slice, concat', async () => {
    await gradcheck((x) => mul(reshape(x, [6, 2]), 1), [{ data: randomArray(12, 1), shape: [3, 4] }]);
    await gradcheck((x) => permute(x, [2, 0, 1]), [{ data: randomArray(24, 2), shape: [2, 3, 4] }]);
    await gradcheck((x) => expand(x, [2, 3, 4]), [{ data: randomArray(3, 3), shape: [3, 1] }]);
    await gradcheck((x) => slice(x, 1, 1, 5, 2), [{ data: randomArray(18, 4), shape: [3, 6] }]);
    await gradcheck((a: Tensor, b: Tensor) => concat([a, b, a], 1), [{ data: randomArray(6, 5), shape: [2, 3] }, { data: randomArray(4, 6), shape: [2, 2] }]);
  });
});
