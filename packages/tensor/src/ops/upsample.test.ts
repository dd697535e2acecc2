import { beforeAll, describe, expect, it } from 'vitest';
import { upsample2xReference, upsample2xBackwardReference } from '@fusion/kernels';
import { init, tensor, upsample2x, backward, permute, tidy, Tensor } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

describe.each(['nearest', 'bilinear'] as const)('upsample2x (%s)', (mode) => {
  it.each([
    [3, 5, 7, 9],
    [1, 1, 1, 1],
    [2, 3, 1, 4],
    [1, 2, 5, 1],
    [2, 1, 33, 17],
    [0, 2, 3, 3],
    [1, 1, 40000, 1], // more output rows than workgroups per grid dimension
  ])('(%i, %i, %i, %i): forward and gather backward against float64', async (N, C, H, W) => {
    const xs = randomArray(N * C * H * W, N + C + H + W);
    const x = tensor(xs, [N, C, H, W]);
    x.requiresGrad = true;
    const y = upsample2x(x, mode);
    expect(y.shape).toEqual([N, C, 2 * H, 2 * W]);
    assertClose(await y.toArray(), upsample2xReference(xs, N * C, H, W, mode), { rtol: 1e-6, atol: 1e-6 }, 'y');
    const gs = randomArray(4 * N * C * H * W, 5);
    const g = tensor(gs, y.shape);
    backward(y, { grad: g });
    assertClose(await x.grad!.toArray(), upsample2xBackwardReference(gs, N * C, H, W, mode), { rtol: 1e-5, atol: 1e-6 }, 'dx');
    for (const t of [x, y, g]) t.dispose();
  });

  it('finite differences', async () => {
    await gradcheck((x: Tensor) => upsample2x(x, mode), [{ data: randomArray(2 * 2 * 3 * 4, 6), shape: [2, 2, 3, 4] }]);
  });

  it('reads a permuted (non-contiguous) input', async () => {
    const xs = randomArray(2 * 3 * 4 * 5, 7);
    const nhwc = tensor(xs, [2, 4, 5, 3]);
    const x = permute(nhwc, [0, 3, 1, 2]);
    const y = upsample2x(x, mode);
    const nchw = new Float32Array(xs.length);
    for (let n = 0; n < 2; n++) for (let h = 0; h < 4; h++) for (let w = 0; w < 5; w++) for (let c = 0; c < 3; c++) nchw[((n * 3 + c) * 4 + h) * 5 + w] = xs[((n * 4 + h) * 5 + w) * 3 + c];
    assertClose(await y.toArray(), upsample2xReference(nchw, 6, 4, 5, mode), { rtol: 1e-6, atol: 1e-6 }, 'permuted input');
    for (const t of [nhwc, x, y]) t.dispose();
  });
});

describe('upsample2x: PyTorch values and errors', () => {
  it('matches F.interpolate(scale_factor=2, align_corners=False) on a 2x2 image', async () => {
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const bilinear = upsample2x(x, 'bilinear');
    // torch.nn.functional.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), scale_factor=2, mode='bilinear')
    expect(Array.from(await bilinear.toArray())).toEqual([
      1, 1.25, 1.75, 2,
      1.5, 1.75, 2.25, 2.5,
      2.5, 2.75, 3.25, 3.5,
      3, 3.25, 3.75, 4,
    ]);
    const nearest = upsample2x(x, 'nearest');
    expect(Array.from(await nearest.toArray())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    for (const t of [x, bilinear, nearest]) t.dispose();
  });

  it('names the shape in its errors', () => tidy(() => {
    expect(() => upsample2x(Tensor.empty([2, 3, 4]), 'nearest')).toThrow(/expected a 4-D input \(N, C, H, W\), got \[2, 3, 4\]/);
    expect(() => upsample2x(Tensor.empty([1, 1, 2, 2]), 'bicubic' as never)).toThrow(/mode must be 'nearest' or 'bilinear', got bicubic/);
    expect(() => upsample2x(Tensor.empty([1, 1, 2, 2], 'i32'), 'nearest')).toThrow(/expected a f32 tensor, got i32/);
  }));
});
