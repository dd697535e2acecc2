import { afterAll, describe, expect, it } from 'vitest';
import { matmulReference, GEMM_F16_STRATEGIES } from '@fusion/kernels';
import { init, tensor, matmul, cast, transpose, autocast, forceVariant, chooseVariant, adapterFacts, backward, Tensor } from '../index.js';
import { assertWithinF16Bound, gradcheck, randomArray } from '../testing.js';

await init();
afterAll(() => forceVariant('gemm-f16', null));

/** Every f16 GEMM entry point this device runs (subgroup-matrix needs tensor cores). */
const strategies = GEMM_F16_STRATEGIES.filter((s) => s !== 'subgroup-matrix' || adapterFacts().subgroupMatrixF16);
const abs = (x: Float32Array) => x.map(Math.abs);

function transposeHost(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

describe.each(strategies)('f16 matmul (%s kernel) against float64, within the f16 bound', (strategy) => {
  it.each([[1, 1, 1], [7, 13, 5], [33, 17, 65], [70, 129, 3], [1, 300, 45], [97, 40, 130], [65, 257, 66]])('M %i K %i N %i', async (M, K, N) => {
    forceVariant('gemm-f16', strategy);
    const a = randomArray(M * K, M + K, -2, 2);
    const b = randomArray(K * N, K + N, -2, 2);
    const a16 = tensor(a, [M, K], 'f16');
    const b16 = tensor(b, [K, N], 'f16');
    const c = matmul(a16, b16);
    expect(c.dtype).toBe('f32');
    expect(chooseVariant('gemm-f16', M, N, K).variant).toBe(strategy);
    assertWithinF16Bound(await c.toArray(), matmulReference(a, b, 1, M, K, N), matmulReference(abs(a), abs(b), 1, M, K, N), K, 'f16 matmul');
    for (const t of [a16, b16, c]) t.dispose();
  });

  it('reads transposed f16 views in place and batches with broadcasting', async () => {
    forceVariant('gemm-f16', strategy);
    const M = 19, K = 23, N = 11;
    const a = randomArray(M * K, 1);
    const b = randomArray(K * N, 2);
    const ref = matmulReference(a, b, 1, M, K, N);
    const absRef = matmulReference(abs(a), abs(b), 1, M, K, N);
    const at = tensor(transposeHost(a, M, K), [K, M], 'f16');
    const bt = tensor(transposeHost(b, K, N), [N, K], 'f16');
    const c = matmul(transpose(at), transpose(bt));
    assertWithinF16Bound(await c.toArray(), ref, absRef, K, 'A^T B^T');
    const batched = randomArray(3 * M * K, 3);
    const ab = tensor(batched, [3, M, K], 'f16');
    const bb = tensor(b, [K, N], 'f16');
    const cb = matmul(ab, bb);
    expect(cb.shape).toEqual([3, M, N]);
    const tiled = Array.from({ length: 3 }, () => Array.from(b)).flat();
    assertWithinF16Bound(await cb.toArray(), matmulReference(batched, tiled, 3, M, K, N), matmulReference(abs(batched), tiled.map(Math.abs), 3, M, K, N), K, 'batched');
    for (const t of [at, bt, c, ab, bb, cb]) t.dispose();
  });

  it('gradients through the casts: finite differences, and the backward products against float64', async () => {
    forceVariant('gemm-f16', strategy);
    // operands on the 2^-6 grid are exact in f16, so the forward is the exact bilinear map up to
    // f32 summation and the difference quotient is the true derivative; the analytic gradient
    // rounds dC to f16 (relative 2^-11 per term), hence rtol 5e-3
    const grid = (n: number, seed: number) => randomArray(n, seed).map((v) => Math.round(v * 64) / 64);
    const f = (x: Tensor, y: Tensor) => matmul(cast(x, 'f16'), cast(y, 'f16'));
    await gradcheck(f, [{ data: grid(15, 1), shape: [3, 5] }, { data: grid(20, 2), shape: [5, 4] }], { eps: 2 ** -6, rtol: 5e-3, atol: 1e-3 });
    await gradcheck((x: Tensor, w: Tensor) => f(x, transpose(w)), [{ data: grid(30, 3), shape: [2, 3, 5] }, { data: grid(20, 4), shape: [4, 5] }], { eps: 2 ** -6, rtol: 5e-3, atol: 1e-3 });

    const M = 21, K = 37, N = 18;
    const a = randomArray(M * K, 5);
    const b = randomArray(K * N, 6);
    const g = randomArray(M * N, 7);
    const ta = tensor(a, [M, K]);
    const tb = tensor(b, [K, N]);
    ta.requiresGrad = true;
    tb.requiresGrad = true;
    const c = autocast(() => matmul(ta, tb));
    const tg = tensor(g, [M, N]);
    backward(c, { grad: tg });
    // dA = dC B^T (K = N), dB = A^T dC (K = M)
    const bT = transposeHost(b, K, N);
    const aT = transposeHost(a, M, K);
    expect(ta.grad!.dtype).toBe('f32');
    assertWithinF16Bound(await ta.grad!.toArray(), matmulReference(g, bT, 1, M, N, K), matmulReference(abs(g), abs(bT), 1, M, N, K), N, 'dA');
    assertWithinF16Bound(await tb.grad!.toArray(), matmulReference(aT, g, 1, K, M, N), matmulReference(abs(aT), abs(g), 1, K, M, N), M, 'dB');
    for (const t of [ta, tb, c, tg]) t.dispose();
  });
});

describe('f16 matmul: dtypes, autocast, the variant table', () => {
  it('refuses mixed operand dtypes, naming both', () => {
    const a = tensor([1, 2, 3, 4], [2, 2], 'f16');
    const b = tensor([1, 2, 3, 4], [2, 2]);
    expect(() => matmul(a, b)).toThrow(/matmul: a is f16 but b is f32; the operands must be both f32 or both f16/);
    a.dispose();
    b.dispose();
  });

  it('autocast runs f32 operands through the f16 GEMM: the same result as explicit casts, f32 out', async () => {
    const a = tensor(randomArray(6 * 9, 1), [6, 9]);
    const b = tensor(randomArray(9 * 4, 2), [9, 4]);
    const auto = autocast(() => matmul(a, b));
    const a16 = cast(a, 'f16');
    const b16 = cast(b, 'f16');
    const explicit = matmul(a16, b16);
    const plain = matmul(a, b);
    expect(auto.dtype).toBe('f32');
    expect(Array.from(await auto.toArray())).toEqual(Array.from(await explicit.toArray()));
    expect(Array.from(await auto.toArray())).not.toEqual(Array.from(await plain.toArray()));
    for (const t of [a, b, auto, a16, b16, explicit, plain]) t.dispose();
  });

  it('picks direct on CPU adapters, subgroup-matrix where tensor cores exist, else tiled; refuses what the device lacks', () => {
    forceVariant('gemm-f16', null);
    const f = adapterFacts();
    expect(chooseVariant('gemm-f16', 64, 64, 64).variant).toBe(f.subgroupMatrixF16 ? 'subgroup-matrix' : f.software ? 'direct' : 'tiled');
    forceVariant('gemm-f16', 'subgroup-matrix');
    if (f.subgroupMatrixF16) expect(chooseVariant('gemm-f16', 1).variant).toBe('subgroup-matrix');
    else expect(() => chooseVariant('gemm-f16', 1)).toThrow(/subgroup-matrix needs chromium-experimental-subgroup-matrix with an f16 16x16x16 config/);
    forceVariant('gemm-f16', null);
  });
});
