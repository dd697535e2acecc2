import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchNormReference, batchNormBackwardReference } from '@fusion/kernels';
import { init, tensor, batchNorm2d, backward, permute, tidy, Tensor, forceVariant } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});
afterAll(() => forceVariant('batchnorm', null));

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function leaf(data: Float32Array, shape: number[]): Tensor {
  const t = tensor(data, shape);
  t.requiresGrad = true;
  return t;
}

describe.each(['lines', 'workgroup', 'fused'] as const)('batchNorm2d (shaders/batchnorm.wgsl, %s statistics)', (strategy) => {
  beforeAll(() => forceVariant('batchnorm', strategy));

  it.each([
    [3, 5, 7, 9],
    [2, 1, 1, 1],
    [1, 2, 5, 3],
    [4, 3, 1, 1],
    [2, 3, 67, 71],
    [65537, 1, 1, 2], // more planes than workgroups per grid dimension
  ])('training forward, running update and backward on (%i, %i, %i, %i) against float64', async (N, C, H, W) => {
    const shape = [N, C, H, W];
    const plane = H * W;
    const xs = randomArray(numel(shape), N * 1000 + C * 100 + H * 10 + W, -2, 3);
    const ws = randomArray(C, 11, 0.5, 1.5);
    const bs = randomArray(C, 12, -1, 1);
    const rm = randomArray(C, 13, -1, 1);
    const rv = randomArray(C, 14, 0.5, 2);
    const x = leaf(xs, shape);
    const w = leaf(ws, [C]);
    const b = leaf(bs, [C]);
    const runningMean = tensor(rm, [C]);
    const runningVar = tensor(rv, [C]);
    const y = batchNorm2d(x, w, b, runningMean, runningVar, { training: true, momentum: 0.3, eps: 1e-5 });
    const refMean = Float64Array.from(rm);
    const refVar = Float64Array.from(rv);
    const ref = batchNormReference(xs, N, C, plane, ws, bs, { training: true, eps: 1e-5, momentum: 0.3, runningMean: refMean, runningVar: refVar });
    assertClose(await y.toArray(), ref.y, { rtol: 1e-4, atol: 1e-4 }, 'y');
    assertClose(await runningMean.toArray(), refMean, { rtol: 1e-5, atol: 1e-6 }, 'running_mean');
    assertClose(await runningVar.toArray(), refVar, { rtol: 1e-5, atol: 1e-6 }, 'running_var');
    const gs = randomArray(numel(shape), 99, -1, 1);
    const g = tensor(gs, shape);
    backward(y, { grad: g });
    const refGrad = batchNormBackwardReference(xs, gs, N, C, plane, ws, ref.mean, ref.invstd, true);
    assertClose(await x.grad!.toArray(), refGrad.dx, { rtol: 1e-3, atol: 2e-4 }, 'dx');
    assertClose(await w.grad!.toArray(), refGrad.dweight, { rtol: 1e-4, atol: 1e-3 }, 'dweight');
    assertClose(await b.grad!.toArray(), refGrad.dbias, { rtol: 1e-4, atol: 1e-3 }, 'dbias');
    for (const t of [x, w, b, runningMean, runningVar, y, g]) t.dispose();
  });

  it('counts the batch in the statistics kernel (training only), as num_batches_tracked', async () => {
    const x = tensor(randomArray(2 * 3 * 4 * 5, 15), [2, 3, 4, 5]);
    const rm = tensor(new Float32Array(3), [3]);
    const rv = tensor(new Float32Array(3).fill(1), [3]);
    const counter = tensor(Int32Array.from([41]), [], 'i32');
    for (let i = 0; i < 2; i++) batchNorm2d(x, null, null, rm, rv, { training: true, batchCounter: counter }).dispose();
    batchNorm2d(x, null, null, rm, rv, { training: false, batchCounter: counter }).dispose();
    expect(Array.from(await counter.toArray())).toEqual([43]);
    expect(() => batchNorm2d(x, null, null, null, null, { training: true, batchCounter: rm })).toThrow(/expected a i32 tensor, got f32/);
    for (const t of [x, rm, rv, counter]) t.dispose();
  });

  it('evaluation forward and backward (an affine map) against float64', async () => {
    const [N, C, H, W] = [3, 5, 7, 9];
    const xs = randomArray(N * C * H * W, 21, -2, 2);
    const ws = randomArray(C, 22, 0.5, 1.5);
    const bs = randomArray(C, 23, -1, 1);
    const rm = randomArray(C, 24, -1, 1);
    const rv = randomArray(C, 25, 0.5, 2);
    const x = leaf(xs, [N, C, H, W]);
    const w = leaf(ws, [C]);
    const b = leaf(bs, [C]);
    const runningMean = tensor(rm, [C]);
    const runningVar = tensor(rv, [C]);
    const y = batchNorm2d(x, w, b, runningMean, runningVar, { training: false, eps: 1e-3 });
    const ref = batchNormReference(xs, N, C, H * W, ws, bs, { training: false, eps: 1e-3, momentum: 0.1, runningMean: Float64Array.from(rm), runningVar: Float64Array.from(rv) });
    assertClose(await y.toArray(), ref.y, { rtol: 1e-5, atol: 1e-5 }, 'y');
    // the running statistics are read, not written
    assertClose(await runningMean.toArray(), rm, { rtol: 0, atol: 0 }, 'running_mean untouched');
    assertClose(await runningVar.toArray(), rv, { rtol: 0, atol: 0 }, 'running_var untouched');
    const gs = randomArray(xs.length, 26, -1, 1);
    const g = tensor(gs, [N, C, H, W]);
    backward(y, { grad: g });
    const refGrad = batchNormBackwardReference(xs, gs, N, C, H * W, ws, ref.mean, ref.invstd, false);
    assertClose(await x.grad!.toArray(), refGrad.dx, { rtol: 1e-5, atol: 1e-6 }, 'dx');
    assertClose(await w.grad!.toArray(), refGrad.dweight, { rtol: 1e-4, atol: 1e-4 }, 'dweight');
    assertClose(await b.grad!.toArray(), refGrad.dbias, { rtol: 1e-4, atol: 1e-4 }, 'dbias');
    for (const t of [x, w, b, runningMean, runningVar, y, g]) t.dispose();
  });

  it('statistics stay accurate for a large mean and a small spread (no E[x^2] - E[x]^2)', async () => {
    const [N, C, H, W] = [4, 3, 33, 35];
    const xs = randomArray(N * C * H * W, 31, -0.01, 0.01).map((v) => v + 1000);
    const x = tensor(xs, [N, C, H, W]);
    const rm = tensor(new Float32Array(C), [C]);
    const rv = tensor(new Float32Array(C).fill(1), [C]);
    const y = batchNorm2d(x, null, null, rm, rv, { training: true, momentum: 1, eps: 1e-10 });
    const refMean = new Float64Array(C);
    const refVar = new Float64Array(C).fill(1);
    const ref = batchNormReference(xs, N, C, H * W, null, null, { training: true, eps: 1e-10, momentum: 1, runningMean: refMean, runningVar: refVar });
    assertClose(await y.toArray(), ref.y, { rtol: 1e-4, atol: 5e-5 }, 'normalised values');
    assertClose(await rv.toArray(), refVar, { rtol: 1e-3, atol: 0 }, 'unbiased variance');
    for (const t of [x, rm, rv, y]) t.dispose();
  });

  it.each([true, false])('the fused ReLU equals relu(batchNorm2d(x)), forward and gradients (training %s)', async (training) => {
    const shape = [3, 4, 5, 7];
    const data = randomArray(numel(shape), 31, -2, 2);
    const wData = randomArray(4, 32, 0.5, 1.5);
    const bData = randomArray(4, 33, -0.5, 0.5);
    const gData = randomArray(numel(shape), 34, -1, 1);
    const run = async (fused: boolean) => {
      const x = leaf(data, shape);
      const w = leaf(wData, [4]);
      const b = leaf(bData, [4]);
      const rm = tensor(randomArray(4, 35, -0.2, 0.2), [4]);
      const rv = tensor(randomArray(4, 36, 0.5, 1.5), [4]);
      const g = tensor(gData, shape);
      const y = tidy(() => (fused ? batchNorm2d(x, w, b, rm, rv, { training, activation: 'relu' }) : batchNorm2d(x, w, b, rm, rv, { training }).relu()));
      backward(y, { grad: g });
      const out = [await y.toArray(), await x.grad!.toArray(), await w.grad!.toArray(), await b.grad!.toArray(), await rm.toArray(), await rv.toArray()];
      for (const t of [x, w, b, rm, rv, g, y]) t.dispose();
      return out;
    };
    const fused = await run(true);
    const plain = await run(false);
    const names = ['y', 'dx', 'dweight', 'dbias', 'running mean', 'running var'];
    fused.forEach((f, i) => assertClose(f, plain[i], { rtol: 1e-5, atol: 1e-6 }, `fused ReLU ${names[i]}`));
    expect(Array.from(fused[0]).some((v) => v === 0)).toBe(true);
    await gradcheck((x: Tensor, w: Tensor, b: Tensor) => batchNorm2d(x, w, b, null, null, { training: true, activation: 'relu' }), [
      { data: randomArray(2 * 3 * 3 * 2, 37, -2, 2), shape: [2, 3, 3, 2] }, { data: wData.slice(0, 3), shape: [3] }, { data: bData.slice(0, 3), shape: [3] },
    ]);
  });

  it.each([true, false])('a fused residual: relu(bn(x) + r) in one pass, forward and the four gradients against float64 (training %s)', async (training) => {
    const [N, C, H, W] = [3, 4, 5, 7];
    const n = N * C * H * W;
    const plane = H * W;
    const xs = randomArray(n, 61, -2, 2);
    const rs = randomArray(n, 62, -1.5, 1.5);
    const ws = randomArray(C, 63, 0.5, 1.5);
    const bs = randomArray(C, 64, -0.5, 0.5);
    const rm = randomArray(C, 65, -0.2, 0.2);
    const rv = randomArray(C, 66, 0.5, 1.5);
    const x = leaf(xs, [N, C, H, W]);
    const r = leaf(rs, [N, C, H, W]);
    const w = leaf(ws, [C]);
    const b = leaf(bs, [C]);
    const runningMean = tensor(rm, [C]);
    const runningVar = tensor(rv, [C]);
    const y = batchNorm2d(x, w, b, runningMean, runningVar, { training, eps: 1e-5, activation: 'relu', residual: r });
    const ref = batchNormReference(xs, N, C, plane, ws, bs, { training, eps: 1e-5, momentum: 0.1, runningMean: Float64Array.from(rm), runningVar: Float64Array.from(rv) });
    const z = ref.y.map((v, i) => v + rs[i]);
    assertClose(await y.toArray(), z.map((v) => Math.max(v, 0)), { rtol: 1e-4, atol: 1e-4 }, 'y');
    const gs = randomArray(n, 67, -1, 1);
    backward(y, { grad: tensor(gs, [N, C, H, W]) });
    const dz = Float64Array.from(gs, (g, i) => (z[i] > 0 ? g : 0));
    const refGrad = batchNormBackwardReference(xs, dz, N, C, plane, ws, ref.mean, ref.invstd, training);
    assertClose(await x.grad!.toArray(), refGrad.dx, { rtol: 1e-3, atol: 2e-4 }, 'dx');
    assertClose(await r.grad!.toArray(), dz, { rtol: 0, atol: 0 }, 'dresidual');
    assertClose(await w.grad!.toArray(), refGrad.dweight, { rtol: 1e-4, atol: 1e-3 }, 'dweight');
    assertClose(await b.grad!.toArray(), refGrad.dbias, { rtol: 1e-4, atol: 1e-3 }, 'dbias');
    for (const t of [x, r, w, b, runningMean, runningVar, y]) t.dispose();
  });

  it('finite differences in training mode (with and without affine parameters) and in evaluation mode', async () => {
    const shape = [2, 3, 3, 2];
    const xs = { data: randomArray(36, 41, -2, 2), shape };
    const ws = { data: randomArray(3, 42, 0.5, 1.5), shape: [3] };
    const bs = { data: randomArray(3, 43, -1, 1), shape: [3] };
    await gradcheck((x: Tensor, w: Tensor, b: Tensor) => batchNorm2d(x, w, b, null, null, { training: true }), [xs, ws, bs]);
    await gradcheck((x: Tensor) => batchNorm2d(x, null, null, null, null, { training: true }), [xs]);
    await gradcheck((x: Tensor, r: Tensor, w: Tensor) => batchNorm2d(x, w, null, null, null, { training: true, activation: 'relu', residual: r }), [
      xs, { data: randomArray(36, 46, -1, 1), shape }, ws,
    ]);
    const rm = tensor(randomArray(3, 44, -1, 1), [3]);
    const rv = tensor(randomArray(3, 45, 0.5, 2), [3]);
    await gradcheck((x: Tensor, w: Tensor, b: Tensor) => batchNorm2d(x, w, b, rm, rv, { training: false }), [xs, ws, bs]);
    rm.dispose();
    rv.dispose();
  });
});

describe('batchNorm2d: layouts, empty inputs and errors', () => {
  it('reads a permuted (non-contiguous) input', async () => {
    const xs = randomArray(2 * 4 * 3 * 5, 51);
    const nhwc = tensor(xs, [2, 3, 5, 4]);
    const x = permute(nhwc, [0, 3, 1, 2]);
    const y = batchNorm2d(x, null, null, null, null, { training: true });
    const nchw = new Float32Array(xs.length);
    for (let n = 0; n < 2; n++) for (let h = 0; h < 3; h++) for (let w = 0; w < 5; w++) for (let c = 0; c < 4; c++) nchw[((n * 4 + c) * 3 + h) * 5 + w] = xs[((n * 3 + h) * 5 + w) * 4 + c];
    const ref = batchNormReference(nchw, 2, 4, 15, null, null, { training: true, eps: 1e-5, momentum: 0.1 });
    assertClose(await y.toArray(), ref.y, { rtol: 1e-4, atol: 1e-4 }, 'permuted input');
    for (const t of [nhwc, x, y]) t.dispose();
  });

  it('an empty batch gives an empty output and zero parameter gradients', async () => {
    const x = leaf(new Float32Array(0), [0, 3, 4, 4]);
    const w = leaf(new Float32Array([1, 2, 3]), [3]);
    const rm = tensor(new Float32Array(3), [3]);
    const rv = tensor(new Float32Array([1, 1, 1]), [3]);
    const y = batchNorm2d(x, w, null, rm, rv, { training: false });
    expect(y.shape).toEqual([0, 3, 4, 4]);
    backward(y, { grad: tensor(new Float32Array(0), [0, 3, 4, 4]) });
    expect(Array.from(await w.grad!.toArray())).toEqual([0, 0, 0]);
    for (const t of [x, w, rm, rv, y]) t.dispose();
  });

  it('names both shapes in its errors, before any dispatch', () => tidy(() => {
    const x = Tensor.empty([2, 3, 4, 5]);
    const c4 = Tensor.empty([4]);
    const c3 = Tensor.empty([3]);
    expect(() => batchNorm2d(x, c4, null, null, null, { training: true })).toThrow(/weight \[4\] does not match the 3 channels of input \[2, 3, 4, 5\]/);
    expect(() => batchNorm2d(x, null, null, c4, c4, { training: true })).toThrow(/runningMean \[4\] does not match the 3 channels of input \[2, 3, 4, 5\]/);
    expect(() => batchNorm2d(Tensor.empty([2, 3, 4]), null, null, null, null, { training: true })).toThrow(/expected a 4-D input \(N, C, H, W\), got \[2, 3, 4\]/);
    expect(() => batchNorm2d(Tensor.empty([1, 3, 1, 1]), null, null, null, null, { training: true })).toThrow(/more than 1 value per channel when training, got input \[1, 3, 1, 1\]/);
    expect(() => batchNorm2d(x, null, null, null, null, { training: false })).toThrow(/evaluation mode needs runningMean and runningVar/);
    expect(() => batchNorm2d(x, null, null, c3, null, { training: true })).toThrow(/both runningMean and runningVar, or neither/);
    expect(() => batchNorm2d(Tensor.empty([2, 3, 4, 5], 'i32'), null, null, null, null, { training: true })).toThrow(/expected a f32 tensor, got i32/);
  }));
});
