// Grids past the per-dimension workgroup limit in the row-grid kernels: pooling and upsampling
// take wg_base and are split by the runtime (the split limit lowered through the test hook, so
// every workgroup runs as its own dispatch); the outer product and the BatchNorm elementwise
// passes cap their grids and loop (grid-stride), checked on tensors that cross the real 65,535.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  maxPool2dReference, maxPool2dBackwardReference, avgPool2dReference, avgPool2dBackwardReference, upsample2xReference,
  upsample2xBackwardReference, outerReference, batchNormReference, batchNormBackwardReference, convOutputSize, MAX_WORKGROUPS_PER_DIM,
  type Pool2dGeometry,
} from '@fusion/kernels';
import { init, runtime, tensor, maxPool2d, avgPool2d, upsample2x, outer, batchNorm2d, backward, forceVariant } from '../index.js';
import { assertClose, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});
afterEach(() => {
  runtime().setGridSplitLimitForTests(null);
  forceVariant('outer', null);
});

const tol = { rtol: 1e-5, atol: 1e-6 };

describe.each([1, 2])('pooling split into pieces of at most %i workgroups per dimension', (limit) => {
  it('max and average pooling, forward and backward, against float64', async () => {
    const shape = [2, 3, 11, 70];
    const g: Pool2dGeometry = {
      planes: 6, inH: 11, inW: 70, outH: convOutputSize(11, 3, 2, 1, 1), outW: convOutputSize(70, 3, 2, 1, 1),
      kH: 3, kW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1,
    };
    const data = randomArray(6 * 11 * 70, 1);
    runtime().setGridSplitLimitForTests(limit);
    for (const kind of ['max', 'avg'] as const) {
      const x = tensor(data, shape);
      x.requiresGrad = true;
      const before = runtime().stats.dispatches;
      const y = kind === 'max' ? maxPool2d(x, [3, 3], { stride: [2, 2], padding: [1, 1] }) : avgPool2d(x, [3, 3], { stride: [2, 2], padding: [1, 1] });
      expect(runtime().stats.dispatches - before).toBeGreaterThan(1);
      const dyData = randomArray(y.size, 2);
      const dy = tensor(dyData, y.shape);
      backward(y, { grad: dy });
      if (kind === 'max') {
        const ref = maxPool2dReference(data, g);
        assertClose(await y.toArray(), ref.values, tol, 'max pool');
        assertClose(await x.grad!.toArray(), maxPool2dBackwardReference(dyData, ref.indices, g), tol, 'max pool gradient');
      } else {
        assertClose(await y.toArray(), avgPool2dReference(data, g, true), tol, 'avg pool');
        assertClose(await x.grad!.toArray(), avgPool2dBackwardReference(dyData, g, true), tol, 'avg pool gradient');
      }
      for (const t of [x, y, dy]) t.dispose();
    }
  });

  it('upsampling (nearest and bilinear), forward and backward, against float64', async () => {
    const [N, C, H, W] = [2, 3, 5, 37];
    const xs = randomArray(N * C * H * W, 3);
    runtime().setGridSplitLimitForTests(limit);
    for (const mode of ['nearest', 'bilinear'] as const) {
      const x = tensor(xs, [N, C, H, W]);
      x.requiresGrad = true;
      const y = upsample2x(x, mode);
      const gs = randomArray(y.size, 4);
      const gy = tensor(gs, y.shape);
      backward(y, { grad: gy });
      assertClose(await y.toArray(), upsample2xReference(xs, N * C, H, W, mode), tol, `upsample ${mode}`);
      assertClose(await x.grad!.toArray(), upsample2xBackwardReference(gs, N * C, H, W, mode), tol, `upsample ${mode} gradient`);
      for (const t of [x, y, gy]) t.dispose();
    }
  });
});

describe('grids capped at the device limit, covered by grid-stride loops', () => {
  it('an outer product with rows longer than 65,535 workgroups (scalar kernel) matches float64', async () => {
    forceVariant('outer', 'scalar');
    const J = MAX_WORKGROUPS_PER_DIM * 256 + 301;
    const us = randomArray(1, 5);
    const vs = randomArray(J, 6);
    const u = tensor(us, [1, 1]);
    const v = tensor(vs, [1, J]);
    const y = outer(u, v);
    assertClose(await y.toArray(), outerReference(us, vs, 1, 1, J), { rtol: 1e-6, atol: 1e-7 }, 'outer');
    for (const t of [u, v, y]) t.dispose();
  }, 120_000);

  it('BatchNorm (evaluation) on a plane past 65,535 x 256 elements, forward and backward, matches float64', async () => {
    const side = 4100; // 16.81M elements per plane
    const plane = side * side;
    const xs = randomArray(plane, 7);
    const runningMean = Float64Array.from([0.25]);
    const runningVar = Float64Array.from([1.5]);
    const x = tensor(xs, [1, 1, side, side]);
    x.requiresGrad = true;
    const weight = tensor([1.25]);
    const bias = tensor([-0.5]);
    const rm = tensor(Float32Array.from(runningMean));
    const rv = tensor(Float32Array.from(runningVar));
    const y = batchNorm2d(x, weight, bias, rm, rv, { training: false, eps: 1e-5 });
    const ref = batchNormReference(xs, 1, 1, plane, [1.25], [-0.5], { training: false, momentum: 0.1, eps: 1e-5, runningMean, runningVar });
    assertClose(await y.toArray(), ref.y, tol, 'batch norm');
    const gs = randomArray(plane, 8);
    const gy = tensor(gs, y.shape);
    backward(y, { grad: gy });
    const refBack = batchNormBackwardReference(xs, gs, 1, 1, plane, [1.25], ref.mean, ref.invstd, false);
    assertClose(await x.grad!.toArray(), refBack.dx, tol, 'batch norm input gradient');
    for (const t of [x, weight, bias, rm, rv, y, gy]) t.dispose();
  }, 120_000);
});
