import { describe, expect, it } from 'vitest';
import { attentionAtImageSize, layoutAttention, renderAttentionFigure } from './attention-figure.js';
import { normalizeMinMax, viridis } from './colormap.js';
import { getPixel } from './raster.js';
import type { ExampleRow } from './types.js';

describe('viridis', () => {
  it('hits matplotlib viridis at its stops and interpolates between them', () => {
    expect(viridis(0)).toEqual([0x44, 0x01, 0x54]);
    expect(viridis(0.5)).toEqual([0x21, 0x90, 0x8d]);
    expect(viridis(1)).toEqual([0xfd, 0xe7, 0x25]);
    expect(viridis(1 / 16)).toEqual([70, 23, 103]); // halfway from #440154 to #472c7a, rounded
    expect(viridis(-1)).toEqual(viridis(0));
    expect(viridis(Number.NaN)).toEqual(viridis(0));
  });

  it('min-max normalises maps', () => {
    expect(Array.from(normalizeMinMax(Float32Array.from([2, 4, 3])))).toEqual([0, 1, 0.5]);
    expect(Array.from(normalizeMinMax(Float32Array.from([5, 5])))).toEqual([0, 0]);
  });
});

/** A black 8x2 example; cross-text attends with a 2x1 map [0, 1] (left low, right high). */
function example(withAttention = true): ExampleRow {
  return {
    width: 8, height: 2, image: new Float32Array(3 * 16), instruction: 'remove the square', trueMask: new Uint8Array(16),
    predicted: { 'cross-text': new Float32Array(16) },
    attention: withAttention ? { 'cross-text': { width: 2, height: 1, map: Float32Array.from([0, 1]) } } : undefined,
  };
}

describe('attention grid', () => {
  it('resizes the map bilinearly (half-pixel centres) to the image', () => {
    const heat = attentionAtImageSize({ width: 2, height: 1, map: Float32Array.from([0, 1]) }, 8, 2);
    // output x samples input (x + 0.5) / 4 - 0.5, clamped: 0, 0, 0.125, 0.375, 0.625, 0.875, 1, 1
    expect(Array.from(heat.subarray(0, 8))).toEqual([0, 0, 0.125, 0.375, 0.625, 0.875, 1, 1]);
    expect(() => attentionAtImageSize({ width: 2, height: 2, map: new Float32Array(3) }, 8, 2)).toThrow(/3 values/);
  });

  it('blends viridis over the image at the resized map value', () => {
    const figure = renderAttentionFigure([example()], ['concat', 'cross-text'])!;
    const layout = layoutAttention([example()], ['cross-text']);
    expect([figure.width, figure.height]).toEqual([layout.width, layout.height]);
    expect(layout.rows[0].scale).toBe(16);
    const left = 8 + 136; // column 1; columns are 128 wide (8 x 16) with 8 px gaps
    const top = layout.rows[0].cellTop;
    // black image, so the pixel is round(viridis(v) * 0.65)
    expect(getPixel(figure, left + 2, top + 5)).toEqual([44, 1, 55]); // v = 0
    expect(getPixel(figure, left + 3 * 16 + 5, top + 5)).toEqual([29, 73, 92]); // v = 0.375, the #2c718e stop
    expect(getPixel(figure, left + 7 * 16 + 5, top + 20)).toEqual([164, 150, 24]); // v = 1
    // the source image column is drawn as is
    expect(getPixel(figure, 8 + 5, top + 5)).toEqual([0, 0, 0]);
    // the colour bar starts at viridis(0) under the first heatmap column
    expect(getPixel(figure, left, layout.footerTop + 2)).toEqual(viridis(0));
  });

  it('is not drawn when no head returned attention', () => {
    expect(renderAttentionFigure([example(false)], ['cross-text'])).toBeUndefined();
    expect(renderAttentionFigure([example()], ['concat'])).toBeUndefined();
  });
});
