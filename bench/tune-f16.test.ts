import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { init, tensor, matmul, autocast, adapterFacts, recordVariantLookups, recordedVariantLookups, forcedVariant, tunedVariants } from '@fusion/tensor';
import { tuneLookups, candidatesFor } from './src/tune.js';

beforeAll(async () => {
  await init();
});
afterEach(() => recordVariantLookups(false));

describe('the tuner on the f16 GEMM', () => {
  it('records the mixed-precision GEMM as gemm-f16 and times every candidate the adapter runs', async () => {
    const a = tensor(new Float32Array(9 * 21).fill(0.5), [9, 21]);
    const b = tensor(new Float32Array(21 * 6).fill(0.25), [21, 6]);
    recordVariantLookups(true);
    autocast(() => matmul(a, b)).dispose();
    const lookups = recordedVariantLookups();
    recordVariantLookups(false);
    expect(lookups.map((l) => [l.kernel, ...l.sizes])).toEqual([['gemm-f16', 9, 6, 21, 1]]);
    const candidates = candidatesFor('gemm-f16', lookups[0].sizes);
    expect(candidates.some((c) => c.variant === 'subgroup-matrix')).toBe(adapterFacts().subgroupMatrixF16);
    const { rows } = await tuneLookups(lookups, 1, { repeats: 1, callsPerRegion: 1 });
    expect(rows[0].candidates).toHaveLength(candidates.length);
    expect(rows[0].candidates.every((c) => c.ms !== null && c.ms > 0)).toBe(true);
    expect(forcedVariant('gemm-f16')).toBeNull();
    expect(tunedVariants()).toEqual([]);
    a.dispose();
    b.dispose();
  });
});
