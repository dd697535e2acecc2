import { beforeAll, describe, expect, it } from 'vitest';
import { init, runtime } from '../index.js';
import { allSpecs } from '@fusion/kernels/testing';

beforeAll(async () => {
  await init();
});

// wgsl_reflect parses leniently; Dawn is the judge. Compile every variant of every kernel.
describe('every kernel variant compiles on the device', () => {
  it('compiles', async () => {
    let count = 0;
    for (const spec of allSpecs()) {
      for (const variant of Object.keys(spec.variants)) {
        runtime().caches.kernel(spec, variant);
        count++;
      }
    }
    await runtime().sync();
    expect(count).toBeGreaterThan(40);
  });
});
