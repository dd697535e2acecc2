import { beforeAll, describe, expect, it } from 'vitest';
import { adamReference, sgdReference } from '@fusion/kernels';
import { init, tensor, keep, runtime, Adam, AdamW, SGD, setBindingLimitForTests, type Optimizer, Tensor } from '../index.js';
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

describe('multi-tensor step over many parameters (packed into one buffer)', () => {
  // Odd sizes, a scalar, and a step where one parameter has no gradient (two runs, two dispatches).
  const shapes = [[37], [], [5, 3], [2, 3, 2, 2], [129]];
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const p0 = sizes.map((n, i) => randomArray(n, 10 + i));
  const grads = [0, 1, 2].map((step) => sizes.map((n, i) => (step === 1 && i === 2 ? null : randomArray(n, 100 + 10 * step + i))));

  type Update = (p: Float64Array, g: Float32Array, state: Float64Array[], step: number) => void;

  /**
   * Three steps against float64. `buffers`: which parameter's buffer each one ends up in (packed:
   * all in the first's); `dispatches`: update dispatches per step.
   */
  async function check(
    make: (ps: Tensor[]) => Optimizer, slots: number, reference: Update, share = false,
    outcome = { buffers: [0, 0, 0, 0, 0], dispatches: share ? [5, 4, 5] : [1, 2, 1] },
  ): Promise<void> {
    const base = share ? tensor(Float32Array.from(p0.flatMap((a) => [...a])), [sizes.reduce((a, b) => a + b)]) : null;
    let at = 0;
    const ps = shapes.map((shape, i) => {
      const p = base ? base.view(shape, shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1)), (at += sizes[i]) - sizes[i]) : tensor(p0[i], shape);
      p.requiresGrad = true;
      return p;
    });
    const opt = make(ps);
    expect(ps.map((p) => ps.findIndex((q) => q.buffer === p.buffer))).toEqual(outcome.buffers);
    const expected = p0.map((a) => Float64Array.from(a));
    const state = sizes.map((n) => Array.from({ length: slots }, () => new Float64Array(n)));
    const dispatches: number[] = [];
    // Bias correction counts the optimizer's steps (a skipped parameter does not restart it).
    for (const [t, step] of grads.entries()) {
      ps.forEach((p, i) => (p.grad = step[i] ? keep(tensor(step[i]!, shapes[i])) : null));
      const before = runtime().stats.dispatches;
      opt.step();
      dispatches.push(runtime().stats.dispatches - before);
      step.forEach((g, i) => g && reference(expected[i], g, state[i], t + 1));
      opt.zeroGrad();
    }
    for (let i = 0; i < ps.length; i++) assertClose(await ps[i].toArray(), expected[i], { rtol: 1e-5, atol: 1e-6 }, `parameter ${i}`);
    expect(dispatches).toEqual(outcome.dispatches);
    opt.dispose();
    for (const p of ps) p.dispose();
    base?.dispose();
  }

  const adamH = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, decoupled: true };
  const adamRef: Update = (p, g, [m, v], step) => adamReference(p, g, m, v, step, adamH);

  it('AdamW: one dispatch per run of parameters with gradients, exact against float64', async () => {
    await check((ps) => new AdamW(ps, { lr: adamH.lr, weightDecay: adamH.weightDecay }), 2, adamRef);
  });

  it('AdamW on parameters sharing one storage: one dispatch each, same result', async () => {
    await check((ps) => new AdamW(ps, { lr: adamH.lr, weightDecay: adamH.weightDecay }), 2, adamRef, true);
  });

  it('SGD with momentum, packed', async () => {
    const h = { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01 };
    await check((ps) => new SGD(ps, h), 1, (p, g, [buf], step) => sgdReference(p, g, buf, step === 1, h));
  });

  it('cuts the flat buffers at the binding limit: groups of consecutive parameters, one dispatch each, same result', async () => {
    // a 640-byte (160-element) binding limit, through the limits' test hook: the largest
    // parameter's pooled buffer is 640 bytes, so every kernel still binds its buffers. [37, 1, 15,
    // 24] share buffers (77 elements), the 129-element parameter is alone; the second step's
    // missing gradient splits the first group's run
    setBindingLimitForTests(640);
    try {
      await check((ps) => new AdamW(ps, { lr: adamH.lr, weightDecay: adamH.weightDecay }), 2, adamRef, false, { buffers: [0, 0, 0, 0, 4], dispatches: [2, 3, 2] });
    } finally {
      setBindingLimitForTests(null);
    }
  });

  it('keeps parameters valid after the optimizer is disposed, and checkpoints name each parameter', async () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5]);
    a.requiresGrad = b.requiresGrad = true;
    const opt = new Adam([a, b, a]);
    expect(opt.params.length).toBe(2);
    expect([...opt.stateTensors().keys()]).toEqual(['0.exp_avg', '0.exp_avg_sq', '1.exp_avg', '1.exp_avg_sq']);
    opt.dispose();
    expect(Array.from(await b.toArray())).toEqual([4, 5]);
    a.dispose();
    b.dispose();
  });
});
