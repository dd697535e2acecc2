import { beforeAll, describe, expect, it } from 'vitest';
import { init, runtime } from '../index.js';
import { allSpecs } from '@fusion/kernels/testing';

beforeAll(async () => {
  await init();
});

// wgsl_reflect parses leniently; Dawn is the judge. Compile every variant of every kernel whose
// features (`requires`) the device has; the others are named (on lavapipe: the subgroup-matrix
// GEMMs, which stay unverified until a GPU run).
describe('every kernel variant compiles on the device', () => {
  it('compiles', async () => {
    let count = 0;
    const g = runtime().gpu;
    const runnable = allSpecs().filter((s) => (s.requires ?? []).every((f) => g.hasFeature(f)));
    const lacking = allSpecs().filter((s) => !runnable.includes(s));
    for (const s of lacking) expect(s.requires!.some((f) => !g.hasFeature(f)), s.name).toBe(true);
    if (lacking.length) console.log(`not compiled here (the device lacks a feature they need): ${lacking.map((s) => s.name).join(', ')}`);
    for (const spec of runnable) {
      for (const variant of Object.keys(spec.variants)) {
        runtime().caches.kernel(spec, variant);
        count++;
      }
    }
    await runtime().sync();
    expect(count).toBeGreaterThan(40);
  });
});
