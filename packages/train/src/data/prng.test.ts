import { describe, expect, it } from 'vitest';
import { Random, hash32, streamSeed } from './prng.js';

describe('prng', () => {
  it('hash32 matches the murmur3 finaliser', () => {
    // fmix32(1) and fmix32(0x12345678), computed independently with 32-bit arithmetic in Python
    expect(hash32(0)).toBe(0);
    expect(hash32(1)).toBe(0x514e28b7);
    expect(hash32(0x12345678)).toBe(0xe37cd1bc);
  });

  it('gives reproducible, distinct streams per (seed, index)', () => {
    const draw = (seed: number, index: number) => {
      const rng = new Random(streamSeed(seed, index));
      return [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()];
    };
    expect(draw(1, 2)).toEqual(draw(1, 2));
    const seen = new Set<number>();
    for (let seed = 0; seed < 20; seed++) for (let index = 0; index < 50; index++) seen.add(streamSeed(seed, index));
    expect(seen.size).toBe(1000);
    expect(streamSeed(0, 2 ** 32)).not.toBe(streamSeed(0, 0)); // high bits of the index count
  });

  it('draws uniform floats and integers in range', () => {
    const rng = new Random(42);
    const counts = [0, 0, 0, 0];
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      counts[rng.int(0, 3)]++;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 1);
    for (const c of counts) expect(Math.abs(c / 20000 - 0.25)).toBeLessThan(0.02);
  });

  it('draws weighted indices in proportion and never a zero weight', () => {
    const rng = new Random(7);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[rng.weighted([1, 0, 3])]++;
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2] / 20000 - 0.75)).toBeLessThan(0.02);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const shuffled = new Random(3).shuffle([...items]);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
  });
});
