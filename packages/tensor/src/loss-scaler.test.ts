import { describe, expect, it } from 'vitest';
import { unscaleCheckReference } from '@fusion/kernels';
import { init, tensor, LossScaler, memory } from './index.js';
import { randomArray } from './testing.js';

await init();

function leaf(data: Float32Array, shape: number[]) {
  const t = tensor(new Float32Array(data.length), shape);
  t.requiresGrad = true;
  t.grad = tensor(data, shape);
  return t;
}

describe('LossScaler', () => {
  it('unscales every gradient in place (one flat buffer) and finds no overflow in finite gradients', async () => {
    const scaler = new LossScaler({ initScale: 1024 });
    const g1 = randomArray(7, 1, -3000, 3000);
    const g2 = randomArray(12, 2, -1, 1);
    const p1 = leaf(g1, [7]);
    const p2 = leaf(g2, [3, 4]);
    const idle = tensor([1, 2], [2]);
    idle.requiresGrad = true; // no gradient: left alone
    const check = scaler.unscale([p1, idle, p2]);
    expect(await scaler.finite(check)).toBe(true);
    expect(Array.from(await p1.grad!.toArray())).toEqual(Array.from(unscaleCheckReference(g1, 1024).grads));
    expect(Array.from(await p2.grad!.toArray())).toEqual(Array.from(unscaleCheckReference(g2, 1024).grads));
    expect(p2.grad!.shape).toEqual([3, 4]);
    expect(idle.grad).toBeNull();
    for (const t of [p1, p2, idle]) t.dispose();
  });

  it.each([Infinity, -Infinity, NaN])('raises the flag for a %s gradient anywhere', async (bad) => {
    const scaler = new LossScaler();
    const g = randomArray(1001, 3);
    g[997] = bad;
    expect(unscaleCheckReference(g, scaler.scale).found).toBe(true);
    const p = leaf(randomArray(5, 4), [5]);
    const q = leaf(g, [1001]);
    expect(await scaler.finite(scaler.unscale([p, q]))).toBe(false);
    p.dispose();
    q.dispose();
  });

  it('halves the scale and counts the skip on overflow, grows it after growthInterval finite steps', () => {
    const scaler = new LossScaler({ initScale: 2 ** 10, growthInterval: 3 });
    scaler.update(false);
    expect(scaler.state()).toEqual({ scale: 2 ** 9, goodSteps: 0, skippedSteps: 1 });
    scaler.update(true);
    scaler.update(true);
    expect(scaler.scale).toBe(2 ** 9);
    scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 2 ** 10, goodSteps: 0, skippedSteps: 1 });
    scaler.update(true);
    scaler.update(false);
    expect(scaler.state()).toEqual({ scale: 2 ** 9, goodSteps: 0, skippedSteps: 2 });
    const copy = new LossScaler();
    copy.setState(scaler.state());
    expect(copy.state()).toEqual(scaler.state());
    expect(() => new LossScaler({ backoffFactor: 2 })).toThrow(/0 < backoffFactor < 1/);
    const tiny = new LossScaler({ initScale: 2 ** -24 });
    expect(() => tiny.update(false)).toThrow(/fell below 2\^-24 .* train in f32/);
  });

  it('leaks nothing', async () => {
    const before = memory().liveTensors;
    const scaler = new LossScaler();
    const p = leaf(randomArray(9, 5), [9]);
    await scaler.finite(scaler.unscale([p]));
    p.dispose();
    expect(memory().liveTensors).toBe(before);
  });
});
