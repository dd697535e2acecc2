import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  maxPool2dReference, maxPool2dBackwardReference, avgPool2dReference, avgPool2dBackwardReference, convOutputSize, type Pool2dGeometry,
} from '@fusion/kernels';
import {
  init, runtime, tensor, maxPool2d, avgPool2d, globalAvgPool2d, backward, nn, memory, tidy, Tensor, forceVariant, chooseVariant, adapterFacts, applyTuning, shapeClass, permute,
} from '../index.js';
import { assertClose, gradcheck, hostRng, randomArray } from '../testing.js';

await init();

interface Case {
  name: string;
  shape: number[];
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

const cases: Case[] = [
  { name: 'ResNet: 3x3 stride 2 padding 1, odd non-square image', shape: [2, 3, 11, 9], kernel: [3, 3], stride: [2, 2], padding: [1, 1] },
  { name: '2x2 stride 2 with a ragged edge', shape: [1, 2, 7, 5], kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
  { name: 'non-square 2x3 kernel, stride [1, 2], padding [1, 1]', shape: [2, 1, 6, 8], kernel: [2, 3], stride: [1, 2], padding: [1, 1] },
  { name: 'overlapping 3x3 stride 1, rank-3 input', shape: [4, 5, 6], kernel: [3, 3], stride: [1, 1], padding: [1, 1] },
  { name: '1x1 kernel stride 3', shape: [1, 1, 7, 7], kernel: [1, 1], stride: [3, 3], padding: [0, 0] },
  { name: 'kernel covering the whole plane', shape: [3, 2, 4, 5], kernel: [4, 5], stride: [1, 1], padding: [0, 0] },
  { name: 'one-pixel-high image, 1x4 kernel, stride [1, 3], padding [0, 2]', shape: [1, 3, 1, 9], kernel: [1, 4], stride: [1, 3], padding: [0, 2] },
];

function geometry(t: Case): Pool2dGeometry {
  const [h, w] = t.shape.slice(-2);
  return {
    planes: t.shape.slice(0, -2).reduce((a, b) => a * b, 1), inH: h, inW: w,
    outH: convOutputSize(h, t.kernel[0], t.stride[0], t.padding[0], 1), outW: convOutputSize(w, t.kernel[1], t.stride[1], t.padding[1], 1),
    kH: t.kernel[0], kW: t.kernel[1], strideH: t.stride[0], strideW: t.stride[1], padH: t.padding[0], padW: t.padding[1],
  };
}

/** Small integers, so windows hold many exact ties (first max in scan order must win). */
function tiedArray(n: number, seed: number): Float32Array {
  const r = hostRng(seed);
  return Float32Array.from({ length: n }, () => Math.floor(r() * 3) - 2);
}

const tol = { rtol: 1e-5, atol: 1e-6 };

describe('maxPool2d against float64 references', () => {
  it.each(cases.map((t, i) => [t.name, t, i] as const))('%s (random and tied values)', async (_name, t, i) => {
    const g = geometry(t);
    for (const data of [randomArray(t.shape.reduce((a, b) => a * b, 1), 10 + i), tiedArray(t.shape.reduce((a, b) => a * b, 1), 20 + i)]) {
      const x = tensor(data, t.shape);
      x.requiresGrad = true;
      const y = maxPool2d(x, t.kernel, { stride: t.stride, padding: t.padding });
      expect(y.shape).toEqual([...t.shape.slice(0, -2), g.outH, g.outW]);
      const ref = maxPool2dReference(data, g);
      assertClose(await y.toArray(), ref.values, tol, 'max values');
      const dyData = randomArray(y.size, 30 + i);
      const dy = tensor(dyData, y.shape);
      backward(y, { grad: dy });
      assertClose(await x.grad!.toArray(), maxPool2dBackwardReference(dyData, ref.indices, g), tol, 'max pool gradient');
      for (const u of [x, y, dy]) u.dispose();
    }
  });

  it('pads with -inf, not zero: an all-negative plane keeps its negative maxima', async () => {
    const x = tensor([-5, -4, -3, -2, -1, -6, -7, -8, -9], [1, 1, 3, 3]);
    // 2x2 windows at stride 2 over the padded 5x5: the top-left one holds a single element (-5)
    const y = maxPool2d(x, 2, { stride: 2, padding: 1 });
    expect(Array.from(await y.toArray())).toEqual([-5, -3, -2, -1]);
    x.dispose();
    y.dispose();
  });

  it('covers more rows than one grid dimension holds (70000 planes)', async () => {
    const planes = 70000;
    const data = randomArray(planes * 2, 70);
    const x = tensor(data, [1, planes, 1, 2]);
    x.requiresGrad = true;
    const y = maxPool2d(x, [1, 2]);
    const g: Pool2dGeometry = { planes, inH: 1, inW: 2, outH: 1, outW: 1, kH: 1, kW: 2, strideH: 1, strideW: 2, padH: 0, padW: 0 };
    const ref = maxPool2dReference(data, g);
    assertClose(await y.toArray(), ref.values, tol, 'values');
    const dyData = randomArray(planes, 71);
    backward(y, { grad: tensor(dyData, y.shape) });
    assertClose(await x.grad!.toArray(), maxPool2dBackwardReference(dyData, ref.indices, g), tol, 'gradient');
    x.dispose();
    y.dispose();
  });

  it('sends a tied window\'s gradient to the first maximum in scan order only', async () => {
    const x = tensor([1, 1, 1, 1], [1, 1, 2, 2]);
    x.requiresGrad = true;
    const y = maxPool2d(x, 2);
    backward(y, { grad: tensor([3], [1, 1, 1, 1]) });
    expect(Array.from(await x.grad!.toArray())).toEqual([3, 0, 0, 0]);
    x.dispose();
    y.dispose();
  });
});

describe('avgPool2d against float64 references', () => {
  for (const countIncludePad of [true, false]) {
    it.each(cases.map((t, i) => [t.name, t, i] as const))(`%s (countIncludePad ${countIncludePad})`, async (_name, t, i) => {
      const g = geometry(t);
      const data = randomArray(t.shape.reduce((a, b) => a * b, 1), 40 + i);
      const x = tensor(data, t.shape);
      x.requiresGrad = true;
      const y = avgPool2d(x, t.kernel, { stride: t.stride, padding: t.padding, countIncludePad });
      assertClose(await y.toArray(), avgPool2dReference(data, g, countIncludePad), tol, 'averages');
      const dyData = randomArray(y.size, 50 + i);
      const dy = tensor(dyData, y.shape);
      backward(y, { grad: dy });
      assertClose(await x.grad!.toArray(), avgPool2dBackwardReference(dyData, g, countIncludePad), tol, 'average pool gradient');
      for (const u of [x, y, dy]) u.dispose();
    });
  }

  it('stride defaults to the kernel, and the padding divisor differs between the modes', async () => {
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    expect(Array.from(await avgPool2d(x, 2).toArray())).toEqual([2.5]);
    // padding 1, kernel 2, stride 2: each window holds one element and three zeros of padding
    expect(Array.from(await avgPool2d(x, 2, { padding: 1 }).toArray())).toEqual([0.25, 0.5, 0.75, 1]);
    expect(Array.from(await avgPool2d(x, 2, { padding: 1, countIncludePad: false }).toArray())).toEqual([1, 2, 3, 4]);
    x.dispose();
  });
});

describe('globalAvgPool2d', () => {
  it('averages each plane to (N, C) and spreads the gradient evenly', async () => {
    const data = randomArray(2 * 3 * 5 * 7, 60);
    const x = tensor(data, [2, 3, 5, 7]);
    x.requiresGrad = true;
    const y = globalAvgPool2d(x);
    expect(y.shape).toEqual([2, 3]);
    const expected = Array.from({ length: 6 }, (_, p) => data.slice(p * 35, (p + 1) * 35).reduce((s, v) => s + v, 0) / 35);
    assertClose(await y.toArray(), expected, tol, 'plane means');
    const dy = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    backward(y, { grad: dy });
    const grad = await x.grad!.toArray();
    assertClose(grad, Float32Array.from({ length: 210 }, (_, i) => (Math.floor(i / 35) + 1) / 35), tol, 'spread gradient');
    for (const u of [x, y, dy]) u.dispose();
  });
  it('rejects inputs that are not (N, C, H, W) or have no pixels', () => {
    const x = tensor(randomArray(6, 1), [2, 3]);
    expect(() => globalAvgPool2d(x)).toThrow('globalAvgPool2d: input must be (N, C, H, W), got [2, 3]');
    const e = tensor(new Float32Array(0), [2, 3, 0, 4]);
    expect(() => globalAvgPool2d(e)).toThrow('globalAvgPool2d: input [2, 3, 0, 4] has no pixels to average');
    x.dispose();
    e.dispose();
  });
});

// The vec4 kernels need W and OW multiples of 4; every other size is ragged here (odd planes and
// heights, a partial last group of 8 outputs, strides 1 to 3, non-square windows, padding).
const vec4Cases: Case[] = [
  { name: 'ResNet stem: 3x3 stride 2 padding 1', shape: [2, 3, 9, 16], kernel: [3, 3], stride: [2, 2], padding: [1, 1] },
  { name: '2x2 stride 2, 3 output vec4s (a partial group)', shape: [1, 5, 7, 24], kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
  { name: 'overlapping 3x3 stride 1', shape: [2, 2, 5, 8], kernel: [3, 3], stride: [1, 1], padding: [1, 1] },
  { name: 'non-square 2x3 kernel, stride [1, 2], padding [1, 1]', shape: [2, 1, 6, 8], kernel: [2, 3], stride: [1, 2], padding: [1, 1] },
  { name: '3x3 stride 3 padding 1', shape: [1, 3, 8, 24], kernel: [3, 3], stride: [3, 3], padding: [1, 1] },
  { name: '1x1 kernel', shape: [3, 3, 4], kernel: [1, 1], stride: [1, 1], padding: [0, 0] },
];

/** The pooling kernels a call ran (from a profile of it). */
async function poolKernelsOf(fn: () => void): Promise<string[]> {
  const kernels = await runtime().profile(() => tidy(fn));
  return kernels.map((k) => k.kernel.split('/')[0]).filter((name) => name.includes('pool2d')).sort();
}

describe.each(['rows', 'vec4'] as const)('pooling with the %s kernels forced', (structure) => {
  beforeAll(() => forceVariant('pool', structure));
  afterAll(() => forceVariant('pool', null));

  it.each([...vec4Cases, ...cases].map((t, i) => [t.name, t, i] as const))('%s: max and average pooling, forward and backward, against float64', async (_name, t, i) => {
    const g = geometry(t);
    const n = t.shape.reduce((a, b) => a * b, 1);
    for (const data of [randomArray(n, 80 + i), tiedArray(n, 90 + i)]) {
      const x = tensor(data, t.shape);
      x.requiresGrad = true;
      const y = maxPool2d(x, t.kernel, { stride: t.stride, padding: t.padding });
      const ref = maxPool2dReference(data, g);
      assertClose(await y.toArray(), ref.values, tol, 'max values');
      const dyData = randomArray(y.size, 100 + i);
      const dy = tensor(dyData, y.shape);
      backward(y, { grad: dy });
      assertClose(await x.grad!.toArray(), maxPool2dBackwardReference(dyData, ref.indices, g), tol, 'max pool gradient');
      for (const countIncludePad of [true, false]) {
        x.grad!.dispose();
        x.grad = null;
        const a = avgPool2d(x, t.kernel, { stride: t.stride, padding: t.padding, countIncludePad });
        assertClose(await a.toArray(), avgPool2dReference(data, g, countIncludePad), tol, `averages (countIncludePad ${countIncludePad})`);
        backward(a, { grad: dy });
        assertClose(await x.grad!.toArray(), avgPool2dBackwardReference(dyData, g, countIncludePad), tol, `average pool gradient (countIncludePad ${countIncludePad})`);
        a.dispose();
      }
      for (const u of [x, y, dy]) u.dispose();
    }
  });

  it('runs its own kernels where they fit (forward with and without argmax, both backwards)', async () => {
    const t = vec4Cases[0];
    const x = tensor(randomArray(t.shape.reduce((a, b) => a * b, 1), 110), t.shape);
    const pool = (v: Tensor) => {
      backward(maxPool2d(v, t.kernel, { stride: t.stride, padding: t.padding }).sum());
      backward(avgPool2d(v, t.kernel, { stride: t.stride, padding: t.padding }).sum());
    };
    const suffix = structure === 'vec4' ? '_vec4' : '';
    expect(await poolKernelsOf(() => {
      const leaf = x.detach();
      leaf.requiresGrad = true;
      pool(leaf);
    })).toEqual(['avg_pool2d', 'avg_pool2d_backward', 'max_pool2d', 'max_pool2d_backward'].map((k) => k + suffix).sort());
    // without autograd the max forward writes no argmaxes, and the values stay the same
    const values = maxPool2d(x, t.kernel, { stride: t.stride, padding: t.padding });
    assertClose(await values.toArray(), maxPool2dReference(await x.toArray(), geometry(t)).values, tol, 'max values without argmax');
    for (const u of [x, values]) u.dispose();
  });

  it('takes the output gradient as any view: expanded (a sum\'s), permuted, at offsets', async () => {
    const t = vec4Cases[0];
    const g = geometry(t);
    const [N, C] = t.shape;
    const data = randomArray(t.shape.reduce((a, b) => a * b, 1), 150);
    const x = tensor(data, t.shape);
    x.requiresGrad = true;
    const size = N * C * g.outH * g.outW;
    const gs = randomArray(size + 4, 151);
    const nhwc = tensor(gs.slice(0, size), [N, g.outH, g.outW, C]);
    const flat = tensor(gs, [gs.length]);
    const one = tensor([1.5], [1, 1, 1, 1]);
    const outStrides = [C * g.outH * g.outW, g.outH * g.outW, g.outW, 1];
    const views: [string, () => Tensor, Float32Array][] = [
      ['expanded', () => one.expand([N, C, g.outH, g.outW]), new Float32Array(size).fill(1.5)],
      ['permuted', () => permute(nhwc, [0, 3, 1, 2]), Float32Array.from({ length: size }, (_, i) => {
        const [n, c, oy, ox] = [Math.floor(i / (C * g.outH * g.outW)), Math.floor(i / (g.outH * g.outW)) % C, Math.floor(i / g.outW) % g.outH, i % g.outW];
        return gs[((n * g.outH + oy) * g.outW + ox) * C + c];
      })],
      ['offset 3', () => flat.view([N, C, g.outH, g.outW], outStrides, 3), gs.slice(3, 3 + size)],
      ['offset 4 (vec4s)', () => flat.view([N, C, g.outH, g.outW], outStrides, 4), gs.slice(4)],
    ];
    const pooling = { stride: t.stride, padding: t.padding };
    const ref = maxPool2dReference(data, g);
    for (const kind of ['max', 'avg'] as const) {
      const y = kind === 'max' ? maxPool2d(x, t.kernel, pooling) : avgPool2d(x, t.kernel, pooling);
      for (const [name, view, dense] of views) {
        const kernels = await runtime().profile(() => tidy(() => {
          backward(y, { grad: view(), retainGraph: true });
        }));
        if (structure === 'vec4') expect(kernels.map((k) => k.kernel), name).not.toContain('copy/default');
        const expected = kind === 'max' ? maxPool2dBackwardReference(dense, ref.indices, g) : avgPool2dBackwardReference(dense, g, true);
        assertClose(await x.grad!.toArray(), expected, tol, `${kind} pool dx from a ${name} gradient`);
        x.grad!.dispose();
        x.grad = null;
      }
      y.dispose();
    }
    for (const u of [x, nhwc, flat, one]) u.dispose();
  });

  it('finite differences (3x3 stride 2 padding 1; 2x3 stride [1, 2] average)', async () => {
    const distinct = (n: number, seed: number) => {
      const r = hostRng(seed);
      const order = Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
      return Float32Array.from(order, (v) => 0.1 * v - 0.05 * n);
    };
    await gradcheck((x: Tensor) => maxPool2d(x, 3, { stride: 2, padding: 1 }), [{ data: distinct(2 * 3 * 8, 7), shape: [1, 2, 3, 8] }]);
    await gradcheck((x: Tensor) => avgPool2d(x, [2, 3], { stride: [1, 2], padding: [1, 1], countIncludePad: false }), [{ data: randomArray(2 * 3 * 8, 8), shape: [1, 2, 3, 8] }]);
  });
});

describe('pooling structure choice', () => {
  afterEach(() => {
    forceVariant('pool', null);
    applyTuning([]);
  });

  it('is vec4 on CPU adapters and rows on GPUs', () => {
    expect(chooseVariant('pool', 6, 9, 16, 9).variant).toBe(adapterFacts().software ? 'vec4' : 'rows');
  });

  it('falls back to the rows kernels where W or OW is not a multiple of 4, the input offset is not, or the window does not fit', async () => {
    forceVariant('pool', 'vec4');
    const run = (x: Tensor, k: number, s: number, p: number) => poolKernelsOf(() => {
      maxPool2d(x, k, { stride: s, padding: p });
    });
    const odd = tensor(randomArray(2 * 7 * 9, 120), [1, 2, 7, 9]);
    expect(await run(odd, 3, 2, 1)).toEqual(['max_pool2d']);
    const flat = tensor(randomArray(1 + 2 * 4 * 8, 121), [1 + 2 * 4 * 8]);
    const shifted = flat.view([1, 2, 4, 8], [64, 32, 8, 1], 1);
    expect(shifted.isContiguous).toBe(true);
    expect(await run(shifted, 2, 2, 0)).toEqual(['max_pool2d']);
    const y = maxPool2d(shifted, 2, { stride: 2 });
    const g: Pool2dGeometry = { planes: 2, inH: 4, inW: 8, outH: 2, outW: 4, kH: 2, kW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 };
    assertClose(await y.toArray(), maxPool2dReference((await flat.toArray()).slice(1), g).values, tol, 'offset input');
    const wide = tensor(randomArray(2 * 16 * 64, 122), [1, 2, 16, 64]);
    expect(await run(wide, 16, 16, 0)).toEqual(['max_pool2d']); // a 16-wide window at stride 16: 8 vec4s do not hold 4 windows
    expect(await run(wide, 2, 2, 0)).toEqual(['max_pool2d_vec4']);
    for (const u of [odd, flat, y, wide]) u.dispose();
  });

  it('vec4 kernels cover more rows than one grid dimension holds (70000 input rows)', async () => {
    forceVariant('pool', 'vec4');
    const t: Case = { name: 'many rows', shape: [1, 35000, 2, 8], kernel: [2, 2], stride: [2, 2], padding: [0, 0] };
    const g = geometry(t);
    const data = randomArray(35000 * 16, 140);
    const x = tensor(data, t.shape);
    x.requiresGrad = true;
    const y = maxPool2d(x, 2);
    const ref = maxPool2dReference(data, g);
    assertClose(await y.toArray(), ref.values, tol, 'values');
    const dyData = randomArray(y.size, 141);
    backward(y, { grad: tensor(dyData, y.shape) });
    assertClose(await x.grad!.toArray(), maxPool2dBackwardReference(dyData, ref.indices, g), tol, 'gradient');
    expect(await poolKernelsOf(() => {
      maxPool2d(x.detach(), 2);
    })).toEqual(['max_pool2d_vec4']);
    x.dispose();
    y.dispose();
  });

  it.each([{ OUT_VEC4: 1 }, { OUT_ROWS: 1 }, { OUT_VEC4: 1, OUT_ROWS: 1 }])('takes the forwards\' constants %o from a tuned entry (against float64)', async (constants) => {
    for (const t of [vec4Cases[0], vec4Cases[1], vec4Cases[4]]) {
      const g = geometry(t);
      applyTuning([{ kernel: 'pool', shapeClass: shapeClass(g.planes, g.inH, g.inW, g.kH * g.kW), variant: 'vec4', constants }]);
      expect(chooseVariant('pool', g.planes, g.inH, g.inW, g.kH * g.kW).constants).toEqual(constants);
      const data = randomArray(t.shape.reduce((a, b) => a * b, 1), 130);
      const x = tensor(data, t.shape);
      const pooling = { stride: t.stride, padding: t.padding };
      const y = avgPool2d(x, t.kernel, pooling);
      assertClose(await y.toArray(), avgPool2dReference(data, g, true), tol, `${t.name}: averages`);
      const m = maxPool2d(x, t.kernel, pooling);
      assertClose(await m.toArray(), maxPool2dReference(data, g).values, tol, `${t.name}: maxima`);
      for (const u of [x, y, m]) u.dispose();
    }
  });
});

describe('pooling gradients against finite differences', () => {
  /** Distinct values 0.1 apart (no ties within the finite-difference step). */
  function distinct(n: number, seed: number): Float32Array {
    const r = hostRng(seed);
    const order = Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
    return Float32Array.from(order, (v) => 0.1 * v - 0.05 * n);
  }
  it('maxPool2d (3x3, stride 2, padding 1)', async () => {
    await gradcheck((x: Tensor) => maxPool2d(x, 3, { stride: 2, padding: 1 }), [{ data: distinct(2 * 2 * 5 * 6, 1), shape: [2, 2, 5, 6] }]);
  });
  it('avgPool2d both ways, and globalAvgPool2d', async () => {
    await gradcheck((x: Tensor) => avgPool2d(x, [3, 2], { stride: [2, 1], padding: [1, 1] }), [{ data: randomArray(2 * 5 * 4, 2), shape: [1, 2, 5, 4] }]);
    await gradcheck((x: Tensor) => avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [{ data: randomArray(2 * 5 * 4, 3), shape: [1, 2, 5, 4] }]);
    await gradcheck((x: Tensor) => globalAvgPool2d(x), [{ data: randomArray(2 * 3 * 3 * 2, 4), shape: [2, 3, 3, 2] }]);
  });
});

describe('pooling errors and modules', () => {
  it('names the shapes when the kernel is larger than the padded input, or the padding too large', () => {
    const x = tensor(randomArray(2 * 3 * 4 * 4, 1), [2, 3, 4, 4]);
    expect(() => maxPool2d(x, 5)).toThrow('maxPool2d of input [2, 3, 4, 4]: kernel 5x5 is larger than the padded input 4x4 (input [2, 3, 4, 4], padding 0x0)');
    expect(() => avgPool2d(x, [2, 7], { padding: [0, 1] })).toThrow('avgPool2d of input [2, 3, 4, 4]: kernel 2x7 is larger than the padded input 4x6 (input [2, 3, 4, 4], padding 0x1)');
    const fits = avgPool2d(x, [2, 6], { padding: [0, 1] });
    expect(fits.shape).toEqual([2, 3, 2, 1]);
    fits.dispose();
    expect(() => maxPool2d(x, 3, { padding: 2 })).toThrow('maxPool2d: padding 2x2 must be at most half the kernel 3x3 (input [2, 3, 4, 4])');
    const flat = tensor(randomArray(16, 2), [4, 4]);
    expect(() => maxPool2d(flat, 2)).toThrow('maxPool2d: input must be (N, C, H, W) or (C, H, W), got [4, 4]');
    expect(() => avgPool2d(x, 0)).toThrow('avgPool2d: kernel must be an integer >= 1 or a pair of them, got 0');
    x.dispose();
    flat.dispose();
  });
  it('nn.MaxPool2d and nn.AvgPool2d apply their options and do not leak', async () => {
    const mp = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    const ap = new nn.AvgPool2d(2);
    expect(mp.parameters()).toEqual([]);
    const x = tensor(randomArray(2 * 3 * 8 * 8, 5), [2, 3, 8, 8]);
    x.requiresGrad = true;
    const step = async () => {
      const loss = tidy(() => {
        const l = ap.forward(mp.forward(x)).mean();
        l.backward();
        return l;
      });
      await loss.item();
      loss.dispose();
      x.grad?.dispose();
      x.grad = null;
    };
    await step();
    const before = memory();
    for (let i = 0; i < 3; i++) await step();
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes).toBe(before.liveBytes);
    const y = tidy(() => ap.forward(mp.forward(x)));
    expect(y.shape).toEqual([2, 3, 2, 2]);
    y.dispose();
    x.dispose();
  });
});
