// Tensors larger than one storage binding: with the binding limit lowered to 4 KiB (1,024 floats)
// through the test hook, contiguous elementwise calls (unary, binary, where, casts, copy, fill)
// run in chunks and match float64; calls that cannot be split (broadcast operands, arange, GEMM)
// stop before any dispatch with a DeviceLimitError naming the tensor's shape, the limit and the kernel.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unaryOps, binaryOps } from '@fusion/kernels';
import { init, runtime, tensor, matmul, where, cast, contiguous, zeros, arange, setBindingLimitForTests, DeviceLimitError, memory } from '../index.js';
import { assertClose, randomArray } from '../testing.js';

const LIMIT = 4096;

beforeAll(async () => {
  await init();
});
afterEach(() => setBindingLimitForTests(null));

describe('elementwise work past one binding', () => {
  it('unary, binary, where, casts, copy and fill split into chunks and match float64', async () => {
    const n = 5000 + 13; // 5 chunks of 1,024 and a ragged tail
    const xs = randomArray(n + 7, 1, -3, 3);
    const ys = randomArray(n, 2, -3, 3);
    const before = memory().liveTensors;
    setBindingLimitForTests(LIMIT);
    const xAll = tensor(xs, [n + 7]);
    const x = xAll.slice(0, 7, n + 7); // a view at an offset into its buffer
    const y = tensor(ys, [n]);
    const dispatches = runtime().stats.dispatches;
    const e = x.exp();
    expect(runtime().stats.dispatches - dispatches).toBe(Math.ceil(n / 1024));
    assertClose(await e.toArray(), Float64Array.from(xs.subarray(7), (v) => unaryOps.exp.ref(v)), { rtol: 1e-6, atol: 1e-6 }, 'exp');
    const s = x.add(y);
    assertClose(await s.toArray(), Float64Array.from(ys, (v, i) => binaryOps.add.ref(xs[i + 7], v)), { rtol: 1e-6, atol: 1e-6 }, 'add');
    const mask = y.gt(0);
    const w = where(mask, x, y);
    assertClose(await w.toArray(), Float64Array.from(ys, (v, i) => (v > 0 ? xs[i + 7] : v)), { rtol: 0, atol: 0 }, 'where');
    const scaled = x.mul(100);
    const ints = cast(scaled, 'i32');
    expect(Array.from(await ints.toArray())).toEqual(Array.from(xs.subarray(7), (v) => Math.trunc(Math.fround(Math.fround(v) * 100)) || 0));
    const copied = contiguous(x);
    expect(copied).not.toBe(x);
    expect(Array.from(await copied.toArray())).toEqual(Array.from(xs.subarray(7)));
    const z = zeros([n]);
    expect((await z.toArray()).every((v) => v === 0)).toBe(true);
    for (const t of [xAll, x, y, e, s, mask, w, scaled, ints, copied, z]) t.dispose();
    expect(memory().liveTensors).toBe(before);
  });

  it('stops before any dispatch, naming the shape, the limit and the kernel, where the work cannot be split', async () => {
    setBindingLimitForTests(LIMIT);
    const big = tensor(randomArray(3000, 3), [3000]);
    const row = tensor([2, 3]);
    const dispatches = runtime().stats.dispatches;
    const pairs = big.reshape([1500, 2]);
    expect(() => pairs.add(row)).toThrow(DeviceLimitError);
    expect(() => pairs.add(row)).toThrow(/tensor \(3000\) f32 \(made by tensor\) takes 11\.7 KiB, more than this adapter's maxStorageBufferBindingSize \(4\.0 KiB\), and kernel binary binds it whole as "input" \(this elementwise call cannot be split: an operand or the output is broadcast or strided\)/);
    expect(() => arange(0, 3000)).toThrow(/cannot be split: its result depends on the index/);
    const a = big.reshape([50, 60]);
    const b = tensor(randomArray(60 * 2, 4), [60, 2]);
    expect(() => matmul(a, b)).toThrow(/tensor \(3000\) f32 \(made by tensor\) takes 11\.7 KiB, more than this adapter's maxStorageBufferBindingSize \(4\.0 KiB\), and kernel matmul_\w+\/nn binds it whole as "a" \(this kernel cannot split its work\)/);
    expect(runtime().stats.dispatches).toBe(dispatches);
    setBindingLimitForTests(null);
    for (const t of [big, row, pairs, a, b]) t.dispose();
    await runtime().sync(); // nothing invalid reached the device
  });
});
