// Grids past the per-dimension workgroup limit in the row-grid kernels: pooling and upsampling
// (rows and vec4 kernels) take wg_base and are split by the runtime (the split limit lowered
// through the test hook, so every workgroup runs as its own dispatch); the outer product and the BatchNorm elementwise
// passes cap their grids and loop (grid-stride), checked on tensors that cross the real 65,535.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  maxPool2dReference, maxPool2dBackwardReference, avgPool2dReference, avgPool2dBackwardReference, upsample2xReference,
  upsample2xBackwardReference, outerReference, batchNormReference, batchNormBackwardReference, convOutputSize, MAX_WORKGROUPS_PER_DIM,
  type Pool2dGeometry,
} from '@fusion/kernels';
import { init, runtime, tensor, maxPool2d, avgPool2d, upsample2x, outer, batchNorm2d, backward, forceVariant, type Tensor } from '../index.js';
import { assertClose, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});
afterEach(() => {
  runtime().setGridSplitLimitForTests(null);
  forceVariant('outer', null);
});

const tol = { rtol: 1e-5, atol: 1e-6 };

/**
 * Runs `fn` under a profile and returns, for each kernel whose name passes `keep`, its number of
 * dispatches (a split grid dispatches a kernel more than once per call).
 */
async function dispatchesOf(fn: () => void, keep: (kernel: string) => boolean): Promise<Record<string, number>> {
  const kernels = await runtime().profile(fn);
  return Object.fromEntries(kernels.filter((k) => keep(k.kernel)).map((k) => [k.kernel, k.count]));
}

// Each structure of the variant table on a shape it runs: `vec4` needs W and OW multiples of 4,
// the ragged widths run `rows`.
describe.each([1, 2])('pooling split into pieces of at most %i workgroups per dimension', (limit) => {
  afterEach(() => forceVariant('pool', null));

  it.each([
    ['rows', 70, ''],
    ['vec4', 136, '_vec4'], // wide enough for 2 workgroups along x in every vec4 kernel
  ] as const)('max and average pooling with the %s kernels, forward and backward, against float64', async (structure, W, suffix) => {
    forceVariant('pool', structure);
    const shape = [2, 3, 11, W];
    const g: Pool2dGeometry = {
      planes: 6, inH: 11, inW: W, outH: convOutputSize(11, 3, 2, 1, 1), outW: convOutputSize(W, 3, 2, 1, 1),
      kH: 3, kW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1,
    };
    const data = randomArray(6 * 11 * W, 1);
    runtime().setGridSplitLimitForTests(limit);
    for (const kind of ['max', 'avg'] as const) {
      const x = tensor(data, shape);
      x.requiresGrad = true;
      const dyData = randomArray(g.planes * g.outH * g.outW, 2);
      const dy = tensor(dyData, [2, 3, g.outH, g.outW]);
      let y: Tensor | undefined;
      const counts = await dispatchesOf(() => {
        y = kind === 'max' ? maxPool2d(x, [3, 3], { stride: [2, 2], padding: [1, 1] }) : avgPool2d(x, [3, 3], { stride: [2, 2], padding: [1, 1] });
        backward(y, { grad: dy });
      }, (k) => k.includes('pool2d'));
      expect(Object.keys(counts).sort()).toEqual([`${kind}_pool2d${suffix}/default`, `${kind}_pool2d_backward${suffix}/default`].sort());
      for (const n of Object.values(counts)) expect(n).toBeGreaterThan(1);
      if (kind === 'max') {
        const ref = maxPool2dReference(data, g);
        assertClose(await y!.toArray(), ref.values, tol, 'max pool');
        assertClose(await x.grad!.toArray(), maxPool2dBackwardReference(dyData, ref.indices, g), tol, 'max pool gradient');
      } else {
        assertClose(await y!.toArray(), avgPool2dReference(data, g, true), tol, 'avg pool');
        assertClose(await x.grad!.toArray(), avgPool2dBackwardReference(dyData, g, true), tol, 'avg pool gradient');
      }
      for (const t of [x, y!, dy]) t.dispose();
    }
  });
});

describe.each([1, 2])('upsampling split into pieces of at most %i workgroups per dimension', (limit) => {
  afterEach(() => forceVariant('upsample', null));

  it.each([
    ['rows', 37, ''],
    ['vec4', 36, '_vec4'], // 2 workgroups along x
  ] as const)('nearest and bilinear with the %s kernels, forward and backward, against float64', async (structure, W, suffix) => {
    forceVariant('upsample', structure);
    const [N, C, H] = [2, 3, 5];
    const xs = randomArray(N * C * H * W, 3);
    runtime().setGridSplitLimitForTests(limit);
    for (const mode of ['nearest', 'bilinear'] as const) {
      const x = tensor(xs, [N, C, H, W]);
      x.requiresGrad = true;
      const gs = randomArray(4 * N * C * H * W, 4);
      const gy = tensor(gs, [N, C, 2 * H, 2 * W]);
      let y: Tensor | undefined;
      const counts = await dispatchesOf(() => {
        y = upsample2x(x, mode);
        backward(y, { grad: gy });
      }, (k) => k.startsWith('upsample2x'));
      const forward = structure === 'vec4' ? 'upsample2x_vec4' : 'upsample2x';
      expect(Object.keys(counts).sort()).toEqual([`upsample2x_backward${suffix}/${mode}`, `${forward}/${mode}`].sort());
      for (const n of Object.values(counts)) expect(n).toBeGreaterThan(1);
      assertClose(await y!.toArray(), upsample2xReference(xs, N * C, H, W, mode), tol, `upsample ${mode}`);
      assertClose(await x.grad!.toArray(), upsample2xBackwardReference(gs, N * C, H, W, mode), tol, `upsample ${mode} gradient`);
      for (const t of [x, y!, gy]) t.dispose();
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
