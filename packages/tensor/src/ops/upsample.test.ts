import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsample2xReference, upsample2xBackwardReference } from '@fusion/kernels';
import { init, runtime, tensor, upsample2x, backward, permute, tidy, Tensor, forceVariant, chooseVariant, adapterFacts } from '../index.js';
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

/** The upsampling kernels a call ran (from a profile of it). */
async function upsampleKernelsOf(fn: () => void): Promise<string[]> {
  const kernels = await runtime().profile(() => tidy(fn));
  return kernels.map((k) => k.kernel).filter((name) => name.startsWith('upsample2x')).sort();
}

// The vec4 kernels need W a multiple of 4; everything else ragged (odd planes and heights, H = 1,
// one vec4 per row, more output rows than one grid dimension holds).
describe.each(['rows', 'vec4'] as const)('upsample2x with the %s kernels forced', (structure) => {
  beforeAll(() => forceVariant('upsample', structure));
  afterAll(() => forceVariant('upsample', null));

  describe.each(['nearest', 'bilinear'] as const)('%s', (mode) => {
    it.each([
      [3, 5, 7, 12],
      [1, 1, 1, 4],
      [2, 3, 1, 8],
      [1, 3, 5, 20],
      [1, 1, 40000, 4], // more output rows than workgroups per grid dimension
      [2, 1, 3, 5], // W not a multiple of 4: the rows kernels
    ])('(%i, %i, %i, %i): forward and gather backward against float64', async (N, C, H, W) => {
      const xs = randomArray(N * C * H * W, N + C + H + W + 40);
      const x = tensor(xs, [N, C, H, W]);
      x.requiresGrad = true;
      const y = upsample2x(x, mode);
      assertClose(await y.toArray(), upsample2xReference(xs, N * C, H, W, mode), { rtol: 1e-6, atol: 1e-6 }, 'y');
      const gs = randomArray(4 * N * C * H * W, 41);
      const g = tensor(gs, y.shape);
      backward(y, { grad: g });
      assertClose(await x.grad!.toArray(), upsample2xBackwardReference(gs, N * C, H, W, mode), { rtol: 1e-5, atol: 1e-6 }, 'dx');
      for (const t of [x, y, g]) t.dispose();
    });

    it('runs its own kernels where W is a multiple of 4, the rows kernels otherwise', async () => {
      const kernelsFor = (W: number) => upsampleKernelsOf(() => {
        const x = tensor(randomArray(2 * 3 * W, 42), [1, 2, 3, W]);
        x.requiresGrad = true;
        backward(upsample2x(x, mode).sum());
      });
      const own = structure === 'vec4' ? ['upsample2x_backward_vec4', 'upsample2x_vec4'] : ['upsample2x', 'upsample2x_backward'];
      expect(await kernelsFor(8)).toEqual(own.map((k) => `${k}/${mode}`).sort());
      expect(await kernelsFor(6)).toEqual([`upsample2x/${mode}`, `upsample2x_backward/${mode}`]);
    });

    it('finite differences', async () => {
      await gradcheck((x: Tensor) => upsample2x(x, mode), [{ data: randomArray(2 * 3 * 8, 43), shape: [1, 2, 3, 8] }]);
    });

    it('takes the output gradient as any view: expanded (a sum\'s), permuted, at offsets', async () => {
      const [N, C, H, W] = [2, 3, 3, 8];
      const xs = randomArray(N * C * H * W, 45);
      const gs = randomArray(4 * N * C * H * W + 4, 46);
      const x = tensor(xs, [N, C, H, W]);
      x.requiresGrad = true;
      const y = upsample2x(x, mode);
      const nhwc = tensor(gs.slice(0, 4 * N * C * H * W), [N, 2 * H, 2 * W, C]);
      const flat = tensor(gs, [gs.length]);
      const one = tensor([1.5], [1, 1, 1, 1]);
      const views: [string, () => Tensor, Float32Array][] = [
        ['expanded', () => one.expand([N, C, 2 * H, 2 * W]), new Float32Array(y.size).fill(1.5)],
        ['permuted', () => permute(nhwc, [0, 3, 1, 2]), Float32Array.from({ length: y.size }, (_, i) => {
          const [n, c, oy, ox] = [Math.floor(i / (C * 4 * H * W)), Math.floor(i / (4 * H * W)) % C, Math.floor(i / (2 * W)) % (2 * H), i % (2 * W)];
          return gs[((n * 2 * H + oy) * 2 * W + ox) * C + c];
        })],
        ['offset 3', () => flat.view(y.shape, [C * 4 * H * W, 4 * H * W, 2 * W, 1], 3), gs.slice(3, 3 + y.size)],
        ['offset 4 (vec4s)', () => flat.view(y.shape, [C * 4 * H * W, 4 * H * W, 2 * W, 1], 4), gs.slice(4)],
      ];
      for (const [name, view, dense] of views) {
        const kernels = await runtime().profile(() => tidy(() => {
          backward(y, { grad: view(), retainGraph: true });
        }));
        if (structure === 'vec4') expect(kernels.map((k) => k.kernel), name).not.toContain('copy/default');
        assertClose(await x.grad!.toArray(), upsample2xBackwardReference(dense, N * C, H, W, mode), { rtol: 1e-5, atol: 1e-6 }, `dx from a ${name} gradient`);
        x.grad!.dispose();
        x.grad = null;
      }
      for (const t of [x, y, nhwc, flat, one]) t.dispose();
    });

    it('an input view at an offset that is not a multiple of 4 runs the rows kernel, correctly', async () => {
      const flat = tensor(randomArray(1 + 2 * 3 * 4, 44), [1 + 2 * 3 * 4]);
      const x = flat.view([1, 2, 3, 4], [24, 12, 4, 1], 1);
      expect(await upsampleKernelsOf(() => {
        upsample2x(x, mode);
      })).toEqual([`upsample2x/${mode}`]);
      const y = upsample2x(x, mode);
      assertClose(await y.toArray(), upsample2xReference((await flat.toArray()).slice(1), 2, 3, 4, mode), { rtol: 1e-6, atol: 1e-6 }, 'offset view');
      for (const t of [flat, y]) t.dispose();
    });
  });
});

describe('upsample2x structure choice', () => {
  it('is vec4 on CPU adapters and rows on GPUs', () => {
    expect(chooseVariant('upsample', 6, 9, 16).variant).toBe(adapterFacts().software ? 'vec4' : 'rows');
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
