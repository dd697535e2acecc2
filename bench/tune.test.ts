import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  init, tensor, matmul, softmax, layerNorm, maxPool2d, upsample2x, attention, backward, tidy, recordVariantLookups, recordedVariantLookups, forcedVariant, tunedVariants,
  adapterFacts, VARIANT_KERNELS, type RecordedLookup, type VariantKernel,
} from '@fusion/tensor';
import { tuneLookups, gainPerKernel, candidatesFor, blockedGemmCandidates } from './src/tune.js';
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

  it('tunes pooling, upsampling and the attention forward: every candidate runs and agrees with the heuristic', async () => {
    const x = tensor(new Float32Array(2 * 6 * 16).map((_, i) => Math.sin(i)), [1, 2, 6, 16]);
    x.requiresGrad = true;
    const q = tensor(new Float32Array(2 * 9 * 8).map((_, i) => Math.cos(i)), [1, 2, 9, 8]);
    recordVariantLookups(true);
    tidy(() => {
      backward(maxPool2d(x, 3, { stride: 2, padding: 1 }).sum());
      backward(upsample2x(x, 'bilinear').sum());
      attention(q, q, q);
    });
    const lookups = recordedVariantLookups().filter((l) => ['pool', 'upsample', 'attention'].includes(l.kernel));
    recordVariantLookups(false);
    expect(lookups.map((l) => l.kernel)).toEqual(['pool', 'upsample', 'attention']);
    const { rows } = await tuneLookups(lookups, 1, { repeats: 1, callsPerRegion: 1 });
    for (const r of rows) {
      expect(r.candidates).toHaveLength(candidatesFor(r.kernel, r.sizes).length);
      expect(r.candidates.filter((c) => c.ms === null)).toEqual([]);
    }
    for (const t of [x, q]) {
      t.grad?.dispose();
      t.dispose();
    }
  });

  it('offers only candidates the shape allows (vec4 softmax needs rows whose length divides by 4)', () => {
    expect(candidatesFor('softmax', [3, 8, 1, 0]).map((c) => c.variant)).toEqual(['lines', 'workgroup', 'vec4']);
    expect(candidatesFor('softmax', [3, 7, 1, 0]).map((c) => c.variant)).toEqual(['lines', 'workgroup']);
    expect(candidatesFor('softmax', [3, 8, 2, 0]).map((c) => c.variant)).toEqual(['lines']);
    expect(candidatesFor('outer', [2, 3, 5, 0]).map((c) => c.variant)).toEqual(['scalar']);
  });

  it('offers every variant of the table (a new variant must be added to the candidates)', () => {
    // two size sets that between them allow every variant (softmax's vec4 needs no inner dim,
    // outer's vec4 a third size divisible by 4); the GEMM's candidates are the adapter kind's, the
    // f16 GEMM's those of an adapter with shader-f16 (subgroup-matrix: with tensor cores)
    const f = adapterFacts();
    const gemmOfKind: readonly string[] = f.software ? ['direct', 'tiled', 'subgroup'] : ['tiled', 'blocked4', 'blocked8'];
    const f16Runs = (v: string) => f.shaderF16 && (v !== 'subgroup-matrix' || f.subgroupMatrixF16);
    for (const kernel of Object.keys(VARIANT_KERNELS) as VariantKernel[]) {
      const offered = new Set([[8, 64, 1, 16], [8, 64, 16, 16]].flatMap((sizes) => candidatesFor(kernel, sizes).map((c) => c.variant)));
      const runnable = (VARIANT_KERNELS[kernel] as readonly string[]).filter(
        (v) => (kernel !== 'gemm' || gemmOfKind.includes(v)) && (kernel !== 'gemm-f16' || f16Runs(v)) && (v !== 'subgroup' || f.subgroupGemm),
      );
      expect([...offered].sort(), kernel).toEqual([...runnable].sort());
    }
  });
});

describe('the register-blocked GEMM sweep (GPU candidates)', () => {
  it('sweeps TILE_K and the workgroup around each kernel, keeping what the device can hold', () => {
    const roomy = blockedGemmCandidates({ maxComputeWorkgroupStorageSize: 49152, maxComputeInvocationsPerWorkgroup: 1024 });
    expect(roomy.filter((c) => c.variant === 'blocked4').map((c) => c.constants?.TILE_K ?? 16).sort((a, b) => a - b)).toEqual([8, 16, 16, 16, 32]);
    expect(roomy.filter((c) => c.variant === 'blocked8')).toHaveLength(5);
    // 16 KiB of workgroup memory: the 128 x 128 tile with TILE_K 16 (32 KiB) and 64 x 64 with TILE_K 32 (32 KiB) drop out
    const small = blockedGemmCandidates({ maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 });
    expect(small.some((c) => c.variant === 'blocked8' && c.constants?.TILE_K === 16 && !c.constants?.WG_X)).toBe(false);
    expect(small.some((c) => c.variant === 'blocked4' && c.constants?.TILE_K === 32)).toBe(false);
    expect(small.some((c) => c.variant === 'blocked8' && !c.constants)).toBe(true);
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
