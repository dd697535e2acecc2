import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { matmulReference } from '@fusion/kernels';
import {
  init, tensor, matmul, softmax, chooseVariant, heuristicVariant, forceVariant, forcedVariant, withVariant, shapeClass,
  describeShapeClass, applyTuning, tunedVariants, recordVariantLookups, recordedVariantLookups, adapterFacts, runtime,
} from '../index.js';
import { assertClose, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});
afterEach(() => {
  forceVariant('gemm', null);
  forceVariant('softmax', null);
  applyTuning([]);
  recordVariantLookups(false);
});

describe('shape classes', () => {
  it('bucket each size by the power of two at or above it', () => {
    expect(shapeClass(5, 7, 8)).toBe(shapeClass(8, 5, 6));
    expect(shapeClass(8)).not.toBe(shapeClass(9));
    expect(shapeClass(1)).not.toBe(shapeClass(0));
    expect(shapeClass(3, 4)).not.toBe(shapeClass(4, 3, 1));
    expect(describeShapeClass(shapeClass(5, 100, 1))).toBe('<=8 x <=128 x <=1');
    expect(describeShapeClass(shapeClass(0, 2))).toBe('0 x <=2');
  });
});

describe('the variant table', () => {
  it('answers the heuristic for the adapter kind when nothing is forced or tuned', () => {
    const f = adapterFacts();
    const expected = !f.software ? 'tiled' : f.subgroupGemm && f.subgroupsOf8 ? 'subgroup' : 'direct';
    expect(chooseVariant('gemm', 33, 17, 65)).toEqual({ variant: expected, source: 'heuristic' });
    expect(chooseVariant('layernorm', 4, 512).variant).toBe(f.software ? 'lines' : 'workgroup');
    expect(chooseVariant('layernorm', 4, 64).variant).toBe('lines');
    expect(chooseVariant('softmax', 1, 7, 3).variant).toBe('lines');
  });

  it('forceVariant and withVariant force a kernel, and restore afterwards (also after an async fn)', async () => {
    forceVariant('softmax', 'workgroup');
    expect(chooseVariant('softmax', 2, 8, 1)).toEqual({ variant: 'workgroup', source: 'forced' });
    forceVariant('softmax', null);
    expect(forcedVariant('softmax')).toBeNull();
    expect(withVariant('softmax', 'lines', () => chooseVariant('softmax', 2, 8, 1).variant)).toBe('lines');
    expect(forcedVariant('softmax')).toBeNull();
    await withVariant('softmax', 'vec4', async () => {
      await Promise.resolve();
      expect(forcedVariant('softmax')).toBe('vec4');
    });
    expect(forcedVariant('softmax')).toBeNull();
    expect(() => withVariant('softmax', 'lines', () => { throw new Error('boom'); })).toThrow('boom');
    expect(forcedVariant('softmax')).toBeNull();
  });

  it('rejects a variant the kernel lacks, naming the variants it has', () => {
    expect(() => forceVariant('gemm', 'blocked16' as 'tiled')).toThrow(/kernel 'gemm' has no variant 'blocked16' \(variants: tiled, direct, subgroup, blocked4, blocked8\)/);
    expect(() => forceVariant('conv' as 'gemm', null)).toThrow(/unknown kernel 'conv'/);
  });

  it('a tuned entry is used for its shape class only, with its constants, and the op still matches float64', async () => {
    const M = 7, K = 13, N = 5;
    const other = heuristicVariant('gemm', M, N, K) === 'direct' ? 'tiled' : 'direct';
    applyTuning([{ kernel: 'gemm', shapeClass: shapeClass(M, N, K, 1), variant: other, constants: { TILE_K: 8 } }]);
    expect(tunedVariants()).toHaveLength(1);
    expect(chooseVariant('gemm', M, N, K, 1)).toEqual({ variant: other, constants: { TILE_K: 8 }, source: 'tuned' });
    expect(chooseVariant('gemm', 100, N, K, 1).source).toBe('heuristic');
    const a = randomArray(M * K, 1);
    const b = randomArray(K * N, 2);
    const ta = tensor(a, [M, K]);
    const tb = tensor(b, [K, N]);
    recordVariantLookups(true);
    const kernels = await runtime().profile(() => matmul(ta, tb).dispose());
    const c = matmul(ta, tb);
    assertClose(await c.toArray(), matmulReference(a, b, 1, M, K, N), { rtol: 1e-4, atol: 1e-5 }, 'tuned matmul');
    const seen = recordedVariantLookups().find((l) => l.kernel === 'gemm');
    expect(seen?.choice.source).toBe('tuned');
    expect(seen?.sizes).toEqual([M, N, K, 1]);
    expect(seen?.count).toBe(2);
    expect(kernels.map((k) => k.kernel)).toEqual([`matmul_${other}/nn`]);
    for (const t of [ta, tb, c]) t.dispose();
  });

  it('skips tuned entries the device cannot run or the kernel does not have', () => {
    applyTuning([
      { kernel: 'softmax', shapeClass: shapeClass(1, 8, 1), variant: 'bogus' },
      { kernel: 'nope' as 'gemm', shapeClass: 0, variant: 'tiled' },
      ...(adapterFacts().subgroupGemm ? [] : [{ kernel: 'gemm' as const, shapeClass: shapeClass(8, 8, 8, 1), variant: 'subgroup' }]),
    ]);
    expect(tunedVariants()).toEqual([]);
  });

  it('records each (kernel, shape class) once with the sizes seen first', () => {
    recordVariantLookups(true);
    const x = tensor(randomArray(12, 3), [3, 4]);
    softmax(x).dispose();
    softmax(x).dispose();
    const rec = recordedVariantLookups();
    expect(rec.map((r) => [r.kernel, r.sizes, r.count])).toEqual([['softmax', [3, 4, 1, 0], 2]]);
    recordVariantLookups(false);
    expect(recordedVariantLookups()).toEqual([]);
    x.dispose();
  });
});
