// The register-blocked GPU GEMM (shaders/gemm_blocked.wgsl) forced through the variant table on
// this adapter (lavapipe in CI: correct there, speed irrelevant): its per-call specialisations
// (vec4 loads of aligned operands, no bounds checks where the shapes divide the tile) for every
// layout, and the epilogues fused into the store, against float64 references. The plain products
// (odd shapes, transposed views, broadcast batches, gradients), the convolutions and split-K run
// with these variants forced in matmul.test.ts, conv2d.test.ts and dispatch-split.test.ts.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  BLOCKED_STRATEGIES, GEMM_BLOCKED_TUNING, blockedTile, blockedCallConstants, blockedSplitK, blockedConstantsProblem,
  matmulKernelFor, conv2dKernelsFor, conv2dUniforms, conv2dReference, convOutputSize, matmulReference, gemmEpilogueReference, gemmEpilogueName,
  BLOCKED_FUSED_EPILOGUES, type BlockedStrategy, type Constants, type Conv2dGeometry, type GemmEpilogue, type KernelSpec,
} from '@fusion/kernels';
import { init, runtime, tensor, matmul, transpose, slice, gemmChoice, forceVariant, Tensor } from '../index.js';
import { BufferUsage } from '../gpu/constants.js';
import { assertClose, randomArray, runConstants } from '../testing.js';

await init();
afterAll(() => forceVariant('gemm', null));
afterEach(() => forceVariant('gemm', null));

const tol = { rtol: 1e-4, atol: 1e-4 };

/** Runs fn and returns the constants of every blocked GEMM dispatch it recorded. */
function blockedDispatches(fn: () => void): Constants[] {
  return runConstants('gemm_blocked', fn);
}

function transposeHost(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

describe.each(BLOCKED_STRATEGIES)('%s matmul: specialisations against float64', (strategy) => {
  const tile = blockedTile(GEMM_BLOCKED_TUNING[strategy]);

  /** One product A (M x K) B (K x N) with A and B stored as the layout says, read as views. */
  async function check(M: number, K: number, N: number, layout: string, expected: { VEC_A: number; VEC_B: number; CHECK_BOUNDS: number }) {
    forceVariant('gemm', strategy);
    const a = randomArray(M * K, M + 3 * K);
    const b = randomArray(K * N, N + 5 * K);
    const ta = layout[0] === 't' ? tensor(transposeHost(a, M, K), [K, M]) : tensor(a, [M, K]);
    const tb = layout[1] === 't' ? tensor(transposeHost(b, K, N), [N, K]) : tensor(b, [K, N]);
    const va = layout[0] === 't' ? transpose(ta) : ta;
    const vb = layout[1] === 't' ? transpose(tb) : tb;
    let c: Tensor | null = null;
    const calls = blockedDispatches(() => {
      c = matmul(va, vb);
    });
    expect(calls).toHaveLength(1);
    expect({ VEC_A: calls[0].VEC_A, VEC_B: calls[0].VEC_B, CHECK_BOUNDS: calls[0].CHECK_BOUNDS }).toEqual(expected);
    assertClose(await c!.toArray(), matmulReference(a, b, 1, M, K, N), tol, `${strategy} ${layout} ${M}x${K}x${N}`);
    for (const t of new Set([ta, tb, va, vb, c!])) t.dispose();
  }

  it('shapes that divide the tile, aligned: vec4 loads and no bounds checks (nn, nt, tn, tt)', async () => {
    for (const layout of ['nn', 'nt', 'tn', 'tt']) await check(tile.rows * 2, tile.k * 3, tile.cols, layout, { VEC_A: 1, VEC_B: 1, CHECK_BOUNDS: 0 });
  });

  it('aligned shapes that do not divide the tile: vec4 loads with bounds checks (nn, nt, tn, tt)', async () => {
    for (const layout of ['nn', 'nt', 'tn', 'tt']) await check(tile.rows + 4, tile.k * 2 + 4, tile.cols + 8, layout, { VEC_A: 1, VEC_B: 1, CHECK_BOUNDS: 1 });
  });

  it('runs whose length does not divide by 4 are gathered element by element', async () => {
    await check(37, 21, 44, 'nn', { VEC_A: 0, VEC_B: 1, CHECK_BOUNDS: 1 });
    await check(36, 21, 45, 'nt', { VEC_A: 0, VEC_B: 0, CHECK_BOUNDS: 1 });
    await check(37, 20, 45, 'tn', { VEC_A: 0, VEC_B: 0, CHECK_BOUNDS: 1 });
    await check(33, 17, 9, 'tt', { VEC_A: 0, VEC_B: 0, CHECK_BOUNDS: 1 });
  });

  it('an operand at an offset that is not 16-byte aligned is gathered; batches broadcast', async () => {
    forceVariant('gemm', strategy);
    const [batch, M, K, N] = [3, 20, 12, 16];
    const a = randomArray(batch * M * (K + 1), 9);
    const b = randomArray(K * N, 10);
    const wide = tensor(a, [batch, M, K + 1]);
    const va = slice(wide, 2, 1);
    const tb = tensor(b, [K, N]);
    let c: Tensor | null = null;
    const calls = blockedDispatches(() => {
      c = matmul(va, tb);
    });
    expect(calls.map((k) => [k.VEC_A, k.VEC_B])).toEqual([[0, 1]]);
    const dense = new Float32Array(batch * M * K);
    for (let r = 0; r < batch * M; r++) for (let k = 0; k < K; k++) dense[r * K + k] = a[r * (K + 1) + 1 + k];
    const bs = new Float32Array(batch * K * N);
    for (let t = 0; t < batch; t++) bs.set(b, t * K * N);
    assertClose(await c!.toArray(), matmulReference(dense, bs, batch, M, K, N), tol, 'offset view, broadcast batch');
    for (const t of [wide, va, tb, c!]) t.dispose();
  });
});

/** Per-channel vectors stored at an offset inside a longer tensor (the epilogue reads offsets). */
function atOffset(values: Float32Array, offset: number): Tensor {
  const padded = new Float32Array(offset + values.length).fill(Number.NaN);
  padded.set(values, offset);
  return tensor(padded, [padded.length]);
}

/** The bias (every GEMM shader's) and the blocked kernels' fused epilogues, each a variant of the specs. */
const EPILOGUES: { name: string; epilogue: Omit<GemmEpilogue, 'channel'>; alpha: number }[] = [
  { name: 'bias', epilogue: { bias: true }, alpha: 1 },
  { name: 'alpha, bias and residual', epilogue: { bias: true, residual: true }, alpha: 0.5 },
  { name: 'BatchNorm apply (scale, shift) and ReLU', epilogue: { scale: true, bias: true, relu: true }, alpha: 1 },
  { name: 'BatchNorm apply, residual and ReLU', epilogue: { scale: true, bias: true, residual: true, relu: true }, alpha: 1 },
];

it('tests every fused epilogue the blocked kernels offer', () => {
  expect(BLOCKED_FUSED_EPILOGUES.map((e) => gemmEpilogueName({ ...e, channel: 'row' })).sort()).toEqual(EPILOGUES.slice(1).map((e) => gemmEpilogueName({ ...e.epilogue, channel: 'row' })).sort());
});

/** Runs a blocked spec directly with an epilogue and compares with the float64 epilogue over `product`. */
async function checkEpilogue(
  spec: KernelSpec, variant: string, strategy: BlockedStrategy, dims: { M: number; N: number; K: number; vecA: boolean; vecB: boolean },
  uniforms: Record<string, number | number[]>, operands: { a: Tensor; b: Tensor }, product: Float64Array, channels: number,
  channelOf: (i: number) => number, e: (typeof EPILOGUES)[number], seed: number,
): Promise<void> {
  const bias = randomArray(channels, seed);
  const scale = randomArray(channels, seed + 1, 0.5, 2);
  const residual = randomArray(product.length, seed + 2);
  const tBias = atOffset(bias, 3);
  const tScale = atOffset(scale, 5);
  const tResidual = atOffset(residual, 7);
  const out = Tensor.empty([product.length], 'f32', 'test');
  runtime().run(spec, variant, {
    buffers: { a: operands.a.buffer, b: operands.b.buffer, bias: tBias.buffer, scale: tScale.buffer, residual: tResidual.buffer, c: out.buffer },
    uniforms: {
      ...uniforms, batch: 1, a_offset: operands.a.offset, b_offset: operands.b.offset, c_offset: 0, alpha: e.alpha,
      bias_offset: 3, scale_offset: 5, residual_offset: 7,
    },
    constants: blockedCallConstants(GEMM_BLOCKED_TUNING[strategy], dims),
  });
  const expected = gemmEpilogueReference(product, channelOf, {
    alpha: e.alpha, bias: e.epilogue.bias ? bias : undefined, scale: e.epilogue.scale ? scale : undefined,
    residual: e.epilogue.residual ? residual : undefined, relu: e.epilogue.relu,
  });
  assertClose(await out.toArray(), expected, tol, `${spec.name}/${variant} epilogue ${e.name}`);
  for (const t of [tBias, tScale, tResidual, out]) t.dispose();
}

describe.each(BLOCKED_STRATEGIES)('%s: epilogues fused into the store, against float64', (strategy) => {
  const tile = blockedTile(GEMM_BLOCKED_TUNING[strategy]);

  it.each(EPILOGUES.map((e) => [e.name, e] as const))('linear layer x W^T (channel = column): %s', async (_name, e) => {
    // an odd shape (bounds checks, gathers) and one that divides the tile (vec4, no bounds checks)
    for (const [M, K, N] of [[19, 13, 23], [tile.rows, tile.k * 2, tile.cols]]) {
      const x = randomArray(M * K, M + K);
      const w = randomArray(N * K, N + K);
      const tx = tensor(x, [M, K]);
      const tw = tensor(w, [N, K]);
      const vec = K % 4 === 0;
      await checkEpilogue(
        matmulKernelFor(strategy), `nt_${gemmEpilogueName({ ...e.epilogue, channel: 'col' }, true)}`, strategy, { M, N, K, vecA: vec, vecB: vec },
        { M, N, K, lda: K, ldb: K, ldc: N, c_batch_stride: M * N }, { a: tx, b: tw },
        matmulReference(x, transposeHost(w, N, K), 1, M, K, N), N, (i) => i % N, e, 11,
      );
      tx.dispose();
      tw.dispose();
    }
  });

  it.each(EPILOGUES.map((e) => [e.name, e] as const))('conv2d forward (channel = row): %s', async (_name, e) => {
    for (const [images, cIn, h, w, cOut] of [[2, 3, 7, 9, 5], [2, 16, 8, 8, tile.rows]]) {
      const g: Conv2dGeometry = {
        images, cIn, inH: h, inW: w, cOut, kH: 3, kW: 3, outH: convOutputSize(h, 3, 1, 1, 1), outW: convOutputSize(w, 3, 1, 1, 1),
        strideH: 1, strideW: 1, padH: 1, padW: 1, dilH: 1, dilW: 1,
      };
      const x = randomArray(images * cIn * h * w, 20 + cOut);
      const wt = randomArray(cOut * cIn * 9, 21 + cOut);
      const tx = tensor(x, [images, cIn, h, w]);
      const tw = tensor(wt, [cOut, cIn, 3, 3]);
      const M = cOut;
      const N = images * g.outH * g.outW;
      const K = cIn * 9;
      const pixels = g.outH * g.outW;
      await checkEpilogue(
        conv2dKernelsFor(strategy).forward, `forward_${gemmEpilogueName({ ...e.epilogue, channel: 'row' })}`, strategy, { M, N, K, vecA: K % 4 === 0, vecB: false },
        { ...conv2dUniforms(g), M, N, K }, { a: tw, b: tx },
        conv2dReference(x, wt, null, g), cOut, (i) => Math.floor(i / pixels) % cOut, e, 31,
      );
      tx.dispose();
      tw.dispose();
    }
  });
});

describe('blocked GEMM constants and partitions', () => {
  it('drops the bounds checks exactly when M, N, K and the K chunk divide the tile', () => {
    const t = GEMM_BLOCKED_TUNING.blocked4;
    expect(blockedCallConstants(t, { M: 128, N: 64, K: 32, vecA: true, vecB: false })).toMatchObject({ CHECK_BOUNDS: 0, VEC_A: 1, VEC_B: 0 });
    expect(blockedCallConstants(t, { M: 128, N: 64, K: 40, vecA: true, vecB: true }).CHECK_BOUNDS).toBe(1);
    expect(blockedCallConstants(t, { M: 130, N: 64, K: 32, vecA: true, vecB: true }).CHECK_BOUNDS).toBe(1);
    expect(blockedCallConstants(t, { M: 128, N: 64, K: 64, kChunk: 24, vecA: true, vecB: true }).CHECK_BOUNDS).toBe(1);
  });

  it('split-K chunks are whole TILE_K tiles and cover K', () => {
    for (const [K, splits, tileK] of [[780, 7, 16], [780, 3, 8], [100, 4, 16], [64, 1, 16], [5, 9, 8]]) {
      const p = blockedSplitK(K, splits, tileK);
      if (splits > 1) expect(p.chunk % tileK).toBe(0);
      expect(p.splits * p.chunk).toBeGreaterThanOrEqual(K);
      expect((p.splits - 1) * p.chunk).toBeLessThan(K);
    }
  });

  it('rejects constants the shader cannot hold or the device cannot run', () => {
    const limits = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 };
    expect(blockedConstantsProblem(GEMM_BLOCKED_TUNING.blocked4, limits)).toBeNull();
    expect(blockedConstantsProblem(GEMM_BLOCKED_TUNING.blocked8, limits)).toBeNull();
    expect(blockedConstantsProblem({ ...GEMM_BLOCKED_TUNING.blocked8, TILE_K: 16 }, limits)).toMatch(/32768 bytes of workgroup memory exceed the device's 16384/);
    expect(blockedConstantsProblem({ ...GEMM_BLOCKED_TUNING.blocked4, TN: 6 })).toMatch(/TN 6 must be 4 or 8/);
    expect(blockedConstantsProblem({ ...GEMM_BLOCKED_TUNING.blocked4, TILE_K: 6 })).toMatch(/TILE_K 6/);
    expect(blockedConstantsProblem({ ...GEMM_BLOCKED_TUNING.blocked8, WG_X: 4, WG_Y: 4, TILE_K: 32 })).toMatch(/quads per invocation/);
    expect(blockedConstantsProblem({ ...GEMM_BLOCKED_TUNING.blocked4, WG_X: 32, WG_Y: 16 }, { ...limits, maxComputeWorkgroupStorageSize: 65536 })).toMatch(/512 invocations per workgroup exceed the device's 256/);
  });

  it('falls back to the tiled kernel when an operand buffer cannot be bound as vec4s', () => {
    forceVariant('gemm', 'blocked4');
    const odd = runtime().device.createBuffer({ size: 20, usage: BufferUsage.STORAGE });
    const even = runtime().device.createBuffer({ size: 32, usage: BufferUsage.STORAGE });
    expect(gemmChoice(8, 8, 8, 1, [even]).strategy).toBe('blocked4');
    expect(gemmChoice(8, 8, 8, 1, [even, odd]).strategy).toBe('tiled');
    odd.destroy();
    even.destroy();
  });
});
