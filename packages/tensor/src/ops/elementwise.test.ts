import { beforeAll, describe, expect, it } from 'vitest';
import { unaryOps, binaryOps, type UnaryOpName, type BinaryOpName } from '@fusion/kernels';
import { contiguous, copyInto, init, runtime, slice, tensor, tidy, memory, Tensor, unaryRaw, binaryRaw, where, add, sub, mul, div, pow, maximum, minimum, exp, log, sqrt, rsqrt, abs, relu, sigmoid, tanh, gelu, erf, clamp, neg, permute, cast, fillInPlace } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

/** Inputs in each map's domain. */
const DOMAINS: Partial<Record<UnaryOpName, [number, number]>> = {
  log: [0.1, 3], sqrt: [0.1, 3], rsqrt: [0.1, 3], rdiv: [0.5, 3], rpow: [-2, 2],
};

function broadcastRef(shapeA: number[], shapeB: number[], a: Float32Array, b: Float32Array, f: (x: number, y: number) => number): { shape: number[]; data: Float64Array } {
  const rank = Math.max(shapeA.length, shapeB.length);
  const pa = [...Array(rank - shapeA.length).fill(1), ...shapeA];
  const pb = [...Array(rank - shapeB.length).fill(1), ...shapeB];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const n = shape.reduce((x, y) => x * y, 1);
  const out = new Float64Array(n);
  const idx = new Array(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let r = i;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia = ia * pa[d] + (pa[d] === 1 ? 0 : idx[d]);
      ib = ib * pb[d] + (pb[d] === 1 ? 0 : idx[d]);
    }
    out[i] = f(a[ia], b[ib]);
  }
  return { shape, data: out };
}

describe('unary maps against float64 references', () => {
  const names = Object.keys(unaryOps) as UnaryOpName[];
  it.each(names)('%s on a [7, 13] tensor and a strided view', async (name) => {
    const [lo, hi] = DOMAINS[name] ?? [-4, 4];
    const data = randomArray(7 * 13, 11, lo, hi);
    const alpha = name === 'pow_scalar' ? 3 : name === 'clamp' || name === 'in_range' ? -0.5 : 0.7;
    const beta = name === 'clamp' || name === 'in_range' ? 0.8 : -0.3;
    const x = tensor(data, [7, 13]);
    const y = unaryRaw(name, x, alpha, beta);
    const ref = Array.from(data, (v) => unaryOps[name].ref(v, alpha, beta));
    assertClose(await y.toArray(), ref, { rtol: 2e-6, atol: 1e-6 }, name);
    // transposed view: exercises the strided path
    const xt = x.transpose();
    const yt = unaryRaw(name, xt, alpha, beta);
    const reft: number[] = [];
    for (let j = 0; j < 13; j++) for (let i = 0; i < 7; i++) reft.push(ref[i * 13 + j]);
    assertClose(await yt.toArray(), reft, { rtol: 2e-6, atol: 1e-6 }, `${name} (strided)`);
    for (const t of [x, y, xt, yt]) t.dispose();
  });
});

describe('binary maps with broadcasting', () => {
  const names = Object.keys(binaryOps) as BinaryOpName[];
  const cases: [number[], number[]][] = [[[5, 9], [5, 9]], [[3, 1, 7], [4, 1]], [[1], [6, 5]], [[2, 3, 1, 5], [3, 4, 1]]];
  it.each(names)('%s', async (name) => {
    for (const [sa, sb] of cases) {
      const na = sa.reduce((x, y) => x * y, 1);
      const nb = sb.reduce((x, y) => x * y, 1);
      const positive = name === 'pow';
      const a = randomArray(na, 3, positive ? 0.2 : -3, 3);
      const b = randomArray(nb, 4, positive ? -2 : -3, positive ? 2 : 3);
      if (name.startsWith('eq') || name === 'ne' || name === 'le' || name === 'ge') b[0] = a[0];
      const ref = broadcastRef(sa, sb, a, b, (x, y) => binaryOps[name].ref(x, y, 0));
      const ta = tensor(a, sa);
      const tb = tensor(b, sb);
      const y = binaryRaw(name, ta, tb);
      expect(y.shape).toEqual(ref.shape);
      assertClose(await y.toArray(), ref.data, { rtol: 2e-6, atol: 1e-6 }, `${name} ${sa} ${sb}`);
      for (const t of [ta, tb, y]) t.dispose();
    }
  });

  it('names both shapes when they cannot broadcast', () => {
    const a = tensor(new Float32Array(6), [2, 3]);
    const b = tensor(new Float32Array(8), [4, 2]);
    expect(() => add(a, b)).toThrow(/\[2, 3\] and \[4, 2\]/);
    a.dispose();
    b.dispose();
  });

  it('rejects i32 operands of float ops', () => {
    const a = tensor(new Int32Array([1, 2, 3]));
    const b = tensor([1, 2, 3]);
    expect(() => mul(a, b)).toThrow(/expected a f32 tensor, got i32/);
    a.dispose();
    b.dispose();
  });

  it('handles empty tensors', async () => {
    const a = tensor(new Float32Array(0), [0, 3]);
    const y = add(a, 1);
    expect(y.shape).toEqual([0, 3]);
    expect((await y.toArray()).length).toBe(0);
    a.dispose();
    y.dispose();
  });
});

/** Host data of a row-major tensor of `shape` read through permutation `dims`, row-major. */
function permuteHost(data: ArrayLike<number>, shape: number[], dims: number[]): number[] {
  const out: number[] = [];
  const outShape = dims.map((d) => shape[d]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const n = outShape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    let r = i;
    let at = 0;
    for (let k = outShape.length - 1; k >= 0; k--) {
      at += (r % outShape[k]) * strides[dims[k]];
      r = Math.floor(r / outShape[k]);
    }
    out.push(data[at]);
  }
  return out;
}

describe('grid launch of strided views (rank <= 4 after merging, rows of 16 or more)', () => {
  it('unary, binary with broadcasting, where, copy and cast against host references; rank 5 and short rows take the 1-D launch', async () => {
    // the first 39 columns of a 37 x 40 matrix (not dense: a unary map cannot run in memory order)
    const a = randomArray(37 * 40, 51);
    const x = tensor(a, [37, 40]);
    const xt = x.transpose();
    const e = exp(slice(x, 1, 0, 39));
    assertClose(await e.toArray(), Array.from(a, (v, i) => [v, i % 40]).filter(([, col]) => col < 39).map(([v]) => Math.exp(v)), { rtol: 2e-6, atol: 1e-6 }, 'exp of a column slice');
    // (3, 37, 19) + (37, 1): b broadcast along two dims
    const p = randomArray(3 * 37 * 19, 52);
    const q = randomArray(37, 53);
    const tp = tensor(p, [3, 37, 19]);
    const tq = tensor(q, [37, 1]);
    const s = add(tp, tq);
    assertClose(await s.toArray(), Array.from(p, (v, i) => v + q[Math.floor(i / 19) % 37]), { rtol: 2e-6, atol: 1e-6 }, 'broadcast add');
    // (4, 5, 70) read as (4, 70, 5) and back: rows of 5 (1-D launch), then rows of 70 (grid)
    const m = randomArray(4 * 5 * 70, 54);
    const tm = tensor(m, [4, 5, 70]);
    const pm = permute(tm, [0, 2, 1]);
    const c1 = contiguous(pm);
    assertClose(await c1.toArray(), permuteHost(m, [4, 5, 70], [0, 2, 1]), { rtol: 0, atol: 0 }, 'short-row copy');
    const c2 = contiguous(permute(c1, [0, 2, 1]));
    assertClose(await c2.toArray(), m, { rtol: 0, atol: 0 }, 'grid copy');
    // rank 4 that no dims merge (grid, d0 * d1 folded into z): (2, 4, 3, 20) from (2, 3, 4, 20)
    const r4 = randomArray(2 * 3 * 4 * 20, 55);
    const t4 = tensor(r4, [2, 3, 4, 20]);
    const c4 = contiguous(permute(t4, [0, 2, 1, 3]));
    assertClose(await c4.toArray(), permuteHost(r4, [2, 3, 4, 20], [0, 2, 1, 3]), { rtol: 0, atol: 0 }, 'rank-4 copy');
    // rank 5 that no dims merge (1-D launch): (2, 5, 4, 3, 20) from (2, 3, 4, 5, 20)
    const r5 = randomArray(2 * 3 * 4 * 5 * 20, 56);
    const t5 = tensor(r5, [2, 3, 4, 5, 20]);
    const c5 = contiguous(permute(t5, [0, 3, 2, 1, 4]));
    assertClose(await c5.toArray(), permuteHost(r5, [2, 3, 4, 5, 20], [0, 3, 2, 1, 4]), { rtol: 0, atol: 0 }, 'rank-5 copy');
    // where with a strided condition, and a cast of a transposed i32 view
    const w = where(gtHost(xt), xt, tensor([0]));
    assertClose(await w.toArray(), permuteHost(a, [37, 40], [1, 0]).map((v) => (v > 0 ? v : 0)), { rtol: 0, atol: 0 }, 'where');
    const ints = tensor(Int32Array.from({ length: 20 * 17 }, (_, i) => i - 100), [20, 17], 'i32');
    const f = cast(slice(ints, 1, 0, 16), 'f32');
    assertClose(await f.toArray(), Array.from({ length: 340 }, (_, i) => i).filter((i) => i % 17 < 16).map((i) => i - 100), { rtol: 0, atol: 0 }, 'cast');
    // copyInto and fill of a strided destination (a column block of a wider tensor)
    const wide = tensor(new Float32Array(6 * 50), [6, 50]);
    const block = slice(wide, 1, 10, 30);
    copyInto(block, tensor(Float32Array.from({ length: 120 }, (_, i) => i + 1), [6, 20]));
    fillInPlace(slice(wide, 1, 30, 48), -1);
    const expected = Array.from({ length: 300 }, (_, i) => { const col = i % 50; const row = Math.floor(i / 50); return col >= 10 && col < 30 ? row * 20 + (col - 10) + 1 : col >= 30 && col < 48 ? -1 : 0; });
    assertClose(await wide.toArray(), expected, { rtol: 0, atol: 0 }, 'strided destination');
    tidy(() => [x, tp, tq, tm, t4, t5, ints, wide].forEach((t) => t.dispose()));
  });
});

/** 1 where x > 0 (a strided view stays strided). */
function gtHost(x: Tensor): Tensor {
  return unaryRaw('gt_scalar', x, 0, 0);
}

describe('vec4 fast path for contiguous operands', () => {
  it.each(['exp', 'relu', 'affine', 'gelu'] as UnaryOpName[])('unary %s: vec4 when sizes and offsets divide by 4, scalar otherwise', async (name) => {
    const data = randomArray(12 * 20, 17, -3, 3);
    const x = tensor(data, [12, 20]);
    const ref = (from: number, n: number) => Array.from(data.subarray(from, from + n), (v) => unaryOps[name].ref(v, 0.7, -0.3));
    let y: Tensor | null = null;
    const kernels = await runtime().profile(() => {
      y = unaryRaw(name, x, 0.7, -0.3);
    });
    expect(kernels.map((k) => k.kernel)).toEqual([`unary_vec4/${name}`]);
    assertClose(await y!.toArray(), ref(0, 240), { rtol: 2e-6, atol: 1e-6 }, `${name} vec4`);
    const rows = slice(x, 0, 1, 12); // offset 20: still vec4
    const yr = unaryRaw(name, rows, 0.7, -0.3);
    assertClose(await yr.toArray(), ref(20, 220), { rtol: 2e-6, atol: 1e-6 }, `${name} vec4 at an offset`);
    const odd = slice(tensor(data, [240]), 0, 3, 239); // offset 3, 236 elements: scalar path
    let yo: Tensor | null = null;
    const scalarKernels = await runtime().profile(() => {
      yo = unaryRaw(name, odd, 0.7, -0.3);
    });
    expect(scalarKernels.map((k) => k.kernel)).toEqual([`unary/${name}`]);
    assertClose(await yo!.toArray(), ref(3, 236), { rtol: 2e-6, atol: 1e-6 }, `${name} scalar at an odd offset`);
    for (const t of [x, y!, rows, yr, odd, yo!]) t.dispose();
  });

  it('keeps a permuted dense layout (runs in memory order, on the vec4 path)', async () => {
    const a = randomArray(4 * 6 * 8, 5);
    const b = randomArray(4 * 6 * 8, 6);
    const ta = tensor(a, [4, 6, 8]).permute([0, 2, 1]); // [4, 8, 6], strides [48, 1, 8]
    const tb = tensor(b, [4, 6, 8]).permute([0, 2, 1]);
    let y: Tensor | null = null;
    const kernels = await runtime().profile(() => {
      y = binaryRaw('sub', ta, tb);
    });
    expect(kernels.map((k) => k.kernel)).toEqual(['binary_vec4/sub']);
    expect(y!.strides).toEqual(ta.strides);
    const expected: number[] = [];
    for (let i = 0; i < 4; i++) for (let k = 0; k < 8; k++) for (let j = 0; j < 6; j++) expected.push(a[i * 48 + j * 8 + k] - b[i * 48 + j * 8 + k]);
    assertClose(await y!.toArray(), expected, { rtol: 1e-6, atol: 1e-7 }, 'sub in permuted layout');
    for (const t of [ta, tb, y!]) t.dispose();
  });

  it('a row broadcast over the rows (a bias add) takes the vec4 row path', async () => {
    const x = randomArray(3 * 5 * 12, 3);
    const bias = randomArray(12, 4);
    const tx = tensor(x, [3, 5, 12]);
    const tb = tensor(bias, [12]);
    for (const op of ['add', 'mul'] as const) {
      let y: Tensor | null = null;
      const kernels = await runtime().profile(() => {
        y = binaryRaw(op, tx, tb);
      });
      expect(kernels.map((k) => k.kernel)).toEqual([`binary_vec4_row/${op}`]);
      assertClose(await y!.toArray(), Array.from(x, (v, i) => binaryOps[op].ref(v, bias[i % 12], 0)), { rtol: 1e-6, atol: 1e-7 }, `${op} row`);
      y!.dispose();
    }
    // A row of 10 (not a multiple of 4) falls back to the general kernel, with the same values.
    const t10 = tensor(x.subarray(0, 30), [3, 10]);
    const b10 = tensor(bias.subarray(0, 10), [10]);
    const y10 = binaryRaw('add', t10, b10);
    assertClose(await y10.toArray(), Array.from(x.subarray(0, 30), (v, i) => v + bias[i % 10]), { rtol: 1e-6, atol: 1e-7 }, 'add row of 10');
    for (const t of [tx, tb, t10, b10, y10]) t.dispose();
  });

  it('binary ops and copies take the vec4 path on contiguous operands', async () => {
    const a = randomArray(64, 1);
    const b = randomArray(64, 2);
    const ta = tensor(a, [4, 16]);
    const tb = tensor(b, [4, 16]);
    let y: Tensor | null = null;
    const kernels = await runtime().profile(() => {
      y = binaryRaw('mul', ta, tb);
    });
    expect(kernels.map((k) => k.kernel)).toEqual(['binary_vec4/mul']);
    assertClose(await y!.toArray(), Array.from(a, (v, i) => v * b[i]), { rtol: 1e-6, atol: 1e-7 }, 'mul vec4');
    const ints = tensor(Int32Array.from({ length: 32 }, (_, i) => i - 7), [32]);
    const part = slice(ints, 0, 8, 24);
    const c = contiguous(part);
    expect(c.buffer).toBe(ints.buffer);
    const moved = tidy(() => part.reshape([4, 4]).transpose().contiguous().transpose().contiguous());
    expect(Array.from(await moved.toArray())).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const dst = tensor(new Int32Array(16), [16]);
    const copies = await runtime().profile(() => copyInto(dst, part));
    expect(copies.map((k) => k.kernel)).toEqual(['copy_vec4/default']);
    expect(Array.from(await dst.toArray())).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const t of [ta, tb, y!, ints, part, c, moved, dst]) t.dispose();
  });
});

describe('where', () => {
  it('selects with broadcasting', async () => {
    const c = tensor([1, 0, 1], [3, 1]);
    const a = tensor(randomArray(12, 5), [3, 4]);
    const b = tensor([10, 20, 30, 40], [4]);
    const y = where(c, a, b);
    const av = await a.toArray();
    const expected = Array.from({ length: 12 }, (_, i) => ([1, 0, 1][Math.floor(i / 4)] ? av[i] : [10, 20, 30, 40][i % 4]));
    assertClose(await y.toArray(), expected, {}, 'where');
    for (const t of [a, b, c, y]) t.dispose();
  });
});

describe('gradients of elementwise ops (finite differences)', () => {
  const pos = (n: number, s: number) => randomArray(n, s, 0.3, 2);
  const any = (n: number, s: number) => randomArray(n, s, -2, 2);
  const unaries: [string, (x: Tensor) => Tensor, (n: number, s: number) => Float32Array][] = [
    ['neg', neg, any], ['exp', exp, any], ['log', log, pos], ['sqrt', sqrt, pos], ['rsqrt', rsqrt, pos], ['abs', abs, any],
    ['relu', relu, any], ['sigmoid', sigmoid, any], ['tanh', tanh, any], ['gelu', gelu, any], ['erf', erf, any],
    ['clamp', (x) => clamp(x, -0.5, 0.7), any], ['pow 3', (x) => pow(x, 3), any], ['pow 0.5', (x) => pow(x, 0.5), pos],
    ['rpow', (x) => pow(2, x), any], ['rdiv', (x) => div(3, x), pos], ['affine', (x) => sub(mul(x, 1.5), 2), any],
  ];
  it.each(unaries)('%s', async (_name, f, gen) => {
    await gradcheck(f, [{ data: gen(15, 21), shape: [3, 5] }]);
  });
  const binaries: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', add], ['sub', sub], ['mul', mul], ['div', div], ['pow', pow], ['maximum', maximum], ['minimum', minimum],
  ];
  it.each(binaries)('%s with broadcasting', async (_name, f) => {
    await gradcheck(f, [{ data: randomArray(12, 31, 0.3, 2), shape: [3, 4] }, { data: randomArray(4, 32, 0.3, 2), shape: [4] }]);
    await gradcheck(f, [{ data: randomArray(3, 33, 0.3, 2), shape: [3, 1] }, { data: randomArray(8, 34, 0.3, 2), shape: [2, 1, 4] }]);
  });
  it('where', async () => {
    const cond = tensor([1, 0, 0, 1, 1, 0], [2, 3]);
    await gradcheck((a, b) => where(cond, a, b), [{ data: randomArray(6, 41), shape: [2, 3] }, { data: randomArray(3, 42), shape: [3] }]);
    cond.dispose();
  });
});

describe('memory', () => {
  it('returns every temporary of a scope', async () => {
    const x = tensor(randomArray(64, 1), [8, 8]);
    const before = memory().liveTensors;
    for (let i = 0; i < 5; i++) {
      const y = tidy(() => relu(add(mul(x, 2), 1)).sum());
      await y.item();
      y.dispose();
    }
    expect(memory().liveTensors).toBe(before);
    x.dispose();
  });
});
