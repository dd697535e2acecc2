import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddingReference, embeddingBackwardReference } from '@fusion/kernels';
import { init, tensor, embedding, backward, transpose, tidy, Tensor, forceVariant } from '../index.js';
import { assertClose, gradcheck, hostRng, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});
afterAll(() => forceVariant('embedding', null));

function randomIds(n: number, vocab: number, seed: number): Int32Array {
  const r = hostRng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * vocab));
}

describe.each(['lines', 'workgroup'] as const)('embedding (%s backward kernels)', (strategy) => {
  beforeAll(() => forceVariant('embedding', strategy));

  it.each([
    // [ids shape, vocab, dim]
    [[3, 7], 11, 5],
    [[1], 1, 1],
    [[700], 13, 3],
    [[2, 300], 1000, 7],
    [[5, 1, 3], 600, 1],
    [[0, 4], 9, 6],
  ] as [number[], number, number][])('ids %j, vocab %i, dim %i: lookup and dense gradient against float64', async (idsShape, vocab, dim) => {
    const n = idsShape.reduce((a, b) => a * b, 1);
    const ids = randomIds(n, vocab, n + vocab);
    const ws = randomArray(vocab * dim, vocab + dim);
    const idsT = tensor(ids, idsShape);
    const w = tensor(ws, [vocab, dim]);
    w.requiresGrad = true;
    const y = embedding(idsT, w);
    expect(y.shape).toEqual([...idsShape, dim]);
    assertClose(await y.toArray(), embeddingReference(ids, ws, vocab, dim), { rtol: 0, atol: 0 }, 'lookup');
    const gs = randomArray(n * dim, 77);
    const g = tensor(gs, [...idsShape, dim]);
    backward(y, { grad: g });
    assertClose(await w.grad!.toArray(), embeddingBackwardReference(ids, gs, vocab, dim), { rtol: 1e-5, atol: 1e-5 }, 'dweight');
    for (const t of [idsT, w, y, g]) t.dispose();
  });

  it('the gradient is deterministic: repeated runs agree bit for bit', async () => {
    const ids = randomIds(2000, 7, 3);
    const gs = randomArray(2000 * 33, 4, -1e3, 1e3);
    const runOnce = async () => {
      const idsT = tensor(ids, [2000]);
      const w = tensor(new Float32Array(7 * 33), [7, 33]);
      w.requiresGrad = true;
      const y = embedding(idsT, w);
      const g = tensor(gs, [2000, 33]);
      backward(y, { grad: g });
      const out = await w.grad!.toArray();
      for (const t of [idsT, w, y, g]) t.dispose();
      return out;
    };
    const first = await runOnce();
    for (let k = 0; k < 3; k++) expect(await runOnce()).toEqual(first);
  });

  it('finite differences with repeated ids', async () => {
    const ids = tensor(new Int32Array([2, 0, 2, 2, 4, 0]), [2, 3]);
    await gradcheck((w: Tensor) => embedding(ids, w), [{ data: randomArray(5 * 3, 8), shape: [5, 3] }]);
    ids.dispose();
  });

  it('paddingIdx: that row receives no gradient', async () => {
    const ids = new Int32Array([1, 3, 1, 0, 3, 3]);
    const gs = randomArray(6 * 2, 9);
    const idsT = tensor(ids, [6]);
    const w = tensor(randomArray(8, 10), [4, 2]);
    w.requiresGrad = true;
    const y = embedding(idsT, w, { paddingIdx: -1 });
    const g = tensor(gs, [6, 2]);
    backward(y, { grad: g });
    const grad = await w.grad!.toArray();
    assertClose(grad, embeddingBackwardReference(ids, gs, 4, 2, 3), { rtol: 1e-6, atol: 1e-6 }, 'dweight');
    expect(Array.from(grad.slice(6, 8))).toEqual([0, 0]);
    for (const t of [idsT, w, y, g]) t.dispose();
  });
});

describe('embedding: clamping, layouts and errors', () => {
  it('both strategies give the same (stable, position-ordered) sums, bit for bit', async () => {
    const ids = randomIds(1500, 5, 21);
    const gs = randomArray(1500 * 9, 22, -1e3, 1e3);
    const gradWith = async (strategy: 'lines' | 'workgroup') => {
      forceVariant('embedding', strategy);
      const idsT = tensor(ids, [1500]);
      const w = tensor(new Float32Array(5 * 9), [5, 9]);
      w.requiresGrad = true;
      const y = embedding(idsT, w);
      const g = tensor(gs, [1500, 9]);
      backward(y, { grad: g });
      const out = await w.grad!.toArray();
      for (const t of [idsT, w, y, g]) t.dispose();
      return out;
    };
    const lines = await gradWith('lines');
    const workgroup = await gradWith('workgroup');
    forceVariant('embedding', null);
    expect(workgroup).toEqual(lines);
    // and the sums are in position order: a float64 sum rounded once would differ in places
    const ordered = new Float32Array(45);
    for (let p = 0; p < 1500; p++) for (let d = 0; d < 9; d++) ordered[ids[p] * 9 + d] = Math.fround(ordered[ids[p] * 9 + d] + gs[p * 9 + d]);
    expect(lines).toEqual(ordered);
  });

  it('clamps out-of-range ids on the device, forward and backward alike (documented)', async () => {
    const ids = new Int32Array([-3, 0, 99, 2]);
    const ws = randomArray(3 * 2, 11);
    const idsT = tensor(ids, [4]);
    const w = tensor(ws, [3, 2]);
    w.requiresGrad = true;
    const y = embedding(idsT, w);
    const y0 = await y.toArray();
    assertClose(y0, embeddingReference([0, 0, 2, 2], ws, 3, 2), { rtol: 0, atol: 0 }, 'clamped lookup');
    const g = tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), [4, 2]);
    backward(y, { grad: g });
    expect(Array.from(await w.grad!.toArray())).toEqual([4, 6, 0, 0, 12, 14]);
    for (const t of [idsT, w, y, g]) t.dispose();
  });

  it('reads strided ids and a transposed weight', async () => {
    const ids = new Int32Array([0, 1, 2, 3, 2, 1]);
    const idsT = transpose(tensor(ids, [2, 3]));
    const ws = randomArray(4 * 5, 12);
    const wt = tensor(ws, [5, 4]);
    const y = embedding(idsT, transpose(wt));
    const wHost = new Float32Array(20);
    for (let v = 0; v < 4; v++) for (let d = 0; d < 5; d++) wHost[v * 5 + d] = ws[d * 4 + v];
    assertClose(await y.toArray(), embeddingReference([0, 3, 1, 2, 2, 1], wHost, 4, 5), { rtol: 0, atol: 0 }, 'strided operands');
    y.dispose();
    wt.dispose();
  });

  it('names the shapes and dtypes in its errors', () => tidy(() => {
    const w = Tensor.empty([10, 4]);
    expect(() => embedding(Tensor.empty([2, 3]), w)).toThrow(/ids must be an i32 tensor, got f32 ids \[2, 3\]/);
    expect(() => embedding(Tensor.empty([2, 3], 'i32'), Tensor.empty([10, 4, 1]))).toThrow(/weight must be \(vocab, dim\), got \[10, 4, 1\] \(ids \[2, 3\]\)/);
    expect(() => embedding(Tensor.empty([2], 'i32'), Tensor.empty([0, 4]))).toThrow(/weight \[0, 4\] has no rows to look up ids \[2\] in/);
    expect(() => embedding(Tensor.empty([2], 'i32'), w, { paddingIdx: 10 })).toThrow(/paddingIdx 10 is out of range for weight \[10, 4\]/);
  }));
});
