// Grids past the per-dimension workgroup limit: the kernels that index by workgroup id (the GEMM
// family, convolutions included, and the attention row kernels) are split by the runtime into
// repeated dispatches with offsets (wg_base). The split limit is lowered through the runtime's
// test hook so small tensors exercise it; one convolution crosses the real 65,535 limit. The
// kernels with a workgroup per channel or row (BatchNorm's fused strategy, LayerNorm's workgroup
// kernels with add & norm) fold their grids into 2-D, and the elementwise GRID launch is taken
// only where its grid fits: each is run past 65,535 here (every spec's dispatch function is
// checked for sizes up to 2^30 in @fusion/kernels' dispatch-grid.test.ts).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  conv2dReference, conv2dBackwardInputReference, conv2dBackwardWeightReference, convOutputSize, matmulReference,
  attentionReference, attentionBackwardReference, GEMM_VARIANTS, MAX_WORKGROUPS_PER_DIM, splitGrid, batchNormReference,
  batchNormBackwardReference, layerNormReference, layerNormBackwardReference, type Conv2dGeometry, type AttentionDims,
} from '@fusion/kernels';
import {
  init, runtime, tensor, conv2d, matmul, attention, backward, setConv2dSplitK, hasSubgroupGemm, forceVariant, batchNorm2d,
  layerNorm, permute, contiguous,
} from '../index.js';
import { assertClose, randomArray, runConstants } from '../testing.js';

await init();
const strategies = GEMM_VARIANTS.filter((s) => s !== 'subgroup' || hasSubgroupGemm());
const tol = { rtol: 1e-4, atol: 1e-4 };

afterEach(() => runtime().setGridSplitLimitForTests(null));
afterAll(() => {
  forceVariant('gemm', null);
  setConv2dSplitK(null);
  forceVariant('attention', null);
  forceVariant('attention-backward', null);
  forceVariant('batchnorm', null);
  forceVariant('layernorm', null);
});

describe('splitGrid', () => {
  it('covers every workgroup once, no piece past the limit', () => {
    const grid: [number, number, number] = [7, 3, 5];
    const seen = new Set<string>();
    for (const p of splitGrid(grid, 2)) {
      expect(p.size.every((n) => n >= 1 && n <= 2)).toBe(true);
      for (let z = 0; z < p.size[2]; z++) for (let y = 0; y < p.size[1]; y++) for (let x = 0; x < p.size[0]; x++) {
        const key = `${p.base[0] + x},${p.base[1] + y},${p.base[2] + z}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
    }
    expect(seen.size).toBe(7 * 3 * 5);
    expect(splitGrid([3, 1, 1], 65535)).toEqual([{ base: [0, 0, 0], size: [3, 1, 1] }]);
  });
});

function convGeometry(images: number, cIn: number, h: number, w: number, cOut: number, k: number, stride: number, pad: number): Conv2dGeometry {
  return {
    images, cIn, inH: h, inW: w, cOut, kH: k, kW: k,
    outH: convOutputSize(h, k, stride, pad, 1), outW: convOutputSize(w, k, stride, pad, 1),
    strideH: stride, strideW: stride, padH: pad, padW: pad, dilH: 1, dilW: 1,
  };
}

describe.each(strategies)('GEMM family split into one dispatch per workgroup (%s)', (strategy) => {
  it('conv2d forward, backward input (stride phases) and backward weight (split-K) against float64', async () => {
    forceVariant('gemm', strategy);
    setConv2dSplitK(3);
    const g = convGeometry(2, 3, 15, 13, 150, 3, 2, 1);
    const xData = randomArray(g.images * g.cIn * g.inH * g.inW, 1);
    const wData = randomArray(g.cOut * g.cIn * 9, 2);
    const bData = randomArray(g.cOut, 3);
    const x = tensor(xData, [g.images, g.cIn, g.inH, g.inW]);
    const w = tensor(wData, [g.cOut, g.cIn, 3, 3]);
    const b = tensor(bData, [g.cOut]);
    for (const p of [x, w, b]) p.requiresGrad = true;
    runtime().setGridSplitLimitForTests(1);
    const before = runtime().stats.dispatches;
    const y = conv2d(x, w, b, { stride: [2, 2], padding: [1, 1] });
    expect(runtime().stats.dispatches - before).toBeGreaterThan(1);
    assertClose(await y.toArray(), conv2dReference(xData, wData, bData, g), tol, 'forward');
    const dyData = randomArray(y.size, 4);
    const dy = tensor(dyData, y.shape);
    backward(y, { grad: dy });
    assertClose(await x.grad!.toArray(), conv2dBackwardInputReference(dyData, wData, g), tol, 'gradient w.r.t. input');
    assertClose(await w.grad!.toArray(), conv2dBackwardWeightReference(dyData, xData, g), { rtol: 1e-3, atol: 1e-3 }, 'gradient w.r.t. weight');
    // the bias gradient: the extra column of the weight gradient's product
    const pixels = g.outH * g.outW;
    const db = new Float64Array(g.cOut);
    dyData.forEach((v, i) => (db[Math.floor(i / pixels) % g.cOut] += v));
    assertClose(await b.grad!.toArray(), db, { rtol: 1e-3, atol: 1e-3 }, 'gradient w.r.t. bias');
    for (const t of [x, w, b, y, dy]) t.dispose();
  });

  it('batched matmul against float64', async () => {
    forceVariant('gemm', strategy);
    const [batch, M, K, N] = [3, 41, 13, 70];
    const aData = randomArray(batch * M * K, 5);
    const bData = randomArray(batch * K * N, 6);
    const a = tensor(aData, [batch, M, K]);
    const b = tensor(bData, [batch, K, N]);
    runtime().setGridSplitLimitForTests(1);
    const c = matmul(a, b);
    assertClose(await c.toArray(), matmulReference(aData, bData, batch, M, K, N), tol, 'matmul');
    for (const t of [a, b, c]) t.dispose();
  });
});

/**
 * Attention forward and backward with the grid split limit lowered to 2, against float64: the
 * forward kernel and backward path forced as given.
 */
async function checkSplitAttention(kind: 'lines' | 'tiled' | 'subgroup', path: 'fused' | 'gemm', g: AttentionDims): Promise<void> {
  forceVariant('attention', kind);
  forceVariant('attention-backward', path);
  const q = randomArray(g.batch * g.heads * g.lenQ * g.dim, 7, -2, 2);
  const k = randomArray(g.batch * g.heads * g.lenK * g.dim, 8, -2, 2);
  const v = randomArray(g.batch * g.heads * g.lenK * g.dimV, 9);
  const go = randomArray(g.batch * g.heads * g.lenQ * g.dimV, 10);
  const tq = tensor(q, [g.batch, g.heads, g.lenQ, g.dim]);
  const tk = tensor(k, [g.batch, g.heads, g.lenK, g.dim]);
  const tv = tensor(v, [g.batch, g.heads, g.lenK, g.dimV]);
  const tgo = tensor(go, [g.batch, g.heads, g.lenQ, g.dimV]);
  for (const t of [tq, tk, tv]) t.requiresGrad = true;
  runtime().setGridSplitLimitForTests(2);
  const scale = 0.5;
  const y = attention(tq, tk, tv, { scale });
  assertClose(await y.toArray(), attentionReference(q, k, v, null, g, scale).out, tol, 'attention output');
  backward(y, { grad: tgo });
  const ref = attentionBackwardReference(q, k, v, null, go, g, scale);
  assertClose(await tq.grad!.toArray(), ref.dq, { rtol: 1e-3, atol: 1e-4 }, 'dQ');
  assertClose(await tk.grad!.toArray(), ref.dk, { rtol: 1e-3, atol: 1e-4 }, 'dK');
  assertClose(await tv.grad!.toArray(), ref.dv, { rtol: 1e-3, atol: 1e-4 }, 'dV');
  for (const t of [tq, tk, tv, tgo, y]) t.dispose();
}

// The subgroup forward reads vec4s: its case has head dims that are multiples of 4.
const attentionKinds = [['lines', 5], ['tiled', 5], ...(hasSubgroupGemm() ? [['subgroup', 8]] : [])] as const;

describe.each(attentionKinds)('attention row kernels split (%s)', (kind, dim) => {
  it('forward and fused backward against float64', async () => {
    await checkSplitAttention(kind, 'fused', { batch: 2, heads: 3, lenQ: 21, lenK: 10, dim, dimV: 4 });
  });
});

it.each([10, 12])('attention GEMM backward split (Lk %i: scalar and vec4 row kernels) against float64', async (lenK) => {
  await checkSplitAttention('lines', 'gemm', { batch: 2, heads: 3, lenQ: 21, lenK, dim: 5, dimV: 4 });
});

it('a convolution whose grid crosses the device limit (65,535) itself matches float64', async () => {
  forceVariant('gemm', null);
  setConv2dSplitK(null);
  // 4.2M output pixels: more than 65,535 column tiles for every entry point (tiles of <= 64 columns)
  const g = convGeometry(1, 1, 2049, 2049, 1, 3, 1, 1);
  const xData = randomArray(g.inH * g.inW, 11);
  const wData = randomArray(9, 12);
  const x = tensor(xData, [1, 1, g.inH, g.inW]);
  const w = tensor(wData, [1, 1, 3, 3]);
  const y = conv2d(x, w, null, { padding: [1, 1] });
  assertClose(await y.toArray(), conv2dReference(xData, wData, null, g), tol, 'forward');
  for (const t of [x, w, y]) t.dispose();
}, 60_000);

// More channels or rows than one grid dimension holds: 70,000 (> 65,535) of a few elements each.
const PAST_LIMIT = 70_000;

it('BatchNorm fused strategy (a workgroup per channel) over 70,000 channels, with residual and ReLU, against float64', async () => {
  forceVariant('batchnorm', 'fused');
  const [C, plane] = [PAST_LIMIT, 2];
  const n = C * plane;
  const xs = randomArray(n, 13, -2, 2);
  const rs = randomArray(n, 14, -1, 1);
  const ws = randomArray(C, 15, 0.5, 1.5);
  const bs = randomArray(C, 16, -0.5, 0.5);
  const [x, r, w, b] = [[xs, [1, C, 1, plane]], [rs, [1, C, 1, plane]], [ws, [C]], [bs, [C]]].map(([d, shape]) => {
    const t = tensor(d as Float32Array, shape as number[]);
    t.requiresGrad = true;
    return t;
  });
  const y = batchNorm2d(x, w, b, null, null, { training: true, eps: 1e-5, activation: 'relu', residual: r });
  const ref = batchNormReference(xs, 1, C, plane, ws, bs, { training: true, eps: 1e-5, momentum: 0.1 });
  const z = ref.y.map((v, i) => v + rs[i]);
  assertClose(await y.toArray(), z.map((v) => Math.max(v, 0)), { rtol: 1e-4, atol: 1e-4 }, 'y');
  const gs = randomArray(n, 17, -1, 1);
  const gy = tensor(gs, y.shape);
  backward(y, { grad: gy });
  const dz = Float64Array.from(gs, (v, i) => (z[i] > 0 ? v : 0));
  const refGrad = batchNormBackwardReference(xs, dz, 1, C, plane, ws, ref.mean, ref.invstd, true);
  assertClose(await x.grad!.toArray(), refGrad.dx, { rtol: 1e-3, atol: 2e-4 }, 'dx');
  assertClose(await r.grad!.toArray(), dz, { rtol: 0, atol: 0 }, 'dresidual');
  assertClose(await w.grad!.toArray(), refGrad.dweight, { rtol: 1e-4, atol: 1e-3 }, 'dweight');
  for (const t of [x, r, w, b, y, gy]) t.dispose();
}, 120_000);

it('LayerNorm add & norm (a workgroup per row) over 70,000 rows, against float64', async () => {
  forceVariant('layernorm', 'workgroup');
  const [rows, dim] = [PAST_LIMIT, 4];
  const xs = randomArray(rows * dim, 18, -2, 2);
  const rs = randomArray(rows * dim, 19, -1, 1);
  const ws = randomArray(dim, 20, 0.5, 1.5);
  const [x, r] = [xs, rs].map((d) => {
    const t = tensor(d, [rows, dim]);
    t.requiresGrad = true;
    return t;
  });
  const w = tensor(ws, [dim]);
  const y = layerNorm(x, w, null, 1e-5, r);
  const sum = Float64Array.from(xs, (v, i) => v + rs[i]);
  assertClose(await y.toArray(), layerNormReference(sum, rows, dim, ws, null, 1e-5).y, { rtol: 1e-4, atol: 1e-4 }, 'y');
  const gs = randomArray(rows * dim, 21, -1, 1);
  const gy = tensor(gs, y.shape);
  backward(y, { grad: gy });
  const ref = layerNormBackwardReference(sum, gs, rows, dim, ws, 1e-5);
  assertClose(await x.grad!.toArray(), ref.dx, { rtol: 1e-3, atol: 1e-4 }, 'dx');
  assertClose(await r.grad!.toArray(), ref.dx, { rtol: 1e-3, atol: 1e-4 }, 'dresidual');
  for (const t of [x, r, w, y, gy]) t.dispose();
}, 120_000);

it.each([
  ['fits: the GRID launch', [3, 50, 7, 16], 1],
  ['rows past 65,535: the folded 1-D grid', [1, 1, PAST_LIMIT, 16], 0],
  ['planes past 65,535: the folded 1-D grid', [PAST_LIMIT, 1, 2, 16], 0],
] as const)('elementwise GRID launch of a strided copy, %s, against the host', async (_name, dims, grid) => {
  // x (d0, d1, d3, d2) read as its (d0, d1, d2, d3) permutation; the GRID launch's grid is
  // (d3 / WG, d2, d0 * d1)
  const [d0, d1, d2, d3] = dims;
  const xs = randomArray(d0 * d1 * d2 * d3, 22);
  const x = tensor(xs, [d0, d1, d3, d2]);
  const view = permute(x, [0, 1, 3, 2]);
  let y: ReturnType<typeof contiguous> | undefined;
  expect(runConstants('elementwise', () => (y = contiguous(view))).map((c) => c.GRID ?? 0)).toEqual([grid]);
  expect(d2 > MAX_WORKGROUPS_PER_DIM || d0 * d1 > MAX_WORKGROUPS_PER_DIM).toBe(grid === 0);
  const expected = new Float32Array(xs.length);
  for (let a = 0; a < d0 * d1; a++) for (let i = 0; i < d2; i++) for (let j = 0; j < d3; j++) expected[(a * d2 + i) * d3 + j] = xs[(a * d3 + j) * d2 + i];
  assertClose(await y!.toArray(), expected, { rtol: 0, atol: 0 }, 'copy');
  for (const t of [x, view, y!]) t.dispose();
}, 60_000);
