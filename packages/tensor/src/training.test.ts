import { beforeAll, describe, expect, it } from 'vitest';
import { init, Linear, Module, tensor, tidy, memory, manualSeed, Adam, Tensor, mean, sub, mul, runtime } from './index.js';
import { randomArray } from './testing.js';

beforeAll(async () => {
  await init();
});

class Mlp extends Module {
  fc1 = this.module('fc1', new Linear(2, 32));
  fc2 = this.module('fc2', new Linear(32, 1));
  forward(x: Tensor): Tensor {
    return tidy(() => this.fc2.forward(this.fc1.forward(x).tanh()));
  }
}

/** y = sin(2 x0) * cos(x1): a smooth toy regression. */
function toyData(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const x = randomArray(2 * n, seed, -1.5, 1.5);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.sin(2 * x[2 * i]) * Math.cos(x[2 * i + 1]);
  return { x, y };
}

describe('autograd basics', () => {
  it('accumulates gradients over backward calls, detaches, and refuses a freed graph', async () => {
    const x = tensor([1, 2, 3]);
    x.requiresGrad = true;
    const y1 = tidy(() => mul(x, x).sum());
    y1.backward();
    const y2 = tidy(() => mul(x, 3).sum());
    y2.backward();
    // d(x^2) + d(3x) = 2x + 3, summed into .grad
    expect(Array.from(await x.grad!.toArray())).toEqual([5, 7, 9]);
    expect(() => y1.backward()).toThrow(/already freed/);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.buffer).toBe(x.buffer);
    const z = tidy(() => mul(d, x).sum());
    x.grad!.dispose();
    x.grad = null;
    z.backward();
    // only the x factor carries a gradient: d(d * x) / dx = d
    expect(Array.from(await x.grad!.toArray())).toEqual([1, 2, 3]);
    for (const t of [x, y1, y2, d, z]) t.dispose();
  });
});

describe('end to end', () => {
  it('an MLP trained with Adam fits a toy regression', async () => {
    manualSeed(1);
    const model = new Mlp();
    const opt = new Adam(model.parameters(), { lr: 0.02 });
    const { x, y } = toyData(256, 5);
    const X = tensor(x, [256, 2]);
    const Y = tensor(y, [256, 1]);
    const lossAt = (m: Mlp) => tidy(() => mean(mul(sub(m.forward(X), Y), sub(m.forward(X), Y))));
    const first = lossAt(model);
    const initial = await first.item();
    first.dispose();
    for (let step = 0; step < 300; step++) {
      tidy(() => {
        const d = sub(model.forward(X), Y);
        const loss = mean(mul(d, d));
        loss.backward();
        opt.step();
        opt.zeroGrad();
      });
    }
    const last = lossAt(model);
    const final = await last.item();
    last.dispose();
    expect(initial).toBeGreaterThan(0.1);
    expect(final).toBeLessThan(0.01);
    opt.dispose();
    model.dispose();
    X.dispose();
    Y.dispose();
  });

  it('does not leak: live tensors and pooled bytes are flat over a training loop', async () => {
    manualSeed(2);
    const model = new Mlp();
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const X = tensor(randomArray(64, 1), [32, 2]);
    const Y = tensor(randomArray(32, 2), [32, 1]);
    const step = async () => {
      const loss = tidy(() => {
        const d = sub(model.forward(X), Y);
        const l = mean(mul(d, d));
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l;
      });
      await loss.item();
      loss.dispose();
    };
    for (let i = 0; i < 3; i++) await step();
    const before = memory();
    for (let i = 0; i < 25; i++) await step();
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.pooledBytes + after.liveBytes).toBe(before.pooledBytes + before.liveBytes);
    expect(runtime().caches.stats().pipelines).toBeGreaterThan(0);
    opt.dispose();
    model.dispose();
    X.dispose();
    Y.dispose();
  });
});
