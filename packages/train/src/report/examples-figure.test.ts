import { describe, expect, it } from 'vitest';
import { exampleIoU, layoutExamples, renderExamplesFigure } from './examples-figure.js';
import { upscaleFactor } from './grid.js';
import { blend, getPixel, toGreyscale, fromPlanar } from './raster.js';
import type { ExampleRow } from './types.js';

/** A black 32x32 example whose mask is the square x, y in [8, 16); concat predicts 1 inside it and 0.3 elsewhere. */
function blackExample(): ExampleRow {
  const size = 32;
  const trueMask = new Uint8Array(size * size);
  const concat = new Float32Array(size * size).fill(0.3);
  for (let y = 8; y < 16; y++) for (let x = 8; x < 16; x++) { trueMask[y * size + x] = 1; concat[y * size + x] = 1; }
  return { width: size, height: size, image: new Float32Array(3 * size * size), instruction: 'remove the red circle on the left', kind: 'position', trueMask, predicted: { concat } };
}

describe('examples grid', () => {
  const example = blackExample();
  const image = renderExamplesFigure([example], ['concat', 'outer']);
  const layout = layoutExamples([example], ['concat', 'outer']);
  // hand layout: columns 128 wide (32 x 4) with 8 px gaps -> 8 + 4 * 136 = 552 wide;
  // header at y 8 (14 tall) + 16 gap -> instruction at 38 (one 18 px line + 2) -> cells at 58,
  // 128 tall, caption at 190 (18) + 8 -> 216 high
  const cellTop = 58;
  const columnLeft = (i: number) => 8 + i * 136;

  it('scales a 32x32 example up 4x and has the expected size', () => {
    expect(upscaleFactor(32, 32)).toBe(4);
    expect(upscaleFactor(20, 20)).toBe(6);
    expect(upscaleFactor(200, 100)).toBe(1);
    expect([image.width, image.height]).toEqual([552, 216]);
    expect(layout.rows[0].cellTop).toBe(cellTop);
  });

  it('draws the true-mask overlay colour inside the mask and the image outside it', () => {
    // source pixel (10, 10) is inside the mask: display (40..43, 40..43) in the truth column
    expect(getPixel(image, columnLeft(1) + 41, cellTop + 41)).toEqual([0, 110, 44]); // round([0, 200, 80] * 0.55)
    expect(getPixel(image, columnLeft(1) + 4, cellTop + 4)).toEqual([0, 0, 0]);
    expect(getPixel(image, columnLeft(0) + 41, cellTop + 41)).toEqual([0, 0, 0]); // the source column has no overlay
  });

  it('draws predictions with probability as intensity, above 0.5 only, with the true outline', () => {
    // p = 1 inside: round([230, 30, 30] * 0.75)
    expect(getPixel(image, columnLeft(2) + 49, cellTop + 49)).toEqual([173, 23, 23]);
    // p = 0.3 outside the mask: no overlay
    expect(getPixel(image, columnLeft(2) + 100, cellTop + 100)).toEqual([0, 0, 0]);
    // display x 32 is the first mask column: the outline, in the true-mask colour
    expect(getPixel(image, columnLeft(2) + 32, cellTop + 40)).toEqual([0, 200, 80]);
    // a head without a prediction gets a grey placeholder
    expect(getPixel(image, columnLeft(3) + 60, cellTop + 60)).toEqual([220, 220, 220]);
  });

  it('overlays on a greyscale copy of the image', () => {
    const coloured = blackExample();
    coloured.image.fill(0.5, 0, 32 * 32); // red channel only
    const figure = renderExamplesFigure([coloured], ['concat']);
    // three columns are narrower than the instruction: it wraps to two lines, so the cells move down
    const top = layoutExamples([coloured], ['concat']).rows[0].cellTop;
    expect(top).toBe(cellTop + 18);
    const grey = Math.round(0.299 * 128);
    expect(getPixel(figure, columnLeft(0) + 4, top + 4)).toEqual([128, 0, 0]);
    expect(getPixel(figure, columnLeft(1) + 4, top + 4)).toEqual([grey, grey, grey]);
    expect(getPixel(figure, columnLeft(1) + 41, top + 41)).toEqual(blend([grey, grey, grey], [0, 200, 80], 0.55));
    expect(toGreyscale(fromPlanar(coloured.image, 32, 32)).data[0]).toBe(grey);
  });

  it('writes the headers, the instruction and the IoU caption', () => {
    // 'i' of "image": its column 2 row 0 is set; at 2x and x = 8 that is pixel (12, 8)
    expect(getPixel(image, 12, 8)).toEqual([34, 34, 34]);
    expect(getPixel(image, 10, 8)).toEqual([255, 255, 255]);
    // '[' of "[position]" has its column 1 full height: pixel (10, 38 .. 51)
    for (let y = 38; y < 52; y++) expect(getPixel(image, 10, y)).toEqual([34, 34, 34]);
    // caption "IoU 1.00" under concat: 'I' column 1 row 0 at (280 + 2, 190)
    expect(getPixel(image, columnLeft(2) + 2, 190)).toEqual([90, 90, 90]);
  });

  it('computes the per-example IoU at 0.5', () => {
    expect(exampleIoU(Float32Array.from([0.9, 0.6, 0.2, 0.4]), Uint8Array.from([1, 0, 1, 0]))).toBeCloseTo(1 / 3, 12);
    expect(exampleIoU(Float32Array.from([0.5, 0.1]), Uint8Array.from([0, 0]))).toBe(1);
  });

  it('rejects examples whose arrays do not match their size', () => {
    const bad = { ...blackExample(), trueMask: new Uint8Array(10) };
    expect(() => renderExamplesFigure([bad], ['concat'])).toThrow(/mask has 10 values/);
    expect(() => renderExamplesFigure([], ['concat'])).toThrow(/no examples/);
  });
});
