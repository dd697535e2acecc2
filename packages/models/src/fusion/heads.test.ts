import { beforeAll, describe, expect, it } from 'vitest';
import { init, tensor, noGrad, tidy, zeros, ones, manualSeed, type Tensor } from '@fusion/tensor';
import { createFusionHead, coordinateGrid, CrossPixelHead, type FusionConfig, type FusionHead, type FusionKind } from './index.js';
import { checkParity, formatParity, loadFixture } from '../testing/parity.js';

beforeAll(async () => {
  await init();
});

function runHead(m: FusionHead, i: Record<string, Tensor>): Record<string, Tensor> {
  const r = m.forward({ featureMap: i.feature_map, pooledImage: i.pooled_image, tokens: i.tokens, pooledText: i.pooled_text, textMask: i.text_mask, returnAttention: true });
  return r.attention ? { map: r.map, attention: r.attention } : { map: r.map };
}

function build(config: Record<string, unknown>): FusionHead {
  const { imageChannels, textDim, kind, height, width, ...options } = config as { imageChannels: number; textDim: number; kind: FusionKind; height?: number; width?: number };
  return createFusionHead({ kind, ...options } as FusionConfig, { imageChannels, textDim, featureSize: [height ?? 3, width ?? 4] });
}

describe('fusion heads', () => {
  const FIXTURES = [
    'concat', 'outer', 'cross_text', 'cross_pixel', 'cross_text_coords', 'cross_pixel_nocoords',
    'concat_tiled', 'film', 'image_only', 'outer_patches', 'outer_patches_nocoords',
  ];
  for (const name of FIXTURES) {
    it(`${name} matches PyTorch (map, attention maps, gradients of parameters and inputs)`, async () => {
      const fx = loadFixture(`fusion_${name}`);
      const head = build(fx.config);
      try {
        const r = await checkParity({ fixture: fx, module: head, run: runHead });
        console.log(formatParity(`fusion_${name}`, r));
        if (name.startsWith('cross')) expect(fx.file.has('eval.output.attention')).toBe(true);
      } finally {
        head.dispose();
      }
    });
  }

  it('reports output channels and sizes the decoder needs', () => {
    const dims = { imageChannels: 12, textDim: 10, featureSize: [7, 7] as const };
    const kinds: [FusionConfig, number, number[]][] = [
      [{ kind: 'concat', dim: 8, channels: 6 }, 6, [7, 7]],
      [{ kind: 'outer' }, 1, [7, 7]],
      [{ kind: 'outer', dim: 16 }, 1, [16, 16]],
      [{ kind: 'cross-text', dim: 8, heads: 2 }, 8, [7, 7]],
      [{ kind: 'cross-pixel', dim: 8, heads: 4 }, 8, [7, 7]],
      [{ kind: 'concat-tiled', dim: 8 }, 8, [7, 7]],
      [{ kind: 'film', dim: 8, coords: false }, 8, [7, 7]],
      [{ kind: 'image-only', dim: 8 }, 8, [7, 7]],
      [{ kind: 'outer-patches', dim: 8 }, 8, [7, 7]],
    ];
    for (const [config, channels, size] of kinds) {
      const h = createFusionHead(config, dims);
      expect(h.kind).toBe(config.kind);
      expect(h.outChannels).toBe(channels);
      expect([...h.outSize]).toEqual(size);
      h.dispose();
    }
  });

  it('attention heads return attention only when asked, without autograd, padded tokens 0', async () => {
    manualSeed(1);
    const dims = { imageChannels: 6, textDim: 5, featureSize: [2, 3] as const };
    const input = () => ({
      featureMap: tensor(Float32Array.from({ length: 72 }, (_, i) => Math.sin(i)), [2, 6, 2, 3]),
      pooledImage: tensor(Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)), [2, 6]),
      tokens: tensor(Float32Array.from({ length: 40 }, (_, i) => Math.sin(0.3 * i)), [2, 4, 5]),
      pooledText: tensor(Float32Array.from({ length: 10 }, (_, i) => Math.cos(0.7 * i)), [2, 5]),
      textMask: tensor([[1, 1, 1, 1], [1, 1, 0, 0]]),
    });
    for (const kind of ['cross-text', 'cross-pixel'] as const) {
      const h = createFusionHead({ kind, dim: 4, heads: 2 }, dims);
      const without = tidy(() => h.forward(input()));
      expect(without.attention).toBeUndefined();
      const withAttention = tidy(() => h.forward({ ...input(), returnAttention: true }));
      const a = withAttention.attention!;
      expect(a.shape).toEqual([2, 4, 2, 3]);
      expect(a.requiresGrad).toBe(false);
      const values = await a.toArray();
      expect(Array.from(values.slice(24 + 12, 48)).every((x) => x === 0)).toBe(true); // tokens 2, 3 of sample 1
      if (kind === 'cross-pixel') {
        // each pixel's distribution over the unpadded tokens sums to 1
        for (let p = 0; p < 6; p++) expect(values[24 + p] + values[24 + 6 + p]).toBeCloseTo(1, 5);
      } else {
        // each token's distribution over pixels sums to 1
        for (let l = 0; l < 4; l++) expect(Array.from(values.slice(l * 6, l * 6 + 6)).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
      }
      for (const t of [without.map, withAttention.map, a]) t.dispose();
      h.dispose();
    }
  });

  it('cross-pixel: coordinates in [-1, 1] (x along the width), gate starts at 0.1', async () => {
    expect(Array.from(coordinateGrid(2, 3))).toEqual([-1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1]);
    expect(Array.from(coordinateGrid(1, 1))).toEqual([0, 0]);
    const h = new CrossPixelHead({ imageChannels: 4, textDim: 3, featureSize: [2, 2] }, { dim: 4, heads: 1 });
    expect(await h.gate.item()).toBeCloseTo(0.1, 7);
    expect(h.gate.shape).toEqual([]);
    expect(h.query.inFeatures).toBe(6);
    const plain = new CrossPixelHead({ imageChannels: 4, textDim: 3, featureSize: [2, 2] }, { dim: 4, heads: 1, coords: false, gateInit: 0.5 });
    expect(plain.query.inFeatures).toBe(4);
    expect(await plain.gate.item()).toBe(0.5);
    h.dispose();
    plain.dispose();
  });

  it('rejects inputs of the wrong shape, naming every shape', () => {
    const h = createFusionHead({ kind: 'cross-text', dim: 4, heads: 2 }, { imageChannels: 6, textDim: 5, featureSize: [2, 3] });
    const bad = noGrad(() => ({ featureMap: zeros([2, 7, 2, 3]), pooledImage: zeros([2, 6]), tokens: zeros([2, 4, 5]), pooledText: zeros([2, 5]), textMask: ones([2, 4]) }));
    expect(() => h.forward(bad)).toThrow(/CrossTextHead: expected featureMap \(B, 6, 2, 3\).*got featureMap \[2, 7, 2, 3\], pooledImage \[2, 6\], tokens \[2, 4, 5\], pooledText \[2, 5\], textMask \[2, 4\]/);
    expect(() => createFusionHead({ kind: 'cross-pixel', dim: 6, heads: 4 }, { imageChannels: 6, textDim: 5, featureSize: [2, 3] })).toThrow('CrossPixelHead: dim 6 must be a positive multiple of heads 4');
    expect(() => createFusionHead({ kind: 'gated' } as unknown as FusionConfig, { imageChannels: 6, textDim: 5, featureSize: [2, 3] })).toThrow('createFusionHead: unknown kind "gated" (expected one of concat, outer, cross-text, cross-pixel, concat-tiled, film, image-only, outer-patches)');
    expect(() => createFusionHead({ kind: 'outer-patches', dim: 8, imageDim: 3 }, { imageChannels: 6, textDim: 5, featureSize: [2, 3] })).toThrow('OuterPatchesHead: imageDim 3 must be a positive divisor of dim 8');
    const film = createFusionHead({ kind: 'film', dim: 4 }, { imageChannels: 6, textDim: 5, featureSize: [2, 3] });
    const imageOnly = noGrad(() => ({ featureMap: zeros([2, 6, 2, 3]), pooledImage: zeros([2, 6]) }));
    expect(() => film.forward(imageOnly)).toThrow('FilmHead: needs the text inputs (tokens, pooledText, textMask); got none');
    const onlyImage = createFusionHead({ kind: 'image-only', dim: 4 }, { imageChannels: 6, textDim: 5, featureSize: [2, 3] });
    expect(() => onlyImage.forward({ ...imageOnly, featureMap: bad.featureMap })).toThrow('ImageOnlyHead: expected featureMap (B, 6, 2, 3), pooledImage (B, 6); got featureMap [2, 7, 2, 3], pooledImage [2, 6]');
    for (const t of Object.values(imageOnly)) t.dispose();
    film.dispose();
    onlyImage.dispose();
    for (const t of Object.values(bad)) t.dispose();
    h.dispose();
  });
});
