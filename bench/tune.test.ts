import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { init, tensor, matmul, softmax, layerNorm, recordVariantLookups, recordedVariantLookups, forcedVariant, tunedVariants, adapterFacts, VARIANT_KERNELS, type RecordedLookup, type VariantKernel } from '@fusion/tensor';
import { tuneLookups, gainPerKernel, candidatesFor } from './src/tune.js';
import { parseTuneArgs } from './tune.js';

beforeAll(async () => {
  await init();
});
afterEach(() => recordVariantLookups(false));

/** The lookups of a few small ops, recorded through the variant table. */
function smallLookups(): RecordedLookup[] {
  const a = tensor(new Float32Array(7 * 13).fill(0.5), [7, 13]);
  const b = tensor(new Float32Array(13 * 5).fill(0.25), [13, 5]);
  const x = tensor(new Float32Array(3 * 8).fill(1), [3, 8]);
  recordVariantLookups(true);
  for (const t of [matmul(a, b), softmax(x), layerNorm(x, null, null)]) t.dispose();
  const lookups = recordedVariantLookups();
  recordVariantLookups(false);
  for (const t of [a, b, x]) t.dispose();
  return lookups;
}

describe('the tuner', () => {
  it('times every candidate of each recorded lookup and keeps the table clean (a quick tune on tiny shapes)', async () => {
    const lookups = smallLookups();
    expect(lookups.map((l) => l.kernel)).toEqual(['gemm', 'softmax', 'layernorm']);
    const { rows, entries } = await tuneLookups(lookups, 1, { repeats: 1, callsPerRegion: 1 });
    expect(rows.map((r) => r.kernel)).toEqual(['gemm', 'softmax', 'layernorm']);
    for (const r of rows) {
      const candidates = candidatesFor(r.kernel, r.sizes);
      expect(r.candidates).toHaveLength(candidates.length);
      expect(r.candidates.every((c) => c.ms !== null && c.ms > 0)).toBe(true);
      expect(r.heuristic.ms).toBeGreaterThan(0);
      expect(r.best.ms).toBeLessThanOrEqual(r.heuristic.ms);
      expect(r.gain).toBeGreaterThanOrEqual(1);
    }
    expect(rows.find((r) => r.kernel === 'gemm')!.sizes).toEqual([7, 5, 13, 1]);
    expect(entries.map((e) => e.kernel)).toEqual(rows.filter((r) => r.tuned).map((r) => r.kernel));
    for (const e of entries) expect(e.variant === e.heuristic.variant && !e.constants).toBe(false);
    expect(forcedVariant('gemm')).toBeNull();
    expect(tunedVariants()).toEqual([]);
    const perKernel = gainPerKernel(rows);
    expect(perKernel.map((k) => k.kernel)).toEqual(['gemm', 'softmax', 'layernorm']);
    for (const k of perKernel) expect(k.tunedMs).toBeLessThanOrEqual(k.heuristicMs);
  });

  it('offers only candidates the shape allows (vec4 softmax needs rows whose length divides by 4)', () => {
    expect(candidatesFor('softmax', [3, 8, 1, 0]).map((c) => c.variant)).toEqual(['lines', 'workgroup', 'vec4']);
    expect(candidatesFor('softmax', [3, 7, 1, 0]).map((c) => c.variant)).toEqual(['lines', 'workgroup']);
    expect(candidatesFor('softmax', [3, 8, 2, 0]).map((c) => c.variant)).toEqual(['lines']);
    expect(candidatesFor('outer', [2, 3, 5, 0]).map((c) => c.variant)).toEqual(['scalar']);
  });

  it('offers every variant of the table (a new variant must be added to the candidates)', () => {
    // two size sets that between them allow every variant (softmax's vec4 needs no inner dim,
    // outer's vec4 a third size divisible by 4)
    for (const kernel of Object.keys(VARIANT_KERNELS) as VariantKernel[]) {
      const offered = new Set([[8, 64, 1, 16], [8, 64, 16, 16]].flatMap((sizes) => candidatesFor(kernel, sizes).map((c) => c.variant)));
      const runnable = VARIANT_KERNELS[kernel].filter((v) => kernel !== 'gemm' || v !== 'subgroup' || adapterFacts().subgroupGemm);
      expect([...offered].sort(), kernel).toEqual([...runnable].sort());
    }
  });
});

describe('pnpm bench tune arguments', () => {
  it('parses the options and rejects unknown ones', () => {
    expect(parseTuneArgs([])).toEqual({ preset: 'tiny', fusion: 'cross-pixel', force: false });
    expect(parseTuneArgs(['--preset', 'seed', '--cache', '/tmp/t.json', '--force'])).toEqual({ preset: 'seed', fusion: 'cross-pixel', cache: '/tmp/t.json', force: true });
    expect(parseTuneArgs(['--cache'])).toEqual({ error: '--cache needs a value' });
    expect(parseTuneArgs(['--fast'])).toEqual({ error: "unknown option '--fast'" });
    expect('help' in parseTuneArgs(['--help'])).toBe(true);
  });
});
