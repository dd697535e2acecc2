import { describe, expect, it } from 'vitest';
import { init, tensor, cast, add, contiguous, transpose, slice, full, mul, matmul, memory, runtime, setBindingLimitForTests, DeviceLimitError } from '../index.js';
import { f16ArrayToF32, f32ArrayToF16 } from '../io/float16.js';
import { gradcheck, randomArray } from '../testing.js';

await init();

/** What f16 storage must hold for host values: each rounded to nearest f16 (ties to even). */
function roundedToF16(x: Float32Array): Float32Array {
  return f16ArrayToF32(f32ArrayToF16(x));
}

function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(expected[i])) expect(Number.isNaN(actual[i]), `${what}[${i}] is NaN`).toBe(true);
    else if (a[i] !== e[i]) throw new Error(`${what}[${i}]: got ${actual[i]} (0x${a[i].toString(16)}), expected ${expected[i]} (0x${e[i].toString(16)})`);
  }
}

/** Every f16 bit pattern but the NaNs, widened to f32 (exact). */
function everyFiniteOrInfiniteF16(): Float32Array {
  const halves = new Uint16Array(65536).map((_, i) => i);
  return f16ArrayToF32(halves).filter((v) => !Number.isNaN(v));
}

describe('f16 storage', () => {
  it.each([1, 2, 7, 513])('uploads and reads back %i elements (odd lengths: the spare half is not read)', async (n) => {
    const x = randomArray(n, n, -3, 3);
    const t = tensor(x, [n], 'f16');
    expect(t.dtype).toBe('f16');
    expectSameBits((await t.toArray()) as Float32Array, roundedToF16(x), 'read back');
    t.dispose();
  });

  it('casts every f16 value to f32 and back exactly, on the GPU', async () => {
    const values = everyFiniteOrInfiniteF16();
    const x16 = tensor(values, [values.length], 'f16');
    const wide = cast(x16, 'f32');
    expect(wide.dtype).toBe('f32');
    expectSameBits((await wide.toArray()) as Float32Array, values, 'f16 -> f32');
    const narrow = cast(wide, 'f16');
    expectSameBits((await narrow.toArray()) as Float32Array, values, 'f32 -> f16 of f16 values');
    for (const t of [x16, wide, narrow]) t.dispose();
  });

  it('rounds f32 to nearest even f16 on the GPU as on the host: ties, subnormals, overflow to inf, NaN', async () => {
    const special = [
      65504, 65519, 65520, 1e6, -1e6, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -(1 + 2 ** -11), 2 ** -24, 2 ** -25, 3 * 2 ** -26, 1e-9, -0, 0, 6e-5,
      6.1e-5, 1e-7, Infinity, -Infinity, NaN, 3.14159, -2.71828,
    ];
    const x = new Float32Array([...special, ...randomArray(997, 3, -70000, 70000), ...randomArray(501, 4, -1e-4, 1e-4)]);
    const t = tensor(x, [x.length]);
    const h = cast(t, 'f16');
    const got = (await h.toArray()) as Float32Array;
    expectSameBits(got, roundedToF16(x), 'f32 -> f16');
    expect(got[2]).toBe(Infinity);
    expect(got[4]).toBe(-Infinity);
    expect(Object.is(got[12], -0)).toBe(true);
    t.dispose();
    h.dispose();
  });

  it('copies and casts strided f16 views (transposes, odd offsets)', async () => {
    const x = randomArray(5 * 7, 9, -2, 2);
    const rounded = roundedToF16(x);
    const h = tensor(x, [5, 7], 'f16');
    const ht = transpose(h);
    const expectedT = new Float32Array(35);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 7; j++) expectedT[j * 5 + i] = rounded[i * 7 + j];
    const c = contiguous(ht);
    expectSameBits((await c.toArray()) as Float32Array, expectedT, 'contiguous(transpose)');
    expectSameBits((await ht.toArray()) as Float32Array, expectedT, 'toArray of a transposed view');
    const odd = slice(h, 1, 3, 6); // columns 3..5: offset 3, odd
    const expectedOdd = new Float32Array(15);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) expectedOdd[i * 3 + j] = rounded[i * 7 + 3 + j];
    expectSameBits((await odd.toArray()) as Float32Array, expectedOdd, 'odd-offset slice');
    const wide = cast(odd, 'f32');
    expectSameBits((await wide.toArray()) as Float32Array, expectedOdd, 'cast of an odd-offset slice');
    const f = tensor(x, [5, 7]);
    const narrowT = cast(transpose(f), 'f16');
    expectSameBits((await narrowT.toArray()) as Float32Array, expectedT, 'cast of a transposed f32 view');
    for (const t of [h, ht, c, odd, wide, f, narrowT]) t.dispose();
  });

  it('full() and zeros in f16', async () => {
    const t = full([3], 1 / 3, 'f16');
    expectSameBits((await t.toArray()) as Float32Array, roundedToF16(new Float32Array([1 / 3, 1 / 3, 1 / 3])), 'full');
    t.dispose();
  });

  it('refuses f16 in ops that do not take it, naming what does', () => {
    const h = tensor([1, 2, 3], [3], 'f16');
    expect(() => add(h, h)).toThrow(/add \(first operand\): expected a f32 tensor, got f16 \(f16 tensors are accepted only by .*matmul, linear and conv2d; cast\(x, 'f32'\) first\)/);
    h.dispose();
  });

  it('cast is differentiable: d cast(x) = dx (finite differences on f16-exact inputs)', async () => {
    // inputs and steps on the 2^-8 grid stay exactly representable in f16, so the rounding of the
    // cast is exact and the difference quotient is the true derivative
    const grid = randomArray(12, 5, -1, 1).map((v) => Math.round(v * 256) / 256);
    await gradcheck((x) => mul(cast(cast(x, 'f16'), 'f32'), x), [{ data: grid, shape: [3, 4] }], { eps: 2 ** -8, rtol: 1e-5, atol: 1e-5 });
  });

  it('leaks nothing', async () => {
    const before = memory().liveTensors;
    const live = memory().liveBytes;
    const t = tensor(randomArray(9, 1), [9]);
    const h = cast(t, 'f16');
    const back = cast(h, 'f32');
    for (const x of [t, h, back]) x.dispose();
    expect(memory().liveTensors).toBe(before);
    expect(memory().liveBytes).toBe(live);
  });
});

describe('f16 tensors and the binding limit (half the bytes of f32)', () => {
  const LIMIT = 4096;

  it('casts and copies past one binding in chunks, odd tails included, bit-exact', async () => {
    const before = memory().liveTensors;
    const n = 5 * 1024 + 13; // f32 chunks of 1,024 elements; an odd tail
    const x = randomArray(n, 11, -3, 3);
    const xs = tensor(x, [n]);
    setBindingLimitForTests(LIMIT);
    try {
      const dispatches = runtime().stats.dispatches;
      const h = cast(xs, 'f16'); // f32 -> f16: chunks as wide as the f32 input allows
      expect(runtime().stats.dispatches - dispatches).toBe(Math.ceil(n / 1024));
      const wide = cast(h, 'f32');
      expectSameBits((await wide.toArray()) as Float32Array, roundedToF16(x), 'f32 -> f16 -> f32 in chunks');
      const view = slice(h, 0, 2, n); // an f16 view starting on a word reads back as it is
      expectSameBits((await view.toArray()) as Float32Array, roundedToF16(x).subarray(2), 'f16 view at an even offset');
      // one starting mid-word needs the copy kernel over the whole buffer, which cannot be split: it stops before any dispatch
      const odd = slice(h, 0, 1, n);
      const before = runtime().stats.dispatches;
      await expect(odd.toArray()).rejects.toThrow(/tensor \(5133\) f16 \(made by cast_f32_to_f16\/default\) takes 10\.0 KiB, more than this adapter's maxStorageBufferBindingSize \(4\.0 KiB\), and kernel copy_f16 binds it whole as "input" \(this elementwise call cannot be split: an operand or the output is broadcast, strided or an f16 view starting mid-word\)/);
      expect(runtime().stats.dispatches).toBe(before);
      for (const t of [h, wide, view, odd]) t.dispose();
    } finally {
      setBindingLimitForTests(null);
      xs.dispose();
    }
    expect(memory().liveTensors).toBe(before);
  });

  it('an f16 GEMM operand is measured in f16 bytes: it binds below the limit where its f32 twin would not, and past it stops naming the f16 kernel', async () => {
    // 40 x 40 f16 operands are 3,200 bytes (f32: 6,400); the f32 output 40 x 20 is 3,200 bytes
    setBindingLimitForTests(LIMIT);
    const a = tensor(randomArray(40 * 40, 12), [40, 40], 'f16');
    const b = tensor(randomArray(40 * 20, 13), [40, 20], 'f16');
    const big = tensor(randomArray(64 * 40, 14), [64, 40], 'f16'); // 5,120 bytes
    try {
      const c = matmul(a, b);
      expect(c.shape).toEqual([40, 20]);
      c.dispose();
      const dispatches = runtime().stats.dispatches;
      expect(() => matmul(big, b)).toThrow(DeviceLimitError);
      expect(() => matmul(big, b)).toThrow(/tensor \(64, 40\) f16 \(made by tensor\) takes 5\.0 KiB, more than this adapter's maxStorageBufferBindingSize \(4\.0 KiB\), and kernel matmul_f16_\w+\/nn binds it whole as "a"/);
      expect(runtime().stats.dispatches).toBe(dispatches);
    } finally {
      setBindingLimitForTests(null);
      for (const t of [a, b, big]) t.dispose();
    }
  });
});
