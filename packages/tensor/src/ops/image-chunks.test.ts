// Tensors past one storage binding in the image-batched ops: with the binding limit lowered to
// 4 KiB through the test hook, conv2d (forward, input and weight gradients, bias) and upsample2x
// (forward and gradient, both modes, both kernel structures) run in chunks of images, each chunk
// an ordinary call on copies that fit, and match float64 (and the forward's dispatches are one
// call per chunk: the chunked path ran).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  conv2dReference, conv2dBackwardInputReference, conv2dBackwardWeightReference, convOutputSize, upsample2xReference,
  upsample2xBackwardReference, type Conv2dGeometry,
} from '@fusion/kernels';
import { init, runtime, tensor, conv2d, upsample2x, backward, setBindingLimitForTests, memory, Tensor } from '../index.js';
import { assertClose, randomArray } from '../testing.js';

const LIMIT = 4096;
const tol = { rtol: 1e-4, atol: 1e-4 };

beforeAll(async () => {
  await init();
});
afterEach(() => setBindingLimitForTests(null));

/** Dispatches `f` records. */
function dispatchesOf<T>(f: () => T): { value: T; dispatches: number } {
  const before = runtime().stats.dispatches;
  const value = f();
  return { value, dispatches: runtime().stats.dispatches - before };
}

describe('image-batched ops past one binding', () => {
  it.each([
    ['3x3, padding 1', 3, 1],
    ['1x1 (the batched-matmul path)', 1, 0],
  ])('conv2d %s: forward, input, weight and bias gradients in chunks of images match float64', async (_name, k, pad) => {
    // x: 972 B per image, y: 1,296 B per image: 3 images per chunk, chunks of 3 and 2
    const g: Conv2dGeometry = {
      images: 5, cIn: 3, inH: 9, inW: 9, cOut: 4, kH: k, kW: k, outH: convOutputSize(9, k, 1, pad, 1), outW: convOutputSize(9, k, 1, pad, 1),
      strideH: 1, strideW: 1, padH: pad, padW: pad, dilH: 1, dilW: 1,
    };
    const xData = randomArray(g.images * g.cIn * 81, 1);
    const wData = randomArray(g.cOut * g.cIn * k * k, 2);
    const bData = randomArray(g.cOut, 3);
    const dyData = randomArray(g.images * g.cOut * g.outH * g.outW, 4);
    const before = memory().liveTensors;
    const run = () => {
      const x = tensor(xData, [g.images, g.cIn, 9, 9]);
      const w = tensor(wData, [g.cOut, g.cIn, k, k]);
      const b = tensor(bData, [g.cOut]);
      for (const p of [x, w, b]) p.requiresGrad = true;
      const { value: y, dispatches } = dispatchesOf(() => conv2d(x, w, b, { padding: pad }));
      const dy = tensor(dyData, y.shape);
      backward(y, { grad: dy });
      return { x, w, b, y, dy, dispatches };
    };
    const whole = run();
    setBindingLimitForTests(LIMIT);
    const chunked = run();
    expect(chunked.x.buffer.size).toBeGreaterThan(LIMIT);
    expect(chunked.y.buffer.size).toBeGreaterThan(LIMIT);
    expect(chunked.dispatches).toBe(2 * whole.dispatches);
    assertClose(await chunked.y.toArray(), conv2dReference(xData, wData, bData, g), tol, 'forward');
    assertClose(await chunked.x.grad!.toArray(), conv2dBackwardInputReference(dyData, wData, g), tol, 'gradient w.r.t. input');
    assertClose(await chunked.w.grad!.toArray(), conv2dBackwardWeightReference(dyData, xData, g), { rtol: 1e-3, atol: 1e-3 }, 'gradient w.r.t. weight');
    const pixels = g.outH * g.outW;
    const db = new Float64Array(g.cOut);
    dyData.forEach((v, i) => (db[Math.floor(i / pixels) % g.cOut] += v));
    assertClose(await chunked.b.grad!.toArray(), db, { rtol: 1e-3, atol: 1e-3 }, 'gradient w.r.t. bias');
    assertClose(await chunked.w.grad!.toArray(), await whole.w.grad!.toArray(), { rtol: 1e-4, atol: 1e-5 }, 'weight gradient, chunked vs whole');
    for (const r of [whole, chunked]) for (const t of [r.x.grad!, r.w.grad!, r.b.grad!, r.x, r.w, r.b, r.y, r.dy] as Tensor[]) t.dispose();
    expect(memory().liveTensors).toBe(before);
  });

  it.each([
    ['nearest', 7],
    ['bilinear', 7],
    ['nearest', 8],
    ['bilinear', 8],
  ] as const)('upsample2x %s (W = %i): forward and gradient in chunks of images match float64', async (mode, W) => {
    // y: 2 x 10 x 2W floats per image (1,120 or 1,280 B): 3 images per chunk, chunks of 3, 3 and 1
    const [N, C, H] = [7, 2, 5];
    const xs = randomArray(N * C * H * W, 5);
    const gs = randomArray(N * C * 4 * H * W, 6);
    setBindingLimitForTests(LIMIT);
    const x = tensor(xs, [N, C, H, W]);
    x.requiresGrad = true;
    const { value: y, dispatches } = dispatchesOf(() => upsample2x(x, mode));
    expect(y.buffer.size).toBeGreaterThan(LIMIT);
    expect(dispatches).toBe(3);
    assertClose(await y.toArray(), upsample2xReference(xs, N * C, H, W, mode), { rtol: 1e-6, atol: 1e-6 }, 'y');
    const g = tensor(gs, y.shape);
    const { dispatches: backwardDispatches } = dispatchesOf(() => backward(y, { grad: g }));
    expect(backwardDispatches).toBe(3);
    assertClose(await x.grad!.toArray(), upsample2xBackwardReference(gs, N * C, H, W, mode), { rtol: 1e-5, atol: 1e-6 }, 'dx');
    for (const t of [x.grad!, x, y, g]) t.dispose();
  });

  it('stops before any dispatch, naming the kernel and the tensor, when one image alone is past the binding', () => {
    setBindingLimitForTests(512);
    const x = tensor(randomArray(2 * 3 * 81, 7), [2, 3, 9, 9]);
    const w = tensor(randomArray(4 * 3 * 9, 8), [4, 3, 3, 3]);
    const before = runtime().stats.dispatches;
    expect(() => conv2d(x, w, null, { padding: 1 })).toThrow(/tensor \(2, 3, 9, 9\) f32 \(made by tensor\) takes 1\.9 KiB, more than this adapter's maxStorageBufferBindingSize \(512 B\), and kernel conv2d binds it whole as "input" \(one image takes 1296 bytes, more than one binding\)/);
    expect(runtime().stats.dispatches).toBe(before);
    setBindingLimitForTests(null);
    for (const t of [x, w]) t.dispose();
  });
});
