import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outerReference, outerBackwardReference } from '@fusion/kernels';
import { init, tensor, outer, backward, transpose, tidy, Tensor, forceVariant } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

describe.each(['vec4 when J allows', 'scalar'] as const)('outer (batched outer product, %s forward)', (mode) => {
  beforeAll(() => forceVariant('outer', mode === 'scalar' ? 'scalar' : null));
  afterAll(() => forceVariant('outer', null));
  it.each([
    [2, 3, 12],
    [3, 2, 36],
    [3, 5, 7],
    [1, 1, 1],
    [2, 300, 3],
    [4, 1, 257],
    [0, 2, 3],
    [2, 0, 3],
    [2, 3, 0],
    [1, 70000, 2], // more rows than workgroups per grid dimension
  ])('B %i, I %i, J %i: forward and backward against float64', async (B, I, J) => {
    const us = randomArray(B * I, B + I);
    const vs = randomArray(B * J, B + J + 1);
    const u = tensor(us, [B, I]);
    const v = tensor(vs, [B, J]);
    u.requiresGrad = true;
    v.requiresGrad = true;
    const y = outer(u, v);
    expect(y.shape).toEqual([B, I, J]);
    assertClose(await y.toArray(), outerReference(us, vs, B, I, J), { rtol: 1e-6, atol: 1e-7 }, 'outer');
    const gs = randomArray(B * I * J, 3);
    const g = tensor(gs, [B, I, J]);
    backward(y, { grad: g });
    const ref = outerBackwardReference(gs, us, vs, B, I, J);
    assertClose(await u.grad!.toArray(), ref.du, { rtol: 1e-5, atol: 1e-5 }, 'du');
    assertClose(await v.grad!.toArray(), ref.dv, { rtol: 1e-5, atol: 1e-5 }, 'dv');
    for (const t of [u, v, y, g]) t.dispose();
  });

});

describe('outer (batched outer product): gradients and errors', () => {
  it('finite differences, including transposed operands', async () => {
    await gradcheck(outer, [{ data: randomArray(6, 4), shape: [2, 3] }, { data: randomArray(8, 5), shape: [2, 4] }]);
    await gradcheck((a: Tensor, b: Tensor) => outer(transpose(a), b), [{ data: randomArray(6, 6), shape: [3, 2] }, { data: randomArray(10, 7), shape: [2, 5] }]);
  });

  it('names both shapes in its errors', () => tidy(() => {
    expect(() => outer(Tensor.empty([2, 3]), Tensor.empty([3, 4]))).toThrow(/expected u \(B, I\) and v \(B, J\) with the same B, got \[2, 3\] and \[3, 4\]/);
    expect(() => outer(Tensor.empty([3]), Tensor.empty([4]))).toThrow(/got \[3\] and \[4\]/);
  }));
});
