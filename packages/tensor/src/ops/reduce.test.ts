import { beforeAll, describe, expect, it } from 'vitest';
import { reduceReference } from '@fusion/kernels';
import { init, tensor, sum, mean, max, min, Tensor } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

/** Float64 reduction over arbitrary axes by brute force. */
function refReduce(op: 'sum' | 'max' | 'min' | 'mean', data: ArrayLike<number>, shape: number[], axes: number[]): Float64Array {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const n = kept.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n).fill(op === 'max' ? -Infinity : op === 'min' ? Infinity : 0);
  const total = shape.reduce((a, b) => a * b, 1);
  const count = axes.reduce((a, ax) => a * shape[ax], 1);
  for (let i = 0; i < total; i++) {
    let r = i;
    let o = 0;
    let mul = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const idx = r % shape[d];
      r = Math.floor(r / shape[d]);
      if (!axes.includes(d)) o += idx * mul;
      mul *= kept[d];
    }
    const v = data[i];
    out[o] = op === 'max' ? Math.max(out[o], v) : op === 'min' ? Math.min(out[o], v) : out[o] + v;
  }
  if (op === 'mean') for (let i = 0; i < n; i++) out[i] /= count;
  return out;
}

describe('reductions against float64 references', () => {
  const cases: [number[], number[] | undefined][] = [
    [[7, 13], [1]], [[7, 13], [0]], [[7, 13], undefined], [[3, 5, 11], [0, 2]], [[3, 5, 11], [1]], [[2, 3, 4, 5], [1, 2]],
    [[5000], [0]], [[3, 2100], [1]], [[1, 9, 1], [0, 2]], [[70001], [0]], [[2, 2047, 3], [1]], [[3, 4100, 2], [1]], [[6, 3], [1]],
  ];
  for (const op of ['sum', 'mean', 'max', 'min'] as const) {
    it.each(cases)(`${op} of %j over %j`, async (shape, axes) => {
      const data = randomArray(shape.reduce((a, b) => a * b, 1), 5, -2, 2);
      const x = tensor(data, shape);
      const f = { sum, mean, max, min }[op];
      const y = f(x, axes, true);
      const all = axes ?? shape.map((_, i) => i);
      expect(y.shape).toEqual(shape.map((d, i) => (all.includes(i) ? 1 : d)));
      assertClose(await y.toArray(), refReduce(op, data, shape, all), { rtol: 1e-5, atol: 1e-5 }, op);
      const z = f(x, axes);
      expect(z.shape).toEqual(shape.filter((_, i) => !all.includes(i)));
      for (const t of [x, y, z]) t.dispose();
    });
  }

  it('reduces strided views (transposed input)', async () => {
    const data = randomArray(6 * 9, 8);
    const x = tensor(data, [6, 9]);
    const xt = x.transpose();
    const y = sum(xt, 1);
    assertClose(await y.toArray(), reduceReference('sum', data, 1, 6, 9), { rtol: 1e-5, atol: 1e-6 }, 'sum of transpose');
    for (const t of [x, xt, y]) t.dispose();
  });

  it('sums over an empty dim to zeros, averages it to NaN and refuses max of an empty dim', async () => {
    const x = tensor(new Float32Array(0), [3, 0]);
    const s = sum(x, 1);
    expect(Array.from(await s.toArray())).toEqual([0, 0, 0]);
    expect(() => max(x, 1)).toThrow(/empty dimension/);
    const m = mean(x, 1);
    expect(Array.from(await m.toArray()).every(Number.isNaN)).toBe(true);
    x.dispose();
    s.dispose();
    m.dispose();
  });
});

describe('gradients of reductions', () => {
  it.each([[[1], false], [[0, 2], true], [undefined, false]] as [number[] | undefined, boolean][])('sum, mean over %j (keepdim %s)', async (axes, keepdim) => {
    await gradcheck((x) => sum(x, axes, keepdim), [{ data: randomArray(30, 3), shape: [2, 3, 5] }]);
    await gradcheck((x) => mean(x, axes, keepdim), [{ data: randomArray(30, 4), shape: [2, 3, 5] }]);
  });
  it('max and min route the gradient to the extreme (ties shared)', async () => {
    await gradcheck((x: Tensor) => max(x, 1), [{ data: randomArray(12, 6), shape: [3, 4] }]);
    await gradcheck((x: Tensor) => min(x, [0, 1]), [{ data: randomArray(12, 7), shape: [3, 4] }]);
    const x = tensor([1, 3, 3, 2], [4]);
    x.requiresGrad = true;
    const y = max(x);
    y.backward();
    expect(Array.from(await x.grad!.toArray())).toEqual([0, 0.5, 0.5, 0]);
    x.dispose();
    y.dispose();
  });
});
