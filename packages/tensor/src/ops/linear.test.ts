import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GEMM_VARIANTS, GEMM_F16_STRATEGIES } from '@fusion/kernels';
import { init, tensor, linear, permute, transpose, backward, hasSubgroupGemm, forceVariant, Tensor, nn, memory, tidy, autocast, adapterFacts } from '../index.js';
import { matmulRaw, matmulSumBatchRaw } from './matmul.js';
import { assertClose, assertWithinF16Bound, gradcheck, randomArray, runConstants } from '../testing.js';

await init();
afterAll(() => {
  forceVariant('gemm', null);
  forceVariant('gemm-f16', null);
});

/** Every GEMM entry point this device runs (the subgroup kernel needs subgroups of >= 8 lanes). */
const strategies = GEMM_VARIANTS.filter((s) => s !== 'subgroup' || hasSubgroupGemm());

/** Float64 y = x W^T + b over rows of x (rows, in). */
function linearReference(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, rows: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
      y[r * outF + o] = s;
    }
  }
  return y;
}

/** Float64 gradients of linear for dy (rows, out): dx = dy W, dW = dy^T x, db = column sums of dy. */
function linearGradReference(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, rows: number, inF: number, outF: number) {
  const dx = new Float64Array(rows * inF);
  const dw = new Float64Array(outF * inF);
  const db = new Float64Array(outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      const g = dy[r * outF + o];
      db[o] += g;
      for (let i = 0; i < inF; i++) {
        dx[r * inF + i] += g * w[o * inF + i];
        dw[o * inF + i] += g * x[r * inF + i];
      }
    }
  }
  return { dx, dw, db };
}

/** (B, C, P) host data read as its (B, P, C) permutation, row-major. */
function permuteHost(data: Float32Array, B: number, C: number, P: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[(b * P + p) * C + c] = data[(b * C + c) * P + p];
  return out;
}

describe.each(strategies)('linear (%s GEMM): bias epilogue, dx and the folded weight and bias gradient', (strategy) => {
  afterEach(() => forceVariant('gemm', null));

  it.each([
    ['2-D input', [7, 13], 5, true],
    ['3-D input (rows collapse into one product)', [3, 9, 13], 6, true],
    ['3-D input without bias', [2, 5, 11], 3, false],
    ['1-D input', [17], 4, true],
    ['rows past one tile (M 70, N 33)', [70, 19], 33, true],
  ] as const)('%s against float64', async (_name, shape, outF, withBias) => {
    forceVariant('gemm', strategy);
    const inF = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const xs = randomArray(rows * inF, inF + outF);
    const ws = randomArray(outF * inF, 2);
    const bs = withBias ? randomArray(outF, 3) : null;
    const x = tensor(xs, [...shape]);
    const w = tensor(ws, [outF, inF]);
    const b = bs ? tensor(bs, [outF]) : null;
    for (const t of [x, w, b]) if (t) t.requiresGrad = true;
    const y = linear(x, w, b);
    expect(y.shape).toEqual([...shape.slice(0, -1), outF]);
    assertClose(await y.toArray(), linearReference(xs, ws, bs, rows, inF, outF), { rtol: 1e-4, atol: 1e-5 }, 'forward');
    const dys = randomArray(rows * outF, 4);
    const dy = tensor(dys, y.shape);
    backward(y, { grad: dy });
    const ref = linearGradReference(xs, ws, dys, rows, inF, outF);
    assertClose(await x.grad!.toArray(), ref.dx, { rtol: 1e-4, atol: 1e-5 }, 'dx');
    assertClose(await w.grad!.toArray(), ref.dw, { rtol: 1e-4, atol: 1e-4 }, 'dweight');
    if (b) assertClose(await b.grad!.toArray(), ref.db, { rtol: 1e-4, atol: 1e-4 }, 'dbias');
    for (const t of [x, w, b, y, dy]) t?.dispose();
  });

  it('a permuted input whose rows do not collapse (a feature map read as pixels): one batched product, one folded gradient', async () => {
    forceVariant('gemm', strategy);
    const [B, C, P, outF] = [3, 6, 10, 5];
    const maps = randomArray(B * C * P, 5);
    const map = tensor(maps, [B, C, P]);
    map.requiresGrad = true;
    const ws = randomArray(outF * C, 6);
    const bs = randomArray(outF, 7);
    const w = tensor(ws, [outF, C]);
    const b = tensor(bs, [outF]);
    w.requiresGrad = true;
    b.requiresGrad = true;
    const pixels = permute(map, [0, 2, 1]); // (B, P, C), strides (C*P, 1, P)
    const y = linear(pixels, w, b);
    const xs = permuteHost(maps, B, C, P);
    assertClose(await y.toArray(), linearReference(xs, ws, bs, B * P, C, outF), { rtol: 1e-4, atol: 1e-5 }, 'forward');
    const dys = randomArray(B * P * outF, 8);
    const dy = tensor(dys, [B, P, outF]);
    backward(y, { grad: dy });
    const ref = linearGradReference(xs, ws, dys, B * P, C, outF);
    assertClose(await map.grad!.toArray(), permuteHost(Float32Array.from(ref.dx), B, P, C), { rtol: 1e-4, atol: 1e-5 }, 'dx (in the map layout)');
    assertClose(await w.grad!.toArray(), ref.dw, { rtol: 1e-4, atol: 1e-4 }, 'dweight');
    assertClose(await b.grad!.toArray(), ref.db, { rtol: 1e-4, atol: 1e-4 }, 'dbias');
    for (const t of [map, pixels, w, b, y, dy]) t.dispose();
  });

  it('matmulRaw adds a bias per row or per column in the epilogue (row-major and transposed operands)', async () => {
    forceVariant('gemm', strategy);
    const [batch, M, K, N] = [2, 9, 14, 11];
    const as = randomArray(batch * M * K, 9);
    const bs = randomArray(K * N, 10);
    const rowBias = randomArray(M, 11);
    const colBias = randomArray(N, 12);
    const a = tensor(as, [batch, M, K]);
    const b = tensor(bs, [K, N]);
    const aT = tensor(Float32Array.from({ length: batch * M * K }, (_, i) => { const t = Math.floor(i / (M * K)); const r = i % (M * K); const k = Math.floor(r / M); const m = r % M; return as[t * M * K + m * K + k]; }), [batch, K, M]);
    const bT = tensor(Float32Array.from({ length: K * N }, (_, i) => bs[(i % K) * N + Math.floor(i / K)]), [N, K]);
    const rb = tensor(rowBias, [M]);
    const cb = tensor(colBias, [N]);
    const expected = (along: 'rows' | 'cols') => {
      const out = new Float64Array(batch * M * N);
      for (let t = 0; t < batch; t++) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
        let s = along === 'rows' ? rowBias[m] : colBias[n];
        for (let k = 0; k < K; k++) s += as[t * M * K + m * K + k] * bs[k * N + n];
        out[(t * M + m) * N + n] = s;
      }
      return out;
    };
    // each pipeline compiles in seconds on a CPU adapter: two layouts, one epilogue each
    for (const [x, y, bias, along] of [[a, b, rb, 'rows'], [transpose(aT), transpose(bT), cb, 'cols']] as const) {
      const c = matmulRaw(x, y, 1, { t: bias, along });
      assertClose(await c.toArray(), expected(along), { rtol: 1e-4, atol: 1e-5 }, `bias along ${along}`);
      c.dispose();
    }
    expect(() => matmulRaw(a, b, 1, { t: cb, along: 'rows' })).toThrow(/bias along the rows of \[2, 9, 14\] @ \[14, 11\] must be a contiguous \(9\), got \[11\]/);
    for (const t of [a, b, aT, bT, rb, cb]) t.dispose();
  });

  // odd sizes, and sizes that divide by 4 (the blocked kernels' vec4 loads along the folded K)
  it.each([[5, 7, 6, 9], [3, 8, 8, 12]])('matmulSumBatchRaw sums the batch (%i) in one product, with the row sums of A as one more column', async (batch, M, K, N) => {
    forceVariant('gemm', strategy);
    const as = randomArray(batch * M * K, 13);
    const bs = randomArray(batch * K * N, 14);
    const a = tensor(as, [batch, M, K]);
    const b = tensor(bs, [batch, K, N]);
    const product = new Float64Array(M * N);
    const sums = new Float64Array(M);
    for (let t = 0; t < batch; t++) for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) sums[m] += as[(t * M + m) * K + k];
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) product[m * N + n] += as[(t * M + m) * K + k] * bs[(t * K + k) * N + n];
    }
    const r = matmulSumBatchRaw(a, b, true);
    expect(r.product.shape).toEqual([M, N]);
    assertClose(await r.product.toArray(), product, { rtol: 1e-4, atol: 1e-4 }, 'sum over the batch');
    assertClose(await r.rowSums!.toArray(), sums, { rtol: 1e-4, atol: 1e-4 }, 'row sums');
    // a transposed view of A (its batch stride and leading dimension read in place)
    const aT = transpose(tensor(Float32Array.from({ length: batch * K * M }, (_, i) => { const t = Math.floor(i / (K * M)); const rr = i % (K * M); const k = Math.floor(rr / M); const m = rr % M; return as[(t * M + m) * K + k]; }), [batch, K, M]));
    const rt = matmulSumBatchRaw(aT, b);
    expect(rt.rowSums).toBeNull();
    assertClose(await rt.product.toArray(), product, { rtol: 1e-4, atol: 1e-4 }, 'transposed A');
    for (const t of [a, b, aT, r.product, r.rowSums!, rt.product]) t.dispose();
  });
});

/** Every f16 GEMM entry point this device runs (subgroup-matrix needs tensor cores). */
const f16Strategies = GEMM_F16_STRATEGIES.filter((s) => s !== 'subgroup-matrix' || adapterFacts().subgroupMatrixF16);

describe.each(f16Strategies)('linear under autocast (%s f16 GEMM): bias epilogue, dx and the folded weight and bias gradient', (strategy) => {
  afterEach(() => forceVariant('gemm-f16', null));

  // 3-D rows that collapse into one product (one folded gradient over the rows), and a permuted
  // input whose rows do not (a batched product, its gradient folded over the batch)
  it.each([['3-D input', false], ['permuted input', true]] as const)('%s: f32 in and out, every product within the f16 bound of float64', async (_name, permuted) => {
    forceVariant('gemm-f16', strategy);
    const [B, P, C, outF] = [3, 9, 13, 6];
    const rows = B * P;
    const data = randomArray(rows * C, 21);
    const ws = randomArray(outF * C, 22);
    const bs = randomArray(outF, 23);
    // the input's values as (B, P, C) rows; stored as (B, C, P) and permuted when `permuted`
    const stored = tensor(permuted ? permuteHost(data, B, P, C) : data, permuted ? [B, C, P] : [B, P, C]);
    const w = tensor(ws, [outF, C]);
    const b = tensor(bs, [outF]);
    for (const t of [stored, w, b]) t.requiresGrad = true;
    const x = permuted ? permute(stored, [0, 2, 1]) : stored;
    const shader = strategy === 'subgroup-matrix' ? 'gemm_f16_subgroup_matrix' : 'gemm_f16';
    let y!: Tensor;
    // one f16 GEMM forward (the bias in its epilogue), two backward (dx; dW with db as its last column)
    expect(runConstants(shader, () => (y = autocast(() => linear(x, w, b))))).toHaveLength(1);
    expect(y.dtype).toBe('f32');
    const abs = (v: ArrayLike<number>) => Float64Array.from(v, Math.abs);
    assertWithinF16Bound(await y.toArray(), linearReference(data, ws, bs, rows, C, outF), linearReference(abs(data), abs(ws), abs(bs), rows, C, outF), C, 'forward (bias epilogue)');
    const dys = randomArray(rows * outF, 24);
    const dy = tensor(dys, [B, P, outF]);
    expect(runConstants(shader, () => backward(y, { grad: dy }))).toHaveLength(2);
    const ref = linearGradReference(data, ws, dys, rows, C, outF);
    const absRef = linearGradReference(abs(data), abs(ws), abs(dys), rows, C, outF);
    for (const t of [stored, w, b]) expect(t.grad!.dtype).toBe('f32');
    const dx = await stored.grad!.toArray();
    assertWithinF16Bound(permuted ? permuteHost(dx, B, C, P) : dx, ref.dx, absRef.dx, outF, 'dx');
    assertWithinF16Bound(await w.grad!.toArray(), ref.dw, absRef.dw, rows, 'dweight (folded)');
    assertWithinF16Bound(await b.grad!.toArray(), ref.db, absRef.db, rows, 'dbias (the row sums column)');
    for (const t of [stored, x, w, b, y, dy]) t.dispose();
  });
});

describe('linear: finite differences, errors, nn.Linear', () => {
  it('gradients of x, weight and bias (3-D input, a permuted input, a bias alone)', async () => {
    await gradcheck(linear, [{ data: randomArray(2 * 3 * 5, 1), shape: [2, 3, 5] }, { data: randomArray(4 * 5, 2), shape: [4, 5] }, { data: randomArray(4, 3), shape: [4] }]);
    await gradcheck((m: Tensor, w: Tensor, b: Tensor) => linear(permute(m, [0, 2, 1]), w, b), [
      { data: randomArray(2 * 5 * 3, 4), shape: [2, 5, 3] }, { data: randomArray(4 * 5, 5), shape: [4, 5] }, { data: randomArray(4, 6), shape: [4] },
    ]);
    const w = tensor(randomArray(12, 7), [3, 4]);
    await gradcheck((x: Tensor, b: Tensor) => linear(x, w, b), [{ data: randomArray(8, 8), shape: [2, 4] }, { data: randomArray(3, 9), shape: [3] }]);
    w.dispose();
  });

  it('names the shapes in its errors', () => tidy(() => {
    const x = Tensor.empty([2, 5]);
    expect(() => linear(x, Tensor.empty([3, 4]), null)).toThrow(/linear: input \[2, 5\] must end with 4 features for weight \[3, 4\]/);
    expect(() => linear(x, Tensor.empty([3, 5]), Tensor.empty([4]))).toThrow(/linear: bias \[4\] must be \(3\) for weight \[3, 5\]/);
    expect(() => linear(x, Tensor.empty([15]), null)).toThrow(/linear: weight must be \(out, in\), got \[15\]/);
  }));

  it('nn.Linear trains without leaking', async () => {
    const layer = new nn.Linear(6, 4);
    const x = tensor(randomArray(3 * 2 * 6, 10), [3, 2, 6]);
    const before = memory().liveTensors;
    for (let i = 0; i < 3; i++) {
      tidy(() => backward(layer.forward(x).sum()));
      for (const p of layer.parameters()) {
        p.grad?.dispose();
        p.grad = null;
      }
    }
    expect(memory().liveTensors).toBe(before);
    x.dispose();
    layer.dispose();
  });
});
