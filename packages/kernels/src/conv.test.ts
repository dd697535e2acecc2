import { describe, expect, it } from 'vitest';
import {
  conv2dReference, conv2dBackwardInputReference, conv2dBackwardWeightReference, convOutputSize, convInputPhases, type Conv2dGeometry,
} from './conv.js';
import { GEMM_BLOCK, GEMM_SUBGROUP_BLOCK, gemmShapeConstants, gemmTile, gemmWorkgroups } from './gemm.js';
import { shaderSources } from './shaders.generated.js';

function geometry(images: number, cIn: number, inH: number, inW: number, cOut: number, kH: number, kW: number,
  s: [number, number], p: [number, number], d: [number, number]): Conv2dGeometry {
  return {
    images, cIn, inH, inW, cOut, kH, kW, strideH: s[0], strideW: s[1], padH: p[0], padW: p[1], dilH: d[0], dilW: d[1],
    outH: convOutputSize(inH, kH, s[0], p[0], d[0]), outW: convOutputSize(inW, kW, s[1], p[1], d[1]),
  };
}

function seeded(n: number, seed: number): Float64Array {
  let a = seed;
  return Float64Array.from({ length: n }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648 - 0.5;
  });
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);

describe('convolution references', () => {
  it('output sizes follow floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1', () => {
    expect(convOutputSize(224, 7, 2, 3, 1)).toBe(112);
    expect(convOutputSize(56, 3, 1, 1, 1)).toBe(56);
    expect(convOutputSize(56, 1, 2, 0, 1)).toBe(28);
    expect(convOutputSize(10, 3, 1, 2, 2)).toBe(10);
    expect(convOutputSize(5, 7, 1, 0, 1)).toBe(-1);
  });

  it('forward on a hand-computed example (padding 1, stride 2, bias)', () => {
    // x = 1..9 in a 3x3 image, w = [[1, 0], [0, -1]], bias 0.5; padded input has zeros around.
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const w = [1, 0, 0, -1];
    const g = geometry(1, 1, 3, 3, 1, 2, 2, [2, 2], [1, 1], [1, 1]);
    expect([g.outH, g.outW]).toEqual([2, 2]);
    // out[oy][ox] = x[2oy-1][2ox-1] - x[2oy][2ox] + 0.5
    expect(Array.from(conv2dReference(x, w, [0.5], g))).toEqual([0 - 1 + 0.5, 0 - 3 + 0.5, 0 - 7 + 0.5, 5 - 9 + 0.5]);
  });

  it('dilation and channels on a hand-computed example', () => {
    // two input channels 1x5: [1..5] and [10..50]; kernel 1x2 dilation 2 weights [1, 1] and [0, 1]
    const x = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50];
    const w = [1, 1, 0, 1];
    const g = geometry(1, 2, 1, 5, 1, 1, 2, [1, 1], [0, 0], [1, 2]);
    // out[ox] = x0[ox] + x0[ox + 2] + x1[ox + 2]
    expect(Array.from(conv2dReference(x, w, null, g))).toEqual([1 + 3 + 30, 2 + 4 + 40, 3 + 5 + 50]);
  });

  it.each([
    ['3x3 padding 1', geometry(2, 3, 5, 4, 2, 3, 3, [1, 1], [1, 1], [1, 1])],
    ['stride 2, dilation 2, asymmetric', geometry(1, 2, 9, 7, 3, 3, 2, [2, 1], [2, 0], [2, 2])],
  ])('the gradient references are the adjoints of the forward (%s)', (_name, g) => {
    // <conv(x, w), dy> = <x, dX(dy, w)> = <w, dW(dy, x)>
    const x = seeded(g.images * g.cIn * g.inH * g.inW, 1);
    const w = seeded(g.cOut * g.cIn * g.kH * g.kW, 2);
    const dy = seeded(g.images * g.cOut * g.outH * g.outW, 3);
    const y = conv2dReference(x, w, null, g);
    const lhs = dot(y, dy);
    expect(dot(x, conv2dBackwardInputReference(dy, w, g))).toBeCloseTo(lhs, 10);
    expect(dot(w, conv2dBackwardWeightReference(dy, x, g))).toBeCloseTo(lhs, 10);
  });
});

describe('stride phases of the gradient w.r.t. the input', () => {
  it.each([
    [7, 3, 1, 1, 1], [9, 3, 2, 1, 1], [224, 7, 2, 3, 1], [56, 1, 2, 0, 1], [9, 3, 2, 2, 2], [11, 4, 3, 2, 2], [13, 2, 3, 1, 1], [5, 5, 4, 2, 1],
  ])('in %i, kernel %i, stride %i, pad %i, dilation %i: every (dx, tap, dy) triple exactly once', (size, k, s, p, d) => {
    const out = convOutputSize(size, k, s, p, d);
    const expected: string[] = [];
    for (let i = 0; i < size; i++) {
      for (let t = 0; t < k; t++) {
        const num = i + p - t * d;
        if (num >= 0 && num % s === 0 && num / s < out) expected.push(`${i},${t},${num / s}`);
      }
    }
    const got: string[] = [];
    const covered = new Set<number>();
    for (const ph of convInputPhases(size, k, s, p, d)) {
      for (let t = 0; t < ph.pixels; t++) {
        const i = ph.first + s * t;
        expect(covered.has(i)).toBe(false);
        covered.add(i);
        for (let j = 0; j < ph.taps; j++) {
          const o = ph.dy0 + t - ph.dyStep * j;
          if (o >= 0 && o < out) got.push(`${i},${ph.tap0 + ph.tapStep * j},${o}`);
        }
      }
    }
    expect(covered.size).toBe(size);
    expect(got.sort()).toEqual(expected.sort());
  });
});

describe('GEMM tiling constants agree with the WGSL', () => {
  const constOf = (src: string, name: string) => Number(new RegExp(`const ${name}: u32 = (\\d+)u;`).exec(src)?.[1]);
  it('register blocks', () => {
    expect(constOf(shaderSources.gemm, 'TM')).toBe(GEMM_BLOCK);
    expect(constOf(shaderSources.gemm, 'TN')).toBe(GEMM_BLOCK);
    expect(constOf(shaderSources.gemm_subgroup, 'SUBGROUP')).toBe(GEMM_SUBGROUP_BLOCK.rowsPerGroup);
    expect(constOf(shaderSources.gemm_subgroup, 'MAX_ROW_GROUPS')).toBe(GEMM_SUBGROUP_BLOCK.maxRowGroups);
    expect(constOf(shaderSources.gemm_subgroup, 'MAX_TN')).toBe(GEMM_SUBGROUP_BLOCK.maxCols);
  });
  it('dispatch covers M x N per batch entry and K split (M tiles first for the subgroup kernel)', () => {
    const u = { M: 70, N: 129, batch: 3, k_splits: 2 };
    expect(gemmWorkgroups('tiled')(u, { WG_X: 16, WG_Y: 16 })).toEqual([3, 2, 6]);
    expect(gemmWorkgroups('direct')({ ...u, k_splits: 0 }, { WG_X: 16, WG_Y: 4 })).toEqual([3, 5, 3]);
    expect(gemmTile('subgroup', { WG_X: 16, ROW_GROUPS: 3, TN: 2 })).toEqual({ rows: 24, cols: 32 });
    expect(gemmWorkgroups('subgroup')(u, { WG_X: 16, ROW_GROUPS: 4, TN: 4 })).toEqual([Math.ceil(70 / 32), Math.ceil(129 / 64), 6]);
  });
  it('the subgroup kernel takes as few row groups as cover M, and more columns per lane with 16 rows or fewer', () => {
    expect(gemmShapeConstants('subgroup', 3)).toEqual({ ROW_GROUPS: 1, TN: 8, WG_X: 8 });
    expect(gemmShapeConstants('subgroup', 16)).toEqual({ ROW_GROUPS: 2, TN: 4, WG_X: 8 });
    expect(gemmShapeConstants('subgroup', 17)).toEqual({ ROW_GROUPS: 3, TN: 2 });
    expect(gemmShapeConstants('subgroup', 4096)).toEqual({ ROW_GROUPS: GEMM_SUBGROUP_BLOCK.maxRowGroups, TN: 2 });
    expect(gemmShapeConstants('subgroup', 0)).toEqual({ ROW_GROUPS: 1, TN: 8, WG_X: 8 });
    // the register block never passes the accumulators the constants keep
    for (const M of [1, 8, 9, 16, 17, 24, 25, 32, 1000]) {
      const c = gemmShapeConstants('subgroup', M);
      expect(c.ROW_GROUPS * GEMM_SUBGROUP_BLOCK.rowsPerGroup * c.TN).toBeLessThanOrEqual(GEMM_SUBGROUP_BLOCK.accumulators);
    }
    expect(gemmShapeConstants('tiled', 3)).toEqual({});
  });
});
