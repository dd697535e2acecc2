import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  init, runtime, tensor, matmul, chooseVariant, heuristicVariant, shapeClass, tunedVariants, tuningMessage,
  readTuneCache, writeTuneCache, tuneCachePath, tuneCacheKey, useTuneCache, TUNE_CACHE_FORMAT, type TuneCacheEntry,
} from '../index.js';

const dir = mkdtempSync(join(tmpdir(), 'fusion-tune-'));
const other = { description: 'Some GPU', vendor: 'acme', architecture: 'rdna9' };

beforeAll(async () => {
  await init();
});
afterEach(() => {
  useTuneCache(null);
  vi.restoreAllMocks();
});

function entry(M: number, N: number, K: number, variant: string, constants?: Record<string, number>): TuneCacheEntry {
  return { kernel: 'gemm', shapeClass: shapeClass(M, N, K, 1), variant, ...(constants ? { constants } : {}), shape: 'x', sizes: [M, N, K, 1], ms: 1, heuristic: { variant: 'direct', ms: 2 } };
}

describe('the tuning cache file', () => {
  it('round-trips this adapter and keeps the others', () => {
    const path = join(dir, 'roundtrip.json');
    const info = runtime().gpu.info;
    writeTuneCache(path, other, [entry(64, 64, 64, 'tiled')]);
    writeTuneCache(path, info, [entry(7, 5, 13, 'direct', { WG_X: 8, WG_Y: 8 })]);
    expect(readTuneCache(path, info)).toEqual({
      entries: [{ kernel: 'gemm', shapeClass: shapeClass(7, 5, 13, 1), variant: 'direct', constants: { WG_X: 8, WG_Y: 8 } }], message: null,
    });
    expect(readTuneCache(path, other).entries.map((e) => e.variant)).toEqual(['tiled']);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file.format).toBe(TUNE_CACHE_FORMAT);
    expect(Object.keys(file.adapters).sort()).toEqual([tuneCacheKey(info), tuneCacheKey(other)].sort());
    expect(tuneCacheKey(info)).toMatch(/\| webgpu@\d+\.\d+\.\d+$/);
  });

  it('a missing file means heuristics without a message', () => {
    expect(readTuneCache(join(dir, 'absent.json'), other)).toEqual({ entries: [], message: null });
  });

  it('is found through FUSION_TUNE_CACHE, XDG_CACHE_HOME or ~/.cache, and off disables it', () => {
    expect(tuneCachePath({ FUSION_TUNE_CACHE: 'off' })).toBeNull();
    expect(tuneCachePath({ FUSION_TUNE_CACHE: '/x/t.json' })).toBe('/x/t.json');
    expect(tuneCachePath({ XDG_CACHE_HOME: '/c' })).toBe('/c/fusion/tune.json');
    expect(tuneCachePath({})).toMatch(/\.cache\/fusion\/tune\.json$/);
  });

  it('does not overwrite a file that is not a tuning cache without force', () => {
    const path = join(dir, 'notmine.json');
    writeFileSync(path, '{"hello": 1}');
    expect(() => writeTuneCache(path, other, [])).toThrow(/notmine\.json is not a Fusion tuning cache: format is undefined.*pass --force/);
    writeTuneCache(path, other, [], true);
    expect(readTuneCache(path, other)).toEqual({ entries: [], message: null });
  });
});

describe('the runtime and the tuning cache', () => {
  it('uses a tuned entry of this adapter: the op runs the tuned variant and constants', async () => {
    const M = 9, K = 6, N = 11;
    const tunedTo = heuristicVariant('gemm', M, N, K, 1) === 'direct' ? 'tiled' : 'direct';
    const path = join(dir, 'used.json');
    writeTuneCache(path, runtime().gpu.info, [entry(M, N, K, tunedTo, { WG_X: 8, WG_Y: 8 })]);
    useTuneCache(path);
    expect(tuningMessage()).toBeNull();
    expect(tunedVariants()).toHaveLength(1);
    expect(chooseVariant('gemm', M, N, K, 1)).toEqual({ variant: tunedTo, constants: { WG_X: 8, WG_Y: 8 }, source: 'tuned' });
    const a = tensor(new Float32Array(M * K).fill(1), [M, K]);
    const b = tensor(new Float32Array(K * N).fill(2), [K, N]);
    const kernels = await runtime().profile(() => matmul(a, b).dispose());
    expect(kernels.map((k) => k.kernel)).toEqual([`matmul_${tunedTo}/nn`]);
    const c = matmul(a, b);
    expect([...(await c.toArray())]).toEqual(new Array(M * N).fill(2 * K));
    for (const t of [a, b, c]) t.dispose();
    useTuneCache(null);
    expect(chooseVariant('gemm', M, N, K, 1).source).toBe('heuristic');
  });

  it('ignores a corrupt cache with a message, and uses the heuristics', () => {
    const path = join(dir, 'corrupt.json');
    writeFileSync(path, '{"format": "fusion-tune-cache/1", "adapters": {');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    useTuneCache(path);
    expect(tunedVariants()).toEqual([]);
    expect(tuningMessage()).toMatch(/corrupt\.json is unreadable: .*ignoring it \(kernel variants by heuristics\)/);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^fusion: tuning cache .*corrupt\.json is unreadable/));
    expect(chooseVariant('gemm', 9, 11, 6, 1).source).toBe('heuristic');
  });

  it('ignores a cache made on another adapter or Dawn build, saying which it holds', () => {
    const path = join(dir, 'other.json');
    writeTuneCache(path, other, [entry(9, 11, 6, 'tiled')]);
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    useTuneCache(path);
    expect(tunedVariants()).toEqual([]);
    expect(tuningMessage()).toContain(`has no entry for this adapter and Dawn build (${tuneCacheKey(runtime().gpu.info)}); it holds ${tuneCacheKey(other)}`);
  });

  it('ignores a cache whose entries are malformed', () => {
    const path = join(dir, 'badentry.json');
    writeFileSync(path, JSON.stringify({ format: TUNE_CACHE_FORMAT, adapters: { [tuneCacheKey(runtime().gpu.info)]: { entries: [{ kernel: 'gemm', variant: 'tiled', shapeClass: 'big' }] } } }));
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    useTuneCache(path);
    expect(tunedVariants()).toEqual([]);
    expect(tuningMessage()).toMatch(/entry 0 is not \{ kernel, shapeClass, variant, constants\? \}/);
  });
});
