import { afterAll, describe, expect, it } from 'vitest';
import {
  conv2dReference, conv2dBackwardInputReference, conv2dBackwardWeightReference, convOutputSize, GEMM_F16_STRATEGIES, type Conv2dGeometry,
} from '@fusion/kernels';
import { init, tensor, conv2d, cast, setConv2dSplitK, backward, autocast, adapterFacts, forceVariant, Tensor } from '../index.js';
import { assertWithinF16Bound, gradcheck, randomArray } from '../testing.js';

await init();
afterAll(() => {
  forceVariant('gemm-f16', null);
  setConv2dSplitK(null);
});

const strategies = GEMM_F16_STRATEGIES.filter((s) => s !== 'subgroup-matrix' || adapterFacts().subgroupMatrixF16);
const abs = (x: ArrayLike<number>) => Float64Array.from(x, Math.abs);

type Case = [name: string, images: number, cIn: number, h: number, w: number, cOut: number, k: [number, number], stride: [number, number], pad: [number, number], dil: [number, number]];
const cases: Case[] = [
  ['3x3 same, several images', 2, 3, 7, 9, 5, [3, 3], [1, 1], [1, 1], [1, 1]],
  ['3x3 stride 2 padding 1', 1, 4, 11, 8, 6, [3, 3], [2, 2], [1, 1], [1, 1]],
  ['3x3 dilation 2', 2, 5, 9, 10, 3, [3, 3], [1, 1], [2, 2], [2, 2]],
  ['1x1 (plain matmul path)', 3, 7, 5, 6, 9, [1, 1], [1, 1], [0, 0], [1, 1]],
  ['7x7 stride 2 padding 3 (ResNet stem)', 1, 3, 19, 17, 10, [7, 7], [2, 2], [3, 3], [1, 1]],
  ['C_in 17, C_out 19, 2x3 kernel, stride [2, 1]', 2, 17, 8, 7, 19, [2, 3], [2, 1], [0, 1], [1, 2]],
];

function geometry(t: Case): Conv2dGeometry {
  const [, images, cIn, inH, inW, cOut, k, stride, pad, dil] = t;
  return {
    images, cIn, inH, inW, cOut, kH: k[0], kW: k[1], outH: convOutputSize(inH, k[0], stride[0], pad[0], dil[0]), outW: convOutputSize(inW, k[1], stride[1], pad[1], dil[1]),
    strideH: stride[0], strideW: stride[1], padH: pad[0], padW: pad[1], dilH: dil[0], dilW: dil[1],
  };
}

describe.each(strategies)('f16 conv2d (%s kernel) against float64, within the f16 bound', (strategy) => {
  it.each(cases)('%s: forward, dx and dW', async (...t) => {
    forceVariant('gemm-f16', strategy);
    const g = geometry(t);
    const x = randomArray(g.images * g.cIn * g.inH * g.inW, 1, -2, 2);
    const w = randomArray(g.cOut * g.cIn * g.kH * g.kW, 2);
    const bias = randomArray(g.cOut, 3);
    const dy = randomArray(g.images * g.cOut * g.outH * g.outW, 4);
    const tx = tensor(x, [g.images, g.cIn, g.inH, g.inW]);
    const tw = tensor(w, [g.cOut, g.cIn, g.kH, g.kW]);
    const tb = tensor(bias, [g.cOut]);
    for (const p of [tx, tw, tb]) p.requiresGrad = true;
    const y = autocast(() => conv2d(tx, tw, tb, { stride: t[7], padding: t[8], dilation: t[9] }));
    expect(y.dtype).toBe('f32');
    const withBias = conv2dReference(x, w, bias, g);
    const absProduct = conv2dReference(abs(x), abs(w), null, g);
    assertWithinF16Bound(await y.toArray(), withBias, absProduct, g.cIn * g.kH * g.kW, 'forward');
    const tdy = tensor(dy, y.shape);
    backward(y, { grad: tdy });
    assertWithinF16Bound(await tx.grad!.toArray(), conv2dBackwardInputReference(dy, w, g), conv2dBackwardInputReference(abs(dy), abs(w), g), g.cOut * g.kH * g.kW, 'dx');
    assertWithinF16Bound(await tw.grad!.toArray(), conv2dBackwardWeightReference(dy, x, g), conv2dBackwardWeightReference(abs(dy), abs(x), g), g.images * g.outH * g.outW, 'dW');
    // db: the sums of dy over images and pixels, the bias column of the same f16 product
    const pixels = g.outH * g.outW;
    const db = new Float64Array(g.cOut);
    const dbAbs = new Float64Array(g.cOut);
    for (let i = 0; i < dy.length; i++) {
      const co = Math.floor(i / pixels) % g.cOut;
      db[co] += dy[i];
      dbAbs[co] += Math.abs(dy[i]);
    }
    assertWithinF16Bound(await tb.grad!.toArray(), db, dbAbs, g.images * pixels, 'db');
    for (const p of [tx, tw, tb, y, tdy]) p.dispose();
  });

  it('split-K weight gradient (3 chunks) and f16 inputs given directly', async () => {
    forceVariant('gemm-f16', strategy);
    setConv2dSplitK(3);
    const t = cases[0];
    const g = geometry(t);
    const x = randomArray(g.images * g.cIn * g.inH * g.inW, 5);
    const w = randomArray(g.cOut * g.cIn * g.kH * g.kW, 6);
    const dy = randomArray(g.images * g.cOut * g.outH * g.outW, 7);
    const x16 = tensor(x, [g.images, g.cIn, g.inH, g.inW], 'f16');
    const w16 = tensor(w, [g.cOut, g.cIn, g.kH, g.kW], 'f16');
    x16.requiresGrad = true;
    w16.requiresGrad = true;
    const y = conv2d(x16, w16, null, { padding: 1 });
    const tdy = tensor(dy, y.shape);
    backward(y, { grad: tdy });
    expect(w16.grad!.dtype).toBe('f32');
    assertWithinF16Bound(await w16.grad!.toArray(), conv2dBackwardWeightReference(dy, x, g), conv2dBackwardWeightReference(abs(dy), abs(x), g), g.images * g.outH * g.outW, 'split-K dW');
    setConv2dSplitK(null);
    for (const p of [x16, w16, y, tdy]) p.dispose();
  });

  it('gradients by finite differences (inputs on the f16-exact 2^-6 grid)', async () => {
    forceVariant('gemm-f16', strategy);
    const grid = (n: number, seed: number) => randomArray(n, seed).map((v) => Math.round(v * 64) / 64);
    const f = (x: Tensor, w: Tensor) => conv2d(cast(x, 'f16'), cast(w, 'f16'), null, { stride: 2, padding: 1 });
    await gradcheck(f, [{ data: grid(2 * 2 * 5 * 4, 1), shape: [2, 2, 5, 4] }, { data: grid(3 * 2 * 3 * 3, 2), shape: [3, 2, 3, 3] }], { eps: 2 ** -6, rtol: 5e-3, atol: 1e-3 });
  });
});

describe('f16 conv2d dtypes', () => {
  it('refuses an f16 input with an f32 weight, naming both', () => {
    const x = tensor(randomArray(2 * 3 * 4 * 4, 1), [2, 3, 4, 4], 'f16');
    const w = tensor(randomArray(5 * 3 * 3 * 3, 2), [5, 3, 3, 3]);
    expect(() => conv2d(x, w, null)).toThrow(/conv2d: input is f16 but weight is f32; the operands must be both f32 or both f16/);
    x.dispose();
    w.dispose();
  });
});
