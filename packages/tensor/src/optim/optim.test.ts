import { beforeAll, describe, expect, it } from 'vitest';
import { adamReference, sgdReference } from '@fusion/kernels';
import { init, tensor, keep, Adam, AdamW, SGD, type Optimizer, Tensor } from '../index.js';
import { assertClose, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

async function runSteps(make: (p: Tensor) => Optimizer, p0: Float32Array, grads: Float32Array[]): Promise<Float32Array> {
  const p = tensor(p0, [p0.length]);
  p.requiresGrad = true;
  const opt = make(p);
  for (const g of grads) {
    p.grad = keep(tensor(g, [g.length]));
    opt.step();
    opt.zeroGrad();
  }
  const out = (await p.toArray()) as Float32Array;
  opt.dispose();
  p.dispose();
  return out;
}

describe('optimizers against float64 references (3 steps, 37 elements)', () => {
  const n = 37;
  const p0 = randomArray(n, 1);
  const grads = [randomArray(n, 2), randomArray(n, 3), randomArray(n, 4)];

  it.each([
    ['Adam', false, 0],
    ['Adam with L2', false, 0.1],
    ['AdamW', true, 0.1],
  ] as const)('%s', async (_name, decoupled, wd) => {
    const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, decoupled };
    const got = await runSteps((p) => (decoupled ? new AdamW([p], { lr: h.lr, weightDecay: wd }) : new Adam([p], { lr: h.lr, weightDecay: wd })), p0, grads);
    const p = Float64Array.from(p0);
    const m = new Float64Array(n);
    const v = new Float64Array(n);
    grads.forEach((g, i) => adamReference(p, g, m, v, i + 1, h));
    assertClose(got, p, { rtol: 1e-5, atol: 1e-6 }, _name);
  });

  it.each([
    ['plain', 0, 0, false, 0],
    ['momentum + dampening + L2', 0.9, 0.1, false, 0.01],
    ['nesterov', 0.9, 0, true, 0],
  ] as const)('SGD %s', async (_name, momentum, dampening, nesterov, wd) => {
    const h = { lr: 0.1, momentum, dampening, nesterov, weightDecay: wd };
    const got = await runSteps((p) => new SGD([p], h), p0, grads);
    const p = Float64Array.from(p0);
    const buf = new Float64Array(n);
    grads.forEach((g, i) => sgdReference(p, g, buf, i === 0, h));
    assertClose(got, p, { rtol: 1e-5, atol: 1e-6 }, `SGD ${_name}`);
  });

  it('exports and restores its state', async () => {
    const p = tensor(p0, [n]);
    p.requiresGrad = true;
    const opt = new Adam([p], { lr: 0.01 });
    p.grad = keep(tensor(grads[0], [n]));
    opt.step();
    const states = opt.stateTensors();
    expect([...states.keys()]).toEqual(['0.exp_avg', '0.exp_avg_sq']);
    const m = await states.get('0.exp_avg')!.toArray();
    assertClose(m, Array.from(grads[0], (g) => 0.1 * g), { rtol: 1e-6, atol: 1e-8 }, 'first moment');
    opt.dispose();
    p.dispose();
  });

  it('refuses parameters that do not require grad', () => {
    const p = tensor([1, 2]);
    expect(() => new Adam([p])).toThrow(/does not require grad/);
    p.dispose();
  });
});
