import { beforeAll, describe, expect, it } from 'vitest';
import { init, Linear, Module, tensor, manualSeed, Tensor, Dropout } from '../index.js';
import { assertClose, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

class Mlp extends Module {
  fc1 = this.module('fc1', new Linear(3, 5));
  drop = this.module('drop', new Dropout(0.5));
  fc2 = this.module('fc2', new Linear(5, 2, { bias: false }));
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.drop.forward(this.fc1.forward(x).relu()));
  }
}

describe('Module', () => {
  it('names parameters as PyTorch and counts them', () => {
    const m = new Mlp();
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['fc1.weight', [5, 3]], ['fc1.bias', [5]], ['fc2.weight', [2, 5]],
    ]);
    expect(m.parameterCount()).toBe(15 + 5 + 10);
    m.dispose();
  });

  it('is deterministic for a seed and initialises as PyTorch (U(+-1/sqrt(fan_in)))', async () => {
    manualSeed(42);
    const a = new Linear(400, 300);
    manualSeed(42);
    const b = new Linear(400, 300);
    const wa = await a.weight.toArray();
    expect(Array.from(wa)).toEqual(Array.from(await b.weight.toArray()));
    const bound = 1 / Math.sqrt(400);
    expect(Math.max(...wa)).toBeLessThanOrEqual(bound);
    expect(Math.min(...wa)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...wa)).toBeGreaterThan(0.95 * bound);
    a.dispose();
    b.dispose();
  });

  it('loads a state dict, strict errors list every problem before writing', async () => {
    const m = new Mlp();
    const before = await m.fc1.bias!.toArray();
    expect(() =>
      m.loadStateDict({
        'fc1.weight': { shape: [5, 3], data: new Float32Array(15) },
        'fc1.bias': { shape: [4], data: new Float32Array(4) },
        'fc3.weight': { shape: [1], data: new Float32Array(1) },
      }),
    ).toThrow(/missing keys: fc2\.weight; unexpected keys: fc3\.weight; shape mismatches: fc1\.bias expected \[5\] got \[4\]/);
    expect(Array.from(await m.fc1.bias!.toArray())).toEqual(Array.from(before));
    const report = m.loadStateDict({ 'fc1.weight': { shape: [5, 3], data: Float32Array.from({ length: 15 }, (_, i) => i) } }, { strict: false });
    expect(report.loaded).toEqual(['fc1.weight']);
    expect(report.missing).toEqual(['fc1.bias', 'fc2.weight']);
    expect(Array.from(await m.fc1.weight.toArray())).toEqual(Array.from({ length: 15 }, (_, i) => i));
    m.dispose();
  });

  it('Linear computes x W^T + b and checks its input', async () => {
    const l = new Linear(3, 2);
    const x = tensor(randomArray(12, 1), [2, 2, 3]);
    const y = l.forward(x);
    const w = await l.weight.toArray();
    const b = await l.bias!.toArray();
    const xv = await x.toArray();
    const expected: number[] = [];
    for (let r = 0; r < 4; r++) for (let o = 0; o < 2; o++) expected.push(b[o] + [0, 1, 2].reduce((s, k) => s + xv[r * 3 + k] * w[o * 3 + k], 0));
    assertClose(await y.toArray(), expected, { rtol: 1e-5, atol: 1e-6 }, 'linear');
    const bad = tensor(new Float32Array(4), [2, 2]);
    expect(() => l.forward(bad)).toThrow(/Linear\(3 -> 2\): input \[2, 2\] has last dim 2/);
    for (const t of [x, y, bad]) t.dispose();
    l.dispose();
  });

  it('train/eval switches dropout', async () => {
    const m = new Mlp().eval();
    const x = tensor(randomArray(30, 2), [10, 3]);
    const y1 = m.forward(x);
    const y2 = m.forward(x);
    expect(Array.from(await y1.toArray())).toEqual(Array.from(await y2.toArray()));
    expect(m.drop.training).toBe(false);
    m.train();
    expect(m.drop.training).toBe(true);
    for (const t of [x, y1, y2]) t.dispose();
    m.dispose();
  });
});
