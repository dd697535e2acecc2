import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerNormReference, layerNormBackwardReference } from '@fusion/kernels';
import { init, tensor, layerNorm, backward, transpose, tidy, Tensor, forceVariant } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});
afterAll(() => forceVariant('layernorm', null));

function leaf(data: Float32Array, shape: number[]): Tensor {
  const t = tensor(data, shape);
  t.requiresGrad = true;
  return t;
}

describe.each(['lines', 'workgroup'] as const)('layerNorm (shaders/layernorm.wgsl, %s kernels)', (strategy) => {
  beforeAll(() => forceVariant('layernorm', strategy));

  it.each([
    [[3, 7], 1e-5],
    [[1, 1], 1e-5],
    [[5, 1], 1e-5],
    [[2, 3, 129], 1e-12],
    [[4, 1000], 1e-5],
    [[1500, 50], 1e-5],
  ] as [number[], number][])('%j (eps %s): forward and backward against float64', async (shape, eps) => {
    const dim = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const xs = randomArray(rows * dim, rows + dim, -3, 2);
    const ws = randomArray(dim, 2, 0.5, 1.5);
    const bs = randomArray(dim, 3, -1, 1);
    const x = leaf(xs, shape);
    const w = leaf(ws, [dim]);
    const b = leaf(bs, [dim]);
    const y = layerNorm(x, w, b, eps);
    const ref = layerNormReference(xs, rows, dim, ws, bs, eps);
    assertClose(await y.toArray(), ref.y, { rtol: 1e-4, atol: 1e-4 }, 'y');
    const gs = randomArray(rows * dim, 4, -1, 1);
    const g = tensor(gs, shape);
    backward(y, { grad: g });
    const refGrad = layerNormBackwardReference(xs, gs, rows, dim, ws, eps);
    // A row of one element has xhat = 0 and dx = 0 up to rounding: dx is amplified by 1/sqrt(eps).
    const dxTol = dim === 1 ? { rtol: 0, atol: 1e-2 } : { rtol: 1e-3, atol: 1e-4 };
    assertClose(await x.grad!.toArray(), refGrad.dx, dxTol, 'dx');
    assertClose(await w.grad!.toArray(), refGrad.dweight, { rtol: 1e-4, atol: 1e-3 }, 'dweight');
    assertClose(await b.grad!.toArray(), refGrad.dbias, { rtol: 1e-4, atol: 1e-3 }, 'dbias');
    for (const t of [x, w, b, y, g]) t.dispose();
  });

  it('without weight and bias, and rows with a large mean and a small spread', async () => {
    const xs = randomArray(6 * 300, 5, -0.01, 0.01).map((v) => v + 100);
    const x = tensor(xs, [6, 300]);
    const y = layerNorm(x, null, null, 1e-12);
    assertClose(await y.toArray(), layerNormReference(xs, 6, 300, null, null, 1e-12).y, { rtol: 1e-3, atol: 2e-3 }, 'y');
    for (const t of [x, y]) t.dispose();
  });

  it.each([[[3, 7]], [[2, 5, 129]]] as [number[]][])('add & norm: layerNorm(x, ..., residual) on %j normalises x + residual, gradients to both, against float64', async (shape) => {
    const dim = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const xs = randomArray(rows * dim, 21, -2, 2);
    const rs = randomArray(rows * dim, 22, -1, 3);
    const ws = randomArray(dim, 23, 0.5, 1.5);
    const bs = randomArray(dim, 24, -1, 1);
    const x = leaf(xs, shape);
    const r = leaf(rs, shape);
    const w = leaf(ws, [dim]);
    const b = leaf(bs, [dim]);
    const y = layerNorm(x, w, b, 1e-12, r);
    const sum = Float64Array.from(xs, (v, i) => v + rs[i]);
    assertClose(await y.toArray(), layerNormReference(sum, rows, dim, ws, bs, 1e-12).y, { rtol: 1e-4, atol: 1e-4 }, 'y');
    const gs = randomArray(rows * dim, 25, -1, 1);
    backward(y, { grad: tensor(gs, shape) });
    const ref = layerNormBackwardReference(sum, gs, rows, dim, ws, 1e-12);
    assertClose(await x.grad!.toArray(), ref.dx, { rtol: 1e-3, atol: 1e-4 }, 'dx');
    assertClose(await r.grad!.toArray(), ref.dx, { rtol: 1e-3, atol: 1e-4 }, 'dresidual');
    assertClose(await w.grad!.toArray(), ref.dweight, { rtol: 1e-4, atol: 1e-3 }, 'dweight');
    assertClose(await b.grad!.toArray(), ref.dbias, { rtol: 1e-4, atol: 1e-3 }, 'dbias');
    for (const t of [x, r, w, b, y]) t.dispose();
  });

  it('finite differences with eps 1e-12 (BERT) and with eps 1e-5', async () => {
    const xs = { data: randomArray(3 * 2 * 5, 6, -2, 2), shape: [3, 2, 5] };
    const ws = { data: randomArray(5, 7, 0.5, 1.5), shape: [5] };
    const bs = { data: randomArray(5, 8, -1, 1), shape: [5] };
    await gradcheck((x: Tensor, w: Tensor, b: Tensor) => layerNorm(x, w, b, 1e-12), [xs, ws, bs]);
    await gradcheck((x: Tensor) => layerNorm(x, null, null), [xs]);
    await gradcheck((x: Tensor, r: Tensor, w: Tensor) => layerNorm(x, w, null, 1e-5, r), [xs, { data: randomArray(30, 9, -1, 1), shape: [3, 2, 5] }, ws]);
  });
});

describe('layerNorm: layouts, empty inputs and errors', () => {
  it('reads a transposed (non-contiguous) input', async () => {
    const xs = randomArray(6 * 4, 9);
    const t = tensor(xs, [6, 4]);
    const x = transpose(t);
    const y = layerNorm(x, null, null);
    const rowsOfX = new Float32Array(24);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) rowsOfX[i * 6 + j] = xs[j * 4 + i];
    assertClose(await y.toArray(), layerNormReference(rowsOfX, 4, 6, null, null, 1e-5).y, { rtol: 1e-4, atol: 1e-4 }, 'transposed input');
    for (const v of [t, x, y]) v.dispose();
  });

  it('empty rows give an empty output and zero parameter gradients', async () => {
    const x = leaf(new Float32Array(0), [0, 5]);
    const w = leaf(new Float32Array(5).fill(1), [5]);
    const y = layerNorm(x, w, null);
    expect(y.shape).toEqual([0, 5]);
    backward(y, { grad: tensor(new Float32Array(0), [0, 5]) });
    expect(Array.from(await w.grad!.toArray())).toEqual([0, 0, 0, 0, 0]);
    for (const t of [x, w, y]) t.dispose();
  });

  it('names both shapes in its errors', () => tidy(() => {
    const x = Tensor.empty([2, 3, 8]);
    expect(() => layerNorm(x, Tensor.empty([7]), null)).toThrow(/weight \[7\] does not match the last dimension of input \[2, 3, 8\] \(8\)/);
    expect(() => layerNorm(x, null, Tensor.empty([8, 1]))).toThrow(/bias \[8, 1\] does not match the last dimension of input \[2, 3, 8\]/);
    expect(() => layerNorm(Tensor.empty([2, 8], 'i32'), null, null)).toThrow(/expected a f32 tensor, got i32/);
    expect(() => layerNorm(x, null, null, 1e-5, Tensor.empty([3, 8]))).toThrow(/residual \[3, 8\] must have the shape of input \[2, 3, 8\]/);
  }));
});
