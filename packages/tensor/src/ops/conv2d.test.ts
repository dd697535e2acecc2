import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  conv2dReference, conv2dBackwardInputReference, conv2dBackwardWeightReference, convOutputSize, GEMM_VARIANTS, type Conv2dGeometry,
} from '@fusion/kernels';
import { init, tensor, conv2d, setConv2dSplitK, hasSubgroupGemm, backward, memory, tidy, Tensor, nn, manualSeed, runtime, forceVariant } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

await init();
afterAll(() => {
  forceVariant('gemm', null);
  setConv2dSplitK(null);
});

/** Every GEMM entry point this device runs (the subgroup kernel needs subgroups of >= 8 lanes). */
const strategies = GEMM_VARIANTS.filter((s) => s !== 'subgroup' || hasSubgroupGemm());

interface Case {
  name: string;
  images: number;
  cIn: number;
  h: number;
  w: number;
  cOut: number;
  k: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  bias: boolean;
}

const c = (name: string, images: number, cIn: number, h: number, w: number, cOut: number, k: [number, number],
  stride: [number, number] = [1, 1], padding: [number, number] = [0, 0], dilation: [number, number] = [1, 1], bias = true): Case =>
  ({ name, images, cIn, h, w, cOut, k, stride, padding, dilation, bias });

const cases: Case[] = [
  c('3x3 same, non-square, several images', 2, 3, 7, 9, 5, [3, 3], [1, 1], [1, 1]),
  c('3x3 stride 2 padding 1, one image', 1, 4, 11, 8, 6, [3, 3], [2, 2], [1, 1]),
  c('3x3 dilation 2 padding 2, no bias', 2, 5, 9, 10, 3, [3, 3], [1, 1], [2, 2], [2, 2], false),
  c('1x1 (plain matmul path)', 3, 7, 5, 6, 9, [1, 1]),
  c('1x1 no bias (plain matmul path)', 1, 5, 3, 4, 2, [1, 1], [1, 1], [0, 0], [1, 1], false),
  c('7x7 stride 2 padding 3 (ResNet stem)', 1, 3, 19, 17, 10, [7, 7], [2, 2], [3, 3]),
  c('1x1 stride 2 (ResNet downsample)', 2, 6, 9, 9, 4, [1, 1], [2, 2]),
  c('2x3 kernel, stride [2, 1], padding [0, 1], dilation [1, 2]', 2, 3, 8, 7, 5, [2, 3], [2, 1], [0, 1], [1, 2]),
  c('kernel covering the whole input (1x1 output)', 3, 2, 4, 5, 3, [4, 5]),
  c('single channels, a 1-pixel-high image', 2, 1, 1, 13, 1, [1, 3], [1, 2], [0, 1]),
  c('stride 3 with padding 2', 1, 3, 10, 11, 4, [3, 3], [3, 3], [2, 2]),
  c('C_in 17 and C_out 19 (no multiple of any tile)', 2, 17, 6, 5, 19, [3, 3], [1, 1], [1, 1]),
  c('stride 2 dilation 2 (stride phases no tap reaches)', 2, 3, 9, 8, 4, [3, 3], [2, 2], [2, 2], [2, 2]),
  c('stride 3 dilation 2, 2x4 kernel smaller than the stride on one axis', 1, 2, 11, 13, 3, [2, 4], [3, 3], [1, 2], [2, 2]),
];

function geometry(t: Case): Conv2dGeometry {
  return {
    images: t.images, cIn: t.cIn, inH: t.h, inW: t.w, cOut: t.cOut, kH: t.k[0], kW: t.k[1],
    outH: convOutputSize(t.h, t.k[0], t.stride[0], t.padding[0], t.dilation[0]),
    outW: convOutputSize(t.w, t.k[1], t.stride[1], t.padding[1], t.dilation[1]),
    strideH: t.stride[0], strideW: t.stride[1], padH: t.padding[0], padW: t.padding[1], dilH: t.dilation[0], dilW: t.dilation[1],
  };
}

const tol = { rtol: 1e-4, atol: 1e-4 };

/** Runs forward and backward (with a random output gradient) and compares all four results. */
async function checkAgainstReference(t: Case, seed: number, weightTol = tol): Promise<void> {
  const g = geometry(t);
  const xData = randomArray(t.images * t.cIn * t.h * t.w, seed);
  const wData = randomArray(t.cOut * t.cIn * t.k[0] * t.k[1], seed + 1);
  const bData = t.bias ? randomArray(t.cOut, seed + 2) : null;
  const x = tensor(xData, [t.images, t.cIn, t.h, t.w]);
  const w = tensor(wData, [t.cOut, t.cIn, t.k[0], t.k[1]]);
  const b = bData ? tensor(bData, [t.cOut]) : null;
  for (const p of [x, w, b]) if (p) p.requiresGrad = true;
  const y = conv2d(x, w, b, { stride: t.stride, padding: t.padding, dilation: t.dilation });
  expect(y.shape).toEqual([t.images, t.cOut, g.outH, g.outW]);
  assertClose(await y.toArray(), conv2dReference(xData, wData, bData, g), tol, 'forward');
  const dyData = randomArray(y.size, seed + 3);
  const dy = tensor(dyData, y.shape);
  backward(y, { grad: dy });
  assertClose(await x.grad!.toArray(), conv2dBackwardInputReference(dyData, wData, g), tol, 'gradient w.r.t. input');
  assertClose(await w.grad!.toArray(), conv2dBackwardWeightReference(dyData, xData, g), weightTol, 'gradient w.r.t. weight');
  if (b) {
    const db = new Float64Array(t.cOut);
    const pixels = g.outH * g.outW;
    for (let i = 0; i < dyData.length; i++) db[Math.floor(i / pixels) % t.cOut] += dyData[i];
    assertClose(await b.grad!.toArray(), db, tol, 'gradient w.r.t. bias');
  }
  for (const p of [x, w, b, y, dy]) p?.dispose();
}

describe.each(strategies)('conv2d (%s GEMM) against float64 references', (strategy) => {
  afterEach(() => forceVariant('gemm', null));
  it.each(cases.map((t, i) => [t.name, t, i] as const))('%s', async (_name, t, i) => {
    forceVariant('gemm', strategy);
    await checkAgainstReference(t, 100 + 10 * i);
  });
});

describe('conv2d on large planes (index decoding of a million pixels)', () => {
  afterEach(() => forceVariant('gemm', null));
  it.each(strategies)('%s GEMM: forward and both gradients of 1x1x1000x1003, 3x3 stride 1 padding 1', async (strategy) => {
    forceVariant('gemm', strategy);
    // the weight gradient sums a million f32 products: tolerance for its rounding, not the indexing
    await checkAgainstReference(c('large', 1, 1, 1000, 1003, 2, [3, 3], [1, 1], [1, 1]), 77, { rtol: 1e-3, atol: 1e-3 });
  });
});

describe('conv2d weight gradient with split-K', () => {
  afterEach(() => {
    setConv2dSplitK(null);
    forceVariant('gemm', null);
  });
  // K = images * OH * OW = 4 * 15 * 13 = 780: chunks of 260, 196 (uneven) and the automatic choice.
  const long = c('long K', 4, 3, 15, 13, 5, [3, 3], [1, 1], [1, 1]);
  for (const strategy of strategies) {
    it.each([1, 3, 4, 7, null])(`${strategy} GEMM, splits %s`, async (splits) => {
      forceVariant('gemm', strategy);
      setConv2dSplitK(splits);
      await checkAgainstReference(long, 900);
    });
  }
  it('rejects a split count that is not a positive integer', () => {
    expect(() => setConv2dSplitK(0)).toThrow(/splits must be an integer >= 1 or null, got 0/);
    expect(() => setConv2dSplitK(1.5)).toThrow(/splits must be an integer >= 1 or null, got 1.5/);
  });
});

describe('conv2d gradients against finite differences', () => {
  it('3x3, stride 2, padding 1, with bias', async () => {
    await gradcheck(
      (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, { stride: 2, padding: 1 }),
      [{ data: randomArray(2 * 2 * 5 * 4, 1), shape: [2, 2, 5, 4] }, { data: randomArray(3 * 2 * 9, 2), shape: [3, 2, 3, 3] }, { data: randomArray(3, 3), shape: [3] }],
    );
  });
  it('dilation 2 without bias, and 1x1 (plain matmul path)', async () => {
    await gradcheck(
      (x: Tensor, w: Tensor) => conv2d(x, w, null, { padding: [2, 1], dilation: [2, 1] }),
      [{ data: randomArray(1 * 3 * 6 * 5, 4), shape: [1, 3, 6, 5] }, { data: randomArray(2 * 3 * 6, 5), shape: [2, 3, 3, 2] }],
    );
    await gradcheck(
      (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b),
      [{ data: randomArray(2 * 3 * 2 * 3, 6), shape: [2, 3, 2, 3] }, { data: randomArray(4 * 3, 7), shape: [4, 3, 1, 1] }, { data: randomArray(4, 8), shape: [4] }],
    );
  });
  it('gradient reaches the input only when the weight is frozen', async () => {
    const x = tensor(randomArray(1 * 2 * 4 * 4, 9), [1, 2, 4, 4]);
    const w = tensor(randomArray(2 * 2 * 3 * 3, 10), [2, 2, 3, 3]);
    x.requiresGrad = true;
    const y = conv2d(x, w, null, { padding: 1 });
    backward(y, { grad: tensor(randomArray(y.size, 11), y.shape) });
    expect(x.grad?.shape).toEqual([1, 2, 4, 4]);
    expect(w.grad).toBeNull();
    for (const t of [x, w, y]) t.dispose();
  });

  it('a trainable bias with a frozen weight (its gradient from a sum, not the weight product)', async () => {
    const w = tensor(randomArray(3 * 2 * 3 * 3, 12), [3, 2, 3, 3]);
    await gradcheck((x: Tensor, b: Tensor) => conv2d(x, w, b, { padding: 1 }), [{ data: randomArray(2 * 2 * 4 * 5, 13), shape: [2, 2, 4, 5] }, { data: randomArray(3, 14), shape: [3] }]);
    w.dispose();
  });
});

describe('conv2d shapes and errors', () => {
  const x = () => tensor(randomArray(2 * 3 * 5 * 5, 1), [2, 3, 5, 5]);
  it('names both shapes when the channel counts differ', () => {
    const a = x();
    const w = tensor(randomArray(4 * 2 * 9, 2), [4, 2, 3, 3]);
    expect(() => conv2d(a, w, null)).toThrow('conv2d: input [2, 3, 5, 5] has 3 channels but weight [4, 2, 3, 3] expects 2 (C_in is dim 1 of both)');
    a.dispose();
    w.dispose();
  });
  it('rejects a kernel larger than the padded input', () => {
    const a = x();
    const w = tensor(randomArray(4 * 3 * 49, 2), [4, 3, 7, 7]);
    expect(() => conv2d(a, w, null)).toThrow('conv2d of input [2, 3, 5, 5] with weight [4, 3, 7, 7]: kernel 7x7 is larger than the padded input 5x5 (input [2, 3, 5, 5], padding 0x0)');
    const fits = conv2d(a, w, null, { padding: 1 });
    expect(fits.shape).toEqual([2, 4, 1, 1]);
    fits.dispose();
    const small = tensor(randomArray(4 * 3 * 9, 3), [4, 3, 3, 3]);
    expect(() => conv2d(a, small, null, { dilation: 3 })).toThrow(/kernel 3x3 \(dilation 3x3: spans 7x7\) is larger than the padded input 5x5/);
    for (const t of [a, w, small]) t.dispose();
  });
  it('rejects bad ranks, bias shapes and options', () => {
    const a = x();
    const w = tensor(randomArray(4 * 3 * 9, 2), [4, 3, 3, 3]);
    const b = tensor(randomArray(5, 3), [5]);
    const flat = tensor(randomArray(75, 4), [3, 5, 5]);
    expect(() => conv2d(flat, w, null)).toThrow('conv2d: input must be (N, C_in, H, W), got [3, 5, 5]');
    expect(() => conv2d(a, flat, null)).toThrow('conv2d: weight must be (C_out, C_in, KH, KW), got [3, 5, 5]');
    expect(() => conv2d(a, w, b)).toThrow('conv2d: bias [5] must be (4) for weight [4, 3, 3, 3]');
    expect(() => conv2d(a, w, null, { stride: 0 })).toThrow('conv2d: stride must be an integer >= 1 or a pair of them, got 0');
    expect(() => conv2d(a, w, null, { padding: [1, -1] })).toThrow('conv2d: padding must be an integer >= 0 or a pair of them, got [1,-1]');
    for (const t of [a, w, b, flat]) t.dispose();
  });
  it('rejects more image pixels than the kernels decode', () => {
    const big = Tensor.empty([1, 1, 4096, 4096]);
    const w = tensor(randomArray(9, 1), [1, 1, 3, 3]);
    expect(() => conv2d(big, w, null, { padding: 1 })).toThrow('conv2d: input [1, 1, 4096, 4096] has 1 x 16777216 pixels; the kernels decode pixel indices below 2^24');
    big.dispose();
    w.dispose();
  });
  it('empty batches give empty outputs', async () => {
    const a = tensor(new Float32Array(0), [0, 3, 5, 5]);
    const w = tensor(randomArray(4 * 3 * 9, 2), [4, 3, 3, 3]);
    const y = conv2d(a, w, null, { padding: 1 });
    expect(y.shape).toEqual([0, 4, 5, 5]);
    expect((await y.toArray()).length).toBe(0);
    for (const t of [a, w, y]) t.dispose();
  });
  it('reads strided views (a channel slice of a larger tensor) correctly', async () => {
    const full = randomArray(2 * 6 * 5 * 5, 12);
    const big = tensor(full, [2, 6, 5, 5]);
    const view = big.slice(1, 1, 4);
    const wData = randomArray(2 * 3 * 9, 13);
    const w = tensor(wData, [2, 3, 3, 3]);
    const y = conv2d(view, w, null, { padding: 1 });
    const sub = new Float32Array(2 * 3 * 25);
    for (let n = 0; n < 2; n++) sub.set(full.subarray((n * 6 + 1) * 25, (n * 6 + 4) * 25), n * 75);
    const g = geometry(c('view', 2, 3, 5, 5, 2, [3, 3], [1, 1], [1, 1]));
    assertClose(await y.toArray(), conv2dReference(sub, wData, null, g), tol, 'strided input');
    for (const t of [big, view, w, y]) t.dispose();
  });
});

describe('nn.Conv2d', () => {
  it('registers weight and bias with PyTorch names, shapes and bounds', async () => {
    manualSeed(3);
    const m = new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1 });
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [6, 4, 3, 3]], ['bias', [6]]]);
    const bound = 1 / Math.sqrt(4 * 9);
    for (const p of m.parameters()) {
      const v = await p.toArray();
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(bound / 2);
    }
    const y = m.forward(tensor(randomArray(2 * 4 * 7 * 8, 1), [2, 4, 7, 8]));
    expect(y.shape).toEqual([2, 6, 4, 4]);
    y.dispose();
    const nb = new nn.Conv2d(3, 5, [1, 3], { bias: false, dilation: [1, 2] });
    expect(nb.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [5, 3, 1, 3]]]);
    expect(() => nb.forward(tensor(randomArray(2 * 4 * 5 * 5, 1), [2, 4, 5, 5]))).toThrow(/Conv2d\(3 -> 5\): input \[2, 4, 5, 5\] has 4 channels/);
    m.dispose();
    nb.dispose();
  });
  it('does not leak over training steps', async () => {
    manualSeed(4);
    const m = new nn.Conv2d(3, 4, 3, { padding: 1 });
    const x = tensor(randomArray(2 * 3 * 6 * 6, 2), [2, 3, 6, 6]);
    const step = async () => {
      const loss = tidy(() => {
        const y = m.forward(x);
        const l = y.mul(y).mean();
        l.backward();
        for (const p of m.parameters()) {
          p.grad?.dispose();
          p.grad = null;
        }
        return l;
      });
      await loss.item();
      loss.dispose();
    };
    await step();
    const before = memory();
    for (let i = 0; i < 5; i++) await step();
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes).toBe(before.liveBytes);
    m.dispose();
    x.dispose();
    await runtime().sync();
  });
});
