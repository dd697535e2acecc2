import { beforeAll, describe, expect, it } from 'vitest';
import { bceWithLogitsReference, defineKernel, unaryKernel } from '@fusion/kernels';
import { init, runtime, tensor, bceWithLogits, matmul, relu, sum, exp } from '../index.js';
import { assertClose, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

describe('runtime().run', () => {
  // bceWithLogits without pos_weight and without a gradient leaves a read-only binding (pw) and a
  // writable one (grad) null. They used to share one placeholder buffer, which WebGPU rejects (a
  // writable usage aliased within one dispatch).
  it('binds a distinct placeholder to each ignored binding, read-only and writable alike', async () => {
    const n = 37;
    const xs = randomArray(n, 1, -4, 4);
    const ys = randomArray(n, 2, 0, 1);
    const x = tensor(xs, [n]);
    const y = tensor(ys, [n]);
    expect(x.requiresGrad).toBe(false);
    const loss = bceWithLogits(x, y, { reduction: 'none' });
    assertClose(await loss.toArray(), bceWithLogitsReference(xs, ys).loss, { rtol: 1e-5, atol: 1e-6 });
    for (const t of [x, y, loss]) t.dispose();
  });
});

describe('waiting for the GPU', () => {
  it('throttles Dawn\'s setImmediate polling only while a readback is pending, then restores it', async () => {
    const native = globalThis.setImmediate;
    const x = tensor(randomArray(1 << 16, 3), [1 << 16]);
    const y = x.exp();
    let during: typeof setImmediate | null = null;
    const reading = y.toArray();
    // The readback's first await (error scopes) is already pending here.
    during = globalThis.setImmediate;
    const values = await reading;
    expect(during).not.toBe(native);
    expect(globalThis.setImmediate).toBe(native);
    expect(values.length).toBe(1 << 16);
    // Concurrent readbacks: restored only after the last one.
    const a = x.toArray();
    const b = y.toArray();
    await a;
    await b;
    expect(globalThis.setImmediate).toBe(native);
    x.dispose();
    y.dispose();
  });
});

describe('WebGPU errors', () => {
  it('surface with the kernel\'s name (a shader that does not compile)', async () => {
    const broken = defineKernel({
      ...unaryKernel,
      name: 'unary_broken',
      variants: { bad: { hooks: { unary_op: 'fn unary_op(x: f32, alpha: f32, beta: f32) -> f32 {\n  return x + true;\n}' } } },
    });
    const x = tensor([1, 2, 3, 4, 5]);
    const out = tensor(new Float32Array(5));
    runtime().run(broken, 'bad', { buffers: { a: x.buffer, out: out.buffer }, uniforms: { numel: 5, rank: 1, shape: [5], strides_a: [1] } });
    await expect(runtime().sync()).rejects.toThrow(/compiling kernel unary_broken\/bad/);
    x.dispose();
    out.dispose();
  });
});

describe('host cost on repeated shapes', () => {
  it('the pool hands out the free buffer it created first, whatever the release order', () => {
    const pool = runtime().pool;
    const [a, b, c] = [pool.acquire(4096), pool.acquire(4096), pool.acquire(4096)];
    pool.release(b);
    pool.release(c);
    pool.release(a);
    // created in the order a, b, c: reuse follows creation, not release
    expect(pool.acquire(4096)).toBe(a);
    expect(pool.acquire(4096)).toBe(b);
    expect(pool.acquire(4096)).toBe(c);
    for (const x of [a, b, c]) pool.release(x);
  });

  it('a repeated sequence of ops creates no new bind group, uniform buffer or pipeline', async () => {
    const x = tensor(randomArray(300, 4), [10, 30]);
    const w = tensor(randomArray(30 * 7, 5), [30, 7]);
    const work = () => {
      const p = matmul(x, w);
      const y = relu(p);
      const s = sum(y, 0);
      const out = exp(s);
      for (const t of [p, y, s]) t.dispose();
      return out;
    };
    const first = work();
    const expected = await first.toArray();
    first.dispose();
    const before = runtime().caches.stats();
    for (let i = 0; i < 3; i++) {
      const again = work();
      assertClose(await again.toArray(), Float64Array.from(expected), { rtol: 0, atol: 0 });
      again.dispose();
    }
    expect(runtime().caches.stats()).toEqual(before);
    x.dispose();
    w.dispose();
  });
});
