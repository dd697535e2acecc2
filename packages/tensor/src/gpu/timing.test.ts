import { beforeAll, describe, expect, it } from 'vitest';
import { init, runtime, tensor, add, tidy, memory } from '../index.js';

beforeAll(async () => {
  await init();
});

const ones = (n: number) => tensor(new Float32Array(n).fill(1), [n]);

describe('runtime().timeRegion', () => {
  it('times a region on GPU timestamps where the device has them, one compute pass per dispatch run', async () => {
    const rt = runtime();
    const a = ones(1000);
    let out: ReturnType<typeof add> | null = null;
    const r = await rt.timeRegion(() => {
      out = add(a, a);
    });
    expect(r.clock).toBe(rt.gpu.hasFeature('timestamp-query') ? 'timestamp' : 'wall');
    expect(r.passes).toBe(rt.gpu.hasFeature('timestamp-query') ? 1 : 0);
    expect(r.ms).toBeGreaterThan(0);
    expect(r.wallMs).toBeGreaterThan(0);
    // Timing does not change what the work computes.
    expect([...(await out!.toArray())].every((v) => v === 2)).toBe(true);
    out!.dispose();
    a.dispose();
  });

  it('counts every compute pass of the region (an upload between dispatches ends the pass)', async () => {
    const rt = runtime();
    if (!rt.gpu.hasFeature('timestamp-query')) throw new Error('this adapter has no timestamp-query: the timestamp path is untested here');
    const a = ones(64);
    const r = await rt.timeRegion(() =>
      tidy(() => {
        add(a, a);
        add(ones(64), a);
      }),
    );
    expect(r.clock).toBe('timestamp');
    expect(r.passes).toBe(2);
    a.dispose();
  });

  it('falls back to the host clock when the region records no compute pass', async () => {
    const rt = runtime();
    const r = await rt.timeRegion(() => {
      ones(16).dispose();
    });
    expect(r.clock).toBe('wall');
    expect(r.passes).toBe(0);
    expect(r.ms).toBe(r.wallMs);
  });

  it('rejects nested regions, and recovers when the region throws', async () => {
    const rt = runtime();
    const a = ones(8);
    let inner: Promise<string> | null = null;
    await rt.timeRegion(() => {
      inner = rt.timeRegion(() => {}).then(() => 'timed', (e: Error) => e.message);
    });
    expect(await inner!).toMatch(/do not nest/);
    await expect(rt.timeRegion(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    const r = await rt.timeRegion(() => tidy(() => { add(a, a); }));
    expect(r.passes).toBe(rt.gpu.hasFeature('timestamp-query') ? 1 : 0);
    a.dispose();
  });

  it('leaks no tensors', async () => {
    const before = memory().liveTensors;
    const a = ones(32);
    for (let i = 0; i < 3; i++) await runtime().timeRegion(() => tidy(() => { add(a, a); }));
    a.dispose();
    expect(memory().liveTensors).toBe(before);
  });
});

describe('runtime().profile', () => {
  it('profiles more dispatches than the timestamp query set holds (the seed preset runs ~2100 per step)', async () => {
    const rt = runtime();
    if (!rt.gpu.hasFeature('timestamp-query')) throw new Error('this adapter has no timestamp-query: profile() is untested here');
    const a = ones(8);
    const dispatches = 2100;
    const kernels = await rt.profile(() =>
      tidy(() => {
        for (let i = 0; i < dispatches; i++) add(a, a);
      }),
    );
    expect(kernels.reduce((n, k) => n + k.count, 0)).toBe(dispatches);
    expect(kernels.every((k) => k.ms >= 0)).toBe(true);
    // an upload ends the compute pass: one pass per iteration, more passes than the set holds
    const region = await rt.timeRegion(() => tidy(() => { for (let i = 0; i < dispatches; i++) add(ones(8), a); }));
    expect(region.clock).toBe('timestamp');
    expect(region.passes).toBe(dispatches);
    a.dispose();
  });
});
