import { describe, expect, it } from 'vitest';
import { bceFromLogit, bceFromProbability, PROBABILITY_EPSILON, sigmoid } from './bce.js';

describe('bce', () => {
  it('matches -(y ln p + (1-y) ln(1-p)) for moderate logits', () => {
    for (const x of [-3, -0.5, 0, 0.25, 2]) {
      const p = 1 / (1 + Math.exp(-x));
      expect(bceFromLogit(x, 1)).toBeCloseTo(-Math.log(p), 12);
      expect(bceFromLogit(x, 0)).toBeCloseTo(-Math.log(1 - p), 12);
    }
    expect(bceFromLogit(0, 1)).toBeCloseTo(Math.LN2, 14);
  });

  it('stays finite and exact for huge logits (where the naive form gives Infinity or NaN)', () => {
    expect(bceFromLogit(1000, 0)).toBe(1000);
    expect(bceFromLogit(-1000, 1)).toBe(1000);
    expect(bceFromLogit(1000, 1)).toBe(0);
    expect(bceFromLogit(-1000, 0)).toBe(0);
    expect(bceFromLogit(40, 1)).toBeCloseTo(Math.exp(-40), 30);
  });

  it('clamps probabilities to [ε, 1-ε]', () => {
    expect(bceFromProbability(0, 1)).toBeCloseTo(-Math.log(PROBABILITY_EPSILON), 10);
    expect(bceFromProbability(1, 0)).toBeCloseTo(-Math.log(PROBABILITY_EPSILON), 6);
    expect(bceFromProbability(0, 0)).toBeCloseTo(PROBABILITY_EPSILON, 12);
    expect(bceFromProbability(0.25, 1)).toBeCloseTo(Math.log(4), 14);
    expect(bceFromProbability(0.25, 0)).toBeCloseTo(-Math.log(0.75), 14);
  });

  it('sigmoid is stable at both ends', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 15);
    expect(sigmoid(-Math.log(3))).toBeCloseTo(0.25, 15);
  });
});
