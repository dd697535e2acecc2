import { describe, expect, it } from 'vitest';
import { init, gpu, dawnFlagsFor, SETUP_HINT } from '../index.js';
import { OPTIONAL_FEATURES } from './device.js';

// Runs in its own worker (vitest isolates files), so the failed acquisition below does not
// leave a device behind for other tests.
describe('device acquisition', () => {
  it('explains how to get an adapter when none is found, not a stack trace', async () => {
    await expect(init({ dawnFlags: ['adapter=no-such-adapter'] })).rejects.toThrow(/No WebGPU adapter was found.*bash scripts\/setup\.sh/s);
    expect(() => gpu()).toThrow(/call `await init\(\)`/);
    expect(SETUP_HINT).toMatch(/bookworm-backports/);
  });

  it('builds Dawn flags from one options object; robustness stays on unless asked', () => {
    expect(dawnFlagsFor({})).toEqual([]);
    expect(dawnFlagsFor({ disableRobustness: true })[0]).toMatch(/^enable-dawn-features=.*disable_robustness/);
    const experimental = dawnFlagsFor({ experimental: true }).join(' ');
    expect(experimental).toMatch(/allow_unsafe_apis/);
    expect(experimental).not.toMatch(/disable_robustness/);
    expect(dawnFlagsFor({ dawnFlags: ['x=y'] })).toEqual(['x=y']);
  });

  it('acquires the adapter with its own limits and reports it', async () => {
    const g = await init();
    expect(g.gpu.info.description.length).toBeGreaterThan(0);
    expect(g.gpu.info.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(g.gpu.info.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    const wanted = OPTIONAL_FEATURES.filter((f) => g.gpu.info.adapterFeatures.includes(f));
    expect(wanted.length).toBeGreaterThan(0);
    for (const f of wanted) expect(g.gpu.hasFeature(f)).toBe(true);
  });
});
