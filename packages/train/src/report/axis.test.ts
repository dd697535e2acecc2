import { describe, expect, it } from 'vitest';
import { linearTicks, logTicks, smoothEma, tickLabel } from './axis.js';

describe('axis ticks', () => {
  it('linear ticks are nice steps covering the range', () => {
    expect(linearTicks(0, 1, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    // rough step 0.55 / 5 = 0.11 rounds up to the nice step 0.2
    expect(linearTicks(0.13, 0.68, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    // 0.55 / 6 = 0.092 rounds up to 0.1
    expect(linearTicks(0.13, 0.68, 7)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(linearTicks(1, 300, 6)).toEqual([0, 100, 200, 300]);
    // a single value is padded by 10% each side: [2.7, 3.3], step 0.6 / 4 -> 0.2
    expect(linearTicks(3, 3)).toEqual([2.6, 2.8, 3, 3.2, 3.4]);
    expect(linearTicks(0, 0)).toEqual([-1, -0.5, 0, 0.5, 1]);
  });

  it('log ticks are decades, with 2 and 5 on short ranges, one tick beyond the data', () => {
    expect(logTicks(0.003, 20)).toEqual([0.001, 0.01, 0.1, 1, 10, 100]);
    expect(logTicks(0.15, 0.7)).toEqual([0.1, 0.2, 0.5, 1]);
    expect(() => logTicks(0, 1)).toThrow(/positive/);
  });

  it('labels ticks compactly', () => {
    expect(tickLabel(0)).toBe('0');
    expect(tickLabel(0.30000000000000004)).toBe('0.3');
    expect(tickLabel(250)).toBe('250');
    expect(tickLabel(12000)).toBe('12k');
  });
});

describe('smoothEma', () => {
  it('is debiased: a constant stays constant, the first point is kept', () => {
    expect(smoothEma([2, 2, 2], 0.6).map((v) => Number(v.toFixed(12)))).toEqual([2, 2, 2]);
    expect(smoothEma([5, 1], 0.6)[0]).toBeCloseTo(5, 12);
  });

  it('matches the hand-computed recursion', () => {
    // s1 = 0.4*1 = 0.4 / 0.4 = 1; s2 = 0.6*0.4 + 0.4*3 = 1.44, / (1 - 0.36) = 2.25
    const s = smoothEma([1, 3], 0.6);
    expect(s[1]).toBeCloseTo(2.25, 12);
    expect(smoothEma([1, 3], 0)).toEqual([1, 3]);
    expect(() => smoothEma([1], 1)).toThrow(/weight/);
  });
});
