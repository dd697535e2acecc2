import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '@fusion/tensor';
import { createFusionHead, parseHeadSpec, headId, headTraits, fusionConfigFor, HEAD_KINDS, type HeadTraits } from './index.js';

beforeAll(async () => {
  await init();
});

const DIMS = { imageChannels: 12, textDim: 10, featureSize: [4, 4] as const };
const MAP_KINDS = ['cross-text', 'cross-pixel', 'concat-tiled', 'film', 'image-only', 'outer-patches'] as const;

function traitsOf(spec: string, defaultCoords = true): HeadTraits {
  const head = createFusionHead(fusionConfigFor(parseHeadSpec(spec, defaultCoords), { dim: 8, heads: 2 }), DIMS);
  try {
    return headTraits(head);
  } finally {
    head.dispose();
  }
}

describe('head specs', () => {
  it('parses KIND, KIND.coords, KIND.nocoords; a bare kind takes the caller default', () => {
    expect(parseHeadSpec('cross-pixel.nocoords')).toEqual({ kind: 'cross-pixel', coords: false });
    expect(parseHeadSpec('cross-text.coords', false)).toEqual({ kind: 'cross-text', coords: true });
    expect(parseHeadSpec('film')).toEqual({ kind: 'film', coords: true });
    expect(parseHeadSpec('film', false)).toEqual({ kind: 'film', coords: false });
    expect(parseHeadSpec('concat')).toEqual({ kind: 'concat', coords: false });
    expect(parseHeadSpec('outer', true)).toEqual({ kind: 'outer', coords: false });
  });

  it('rejects bad specs, naming the spec and listing the valid kinds', () => {
    const kinds = 'concat, outer, cross-text, cross-pixel, concat-tiled, film, image-only, outer-patches';
    expect(() => parseHeadSpec('cross_pixel')).toThrow(`head spec "cross_pixel": unknown kind "cross_pixel" (valid kinds: ${kinds}; optional suffix .coords or .nocoords)`);
    expect(() => parseHeadSpec('')).toThrow(`head spec "": unknown kind ""`);
    expect(() => parseHeadSpec('film.xy')).toThrow(`head spec "film.xy": unknown suffix "xy" (expected .coords or .nocoords; valid kinds: ${kinds})`);
    expect(() => parseHeadSpec('film.coords.nocoords')).toThrow('unknown suffix "coords.nocoords"');
    expect(() => parseHeadSpec('concat.coords')).toThrow('head spec "concat.coords": concat pools the feature map away and takes no .coords / .nocoords suffix');
    expect(() => parseHeadSpec('outer.nocoords')).toThrow('outer pools the feature map away');
  });

  it('headId is canonical and parses back to the same spec', () => {
    expect(headId({ kind: 'cross-pixel', coords: true })).toBe('cross-pixel');
    expect(headId({ kind: 'cross-pixel', coords: false })).toBe('cross-pixel.nocoords');
    expect(headId(parseHeadSpec('cross-text.coords', false))).toBe('cross-text');
    expect(headId({ kind: 'concat', coords: false })).toBe('concat');
    for (const kind of HEAD_KINDS) {
      for (const coords of [true, false]) {
        const spec = parseHeadSpec(kind, coords);
        expect(parseHeadSpec(headId(spec))).toEqual(spec);
      }
    }
  });
});

describe('head traits', () => {
  it('coords: on by default for every map-seeing head, off with .nocoords, never for concat and outer', () => {
    for (const kind of MAP_KINDS) {
      const head = createFusionHead({ kind }, DIMS);
      expect(head.coords).toBe(true);
      head.dispose();
      expect(traitsOf(kind).coords).toBe(true);
      expect(traitsOf(`${kind}.nocoords`).coords).toBe(false);
      expect(traitsOf(kind, false).coords).toBe(false);
    }
    expect(traitsOf('cross-text.nocoords').coords).toBe(false);
    expect(traitsOf('concat').coords).toBe(false);
    expect(traitsOf('outer').coords).toBe(false);
  });

  it('attention direction, residual image path, decoder input channels', () => {
    const table = Object.fromEntries(HEAD_KINDS.map((k) => [k, traitsOf(k)]));
    expect(table['cross-text'].attention).toBe('text-queries');
    expect(table['cross-pixel'].attention).toBe('pixel-queries');
    for (const k of ['concat', 'outer', 'concat-tiled', 'film', 'image-only', 'outer-patches']) expect(table[k].attention).toBe('none');
    expect(HEAD_KINDS.filter((k) => table[k].residualImagePath)).toEqual(['cross-pixel', 'concat-tiled', 'film', 'image-only']);
    expect(table.outer.decoderInputChannels).toBe(1);
    for (const k of HEAD_KINDS) if (k !== 'outer') expect(table[k].decoderInputChannels).toBe(8);
  });

  it('parameters: the head alone, with the coordinate columns when on', () => {
    // Ci 12, Dt 10, d 8, map 4 x 4
    expect(traitsOf('image-only').parameters).toBe(8 * (12 + 2) + 8);
    expect(traitsOf('image-only.nocoords').parameters).toBe(8 * 12 + 8);
    expect(traitsOf('film').parameters).toBe(8 * 14 + 8 + 2 * (8 * 10 + 8));
    expect(traitsOf('concat-tiled.nocoords').parameters).toBe(8 * 10 + 8 + 8 * (12 + 8) + 8);
    // outer-patches, d 8 = 2 x 4: image_proj 14 -> 2, position 16 x 2, text_proj 10 -> 4
    expect(traitsOf('outer-patches').parameters).toBe(2 * 14 + 2 + 16 * 2 + 4 * 10 + 4);
    expect(traitsOf('cross-text').parameters - traitsOf('cross-text.nocoords').parameters).toBe(2 * 2 * 8);
    expect(traitsOf('cross-pixel').parameters - traitsOf('cross-pixel.nocoords').parameters).toBe(2 * 8);
    expect(traitsOf('outer').parameters).toBe(12 * 4 + 4 + 10 * 4 + 4); // d = the map's height, 4
  });

  it('fusionConfigFor gives every head one width (concat: channels too) and keeps defaults when none is given', () => {
    expect(fusionConfigFor(parseHeadSpec('concat'), { dim: 32, heads: 2 })).toEqual({ kind: 'concat', dim: 32, channels: 32 });
    expect(fusionConfigFor(parseHeadSpec('cross-pixel.nocoords'), { dim: 32, heads: 2 })).toEqual({ kind: 'cross-pixel', dim: 32, heads: 2, coords: false });
    expect(fusionConfigFor(parseHeadSpec('outer'), { dim: 32 })).toEqual({ kind: 'outer' });
    expect(fusionConfigFor(parseHeadSpec('film'))).toEqual({ kind: 'film', coords: true });
  });
});
