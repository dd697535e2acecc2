import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmulReference, GEMM_VARIANTS } from '@fusion/kernels';
import { init, tensor, matmul, transpose, hasSubgroupGemm, runtime, Tensor, chooseVariant, forceVariant, applyTuning, shapeClass } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

await init();
afterAll(() => forceVariant('gemm', null));

/** Every GEMM entry point this device runs (the subgroup kernel needs subgroups of >= 8 lanes). */
const strategies = GEMM_VARIANTS.filter((s) => s !== 'subgroup' || hasSubgroupGemm());

function transposeHost(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

describe.each(strategies)('matmul (%s kernel)', (strategy) => {
  beforeAll(() => forceVariant('gemm', strategy));

  it.each([[1, 1, 1], [7, 13, 5], [33, 17, 65], [70, 129, 3], [1, 300, 45], [97, 40, 130]])('M %i K %i N %i against float64', async (M, K, N) => {
    const a = randomArray(M * K, M + K);
    const b = randomArray(K * N, K + N);
    const ta = tensor(a, [M, K]);
    const tb = tensor(b, [K, N]);
    const c = matmul(ta, tb);
    expect(c.shape).toEqual([M, N]);
    assertClose(await c.toArray(), matmulReference(a, b, 1, M, K, N), { rtol: 1e-4, atol: 1e-5 }, 'matmul');
    for (const t of [ta, tb, c]) t.dispose();
  });

  it('reads transposed views in place (A^T B, A B^T, A^T B^T)', async () => {
    const M = 19, K = 23, N = 11;
    const a = randomArray(M * K, 1);
    const b = randomArray(K * N, 2);
    const ref = matmulReference(a, b, 1, M, K, N);
    const at = tensor(transposeHost(a, M, K), [K, M]);
    const bt = tensor(transposeHost(b, K, N), [N, K]);
    const ta = tensor(a, [M, K]);
    const tb = tensor(b, [K, N]);
    for (const [x, y] of [[transpose(at), tb], [ta, transpose(bt)], [transpose(at), transpose(bt)]]) {
      const c = matmul(x, y);
      assertClose(await c.toArray(), ref, { rtol: 1e-4, atol: 1e-5 }, 'transposed operands');
      c.dispose();
    }
    for (const t of [at, bt, ta, tb]) t.dispose();
  });

  it('batches with broadcasting and 1-D operands', async () => {
    const a = randomArray(2 * 3 * 5 * 7, 3);
    const b = randomArray(7 * 4, 4);
    const ta = tensor(a, [2, 3, 5, 7]);
    const tb = tensor(b, [7, 4]);
    const c = matmul(ta, tb);
    expect(c.shape).toEqual([2, 3, 5, 4]);
    assertClose(await c.toArray(), matmulReference(a, Array.from({ length: 6 }, () => Array.from(b)).flat(), 6, 5, 7, 4), { rtol: 1e-4, atol: 1e-5 }, 'broadcast batch');
    const v = tensor(randomArray(7, 5), [7]);
    const mv = matmul(ta, v);
    expect(mv.shape).toEqual([2, 3, 5]);
    const vv = matmul(v, v);
    expect(vv.shape).toEqual([]);
    const vh = await v.toArray();
    expect((await vv.toArray())[0]).toBeCloseTo(vh.reduce((s, x) => s + x * x, 0), 4);
    expect(() => matmul(ta, ta)).toThrow(/inner dims differ: \[2, 3, 5, 7\] @ \[2, 3, 5, 7\]/);
    for (const t of [ta, tb, c, v, mv, vv]) t.dispose();
  });

  it('gradients (finite differences), including broadcast batch and transposed operands', async () => {
    await gradcheck(matmul, [{ data: randomArray(15, 1), shape: [3, 5] }, { data: randomArray(20, 2), shape: [5, 4] }]);
    await gradcheck(matmul, [{ data: randomArray(30, 3), shape: [2, 3, 5] }, { data: randomArray(20, 4), shape: [5, 4] }]);
    await gradcheck((a: Tensor, b: Tensor) => matmul(transpose(a), b), [{ data: randomArray(15, 5), shape: [5, 3] }, { data: randomArray(10, 6), shape: [5, 2] }]);
    // A transposed weight with broadcast batch dims (Linear on 3-D input): its gradient is computed
    // transposed and summed over the batch.
    await gradcheck((a: Tensor, w: Tensor) => matmul(a, transpose(w)), [{ data: randomArray(30, 7), shape: [2, 3, 5] }, { data: randomArray(20, 8), shape: [4, 5] }]);
  });
});

describe('subgroup GEMM tile constants (the tuner\'s columns per lane and row groups)', () => {
  afterAll(() => applyTuning([]));
  it.each([[1, 1], [1, 8], [2, 4], [3, 2], [4, 1]])('ROW_GROUPS %i, TN %i against float64 (M 37, K 29, N 83)', async (rowGroups, tn) => {
    // (a device without the subgroup GEMM ignores the entry and runs its heuristic's kernel)
    const [M, K, N] = [37, 29, 83];
    applyTuning([{ kernel: 'gemm', shapeClass: shapeClass(M, N, K, 1), variant: 'subgroup', constants: { ROW_GROUPS: rowGroups, TN: tn } }]);
    const a = randomArray(M * K, 31);
    const b = randomArray(K * N, 32);
    const ta = tensor(a, [M, K]);
    const tb = tensor(b, [K, N]);
    const c = matmul(ta, tb);
    assertClose(await c.toArray(), matmulReference(a, b, 1, M, K, N), { rtol: 1e-4, atol: 1e-5 }, 'matmul');
    for (const t of [ta, tb, c]) t.dispose();
  });
});

describe('GEMM strategy choice', () => {
  afterAll(() => forceVariant('gemm', null));
  it('picks tiled on GPUs, and on CPU adapters subgroup where subgroups have exactly 8 lanes, else direct', () => {
    forceVariant('gemm', null);
    const g = runtime().gpu;
    const info = g.device.adapterInfo;
    const expected = !g.info.isSoftware ? 'tiled' : hasSubgroupGemm() && info.subgroupMaxSize === 8 ? 'subgroup' : 'direct';
    expect(chooseVariant('gemm', 1).variant).toBe(expected);
  });
  it('forcing subgroup works exactly where the device has subgroups of >= 8 lanes', () => {
    forceVariant('gemm', 'subgroup');
    if (hasSubgroupGemm()) expect(chooseVariant('gemm', 1).variant).toBe('subgroup');
    else expect(() => chooseVariant('gemm', 1).variant).toThrow(/needs the subgroups feature with subgroups of 8 lanes or more/);
  });
});
