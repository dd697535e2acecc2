import { beforeAll, describe, expect, it } from 'vitest';
import { philoxDraw, unitFromBits } from '@fusion/kernels';
import { init, Generator, rand, randn, bernoulli, dropout, tensor, Tensor, mul } from '../index.js';
import { gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

describe('counter-based RNG', () => {
  it('uniform samples equal the CPU Philox4x32-10 bit for bit', async () => {
    const g = new Generator(2 ** 40 + 12345);
    g.offset = 2 ** 32 - 5; // crosses a 32-bit counter boundary
    const u = rand([1000], 0, 1, g);
    const got = await u.toArray();
    for (let i = 0; i < 1000; i++) {
      const bits = philoxDraw(i, [12345, 2 ** 8], [2 ** 32 - 5, 0])[0];
      expect(got[i]).toBe(Math.fround(unitFromBits(bits)));
    }
    expect(g.offset).toBe(2 ** 32 - 5 + 1000);
    u.dispose();
  });

  it('is reproducible from (seed, offset) and differs across seeds', async () => {
    const a = new Generator(7);
    const x1 = randn([64], 0, 1, a);
    const state = a.state();
    const x2 = randn([64], 0, 1, a);
    a.setState(state);
    const x3 = randn([64], 0, 1, a);
    expect(Array.from(await x2.toArray())).toEqual(Array.from(await x3.toArray()));
    expect(Array.from(await x1.toArray())).not.toEqual(Array.from(await x2.toArray()));
    const b = randn([64], 0, 1, new Generator(8));
    expect(Array.from(await b.toArray())).not.toEqual(Array.from(await x1.toArray()));
    for (const t of [x1, x2, x3, b]) t.dispose();
  });

  it('has the moments of its distribution', async () => {
    const n = 200_000;
    const g = new Generator(3);
    const stats = async (t: Tensor) => {
      const v = await t.toArray();
      let s = 0;
      let s2 = 0;
      for (const x of v) {
        s += x;
        s2 += x * x;
      }
      t.dispose();
      return { mean: s / n, var: s2 / n - (s / n) ** 2 };
    };
    const u = await stats(rand([n], -1, 3, g));
    expect(u.mean).toBeCloseTo(1, 1);
    expect(u.var).toBeCloseTo(16 / 12, 1);
    const z = await stats(randn([n], 2, 0.5, g));
    expect(z.mean).toBeCloseTo(2, 2);
    expect(z.var).toBeCloseTo(0.25, 2);
    const b = await stats(bernoulli([n], 0.3, g));
    expect(b.mean).toBeCloseTo(0.3, 2);
  });
});

describe('dropout', () => {
  it('zeroes about p of the elements, scales the rest, and is identity in eval', async () => {
    const x = tensor(randomArray(10000, 1, 1, 2), [100, 100]);
    const y = dropout(x, 0.25, true, new Generator(5));
    const xv = await x.toArray();
    const yv = await y.toArray();
    let zeros = 0;
    for (let i = 0; i < yv.length; i++) {
      if (yv[i] === 0) zeros++;
      else expect(yv[i]).toBeCloseTo(xv[i] / 0.75, 5);
    }
    expect(zeros / yv.length).toBeGreaterThan(0.23);
    expect(zeros / yv.length).toBeLessThan(0.27);
    const e = dropout(x, 0.25, false);
    expect(Array.from(await e.toArray())).toEqual(Array.from(xv));
    for (const t of [x, y, e]) t.dispose();
  });

  it('applies the forward mask to the gradient', async () => {
    const g = new Generator(11);
    await gradcheck((x: Tensor) => {
      g.setState({ seed: 11, offset: 0 });
      return mul(dropout(x, 0.5, true, g), 2);
    }, [{ data: randomArray(40, 2), shape: [4, 10] }]);
  });
});
