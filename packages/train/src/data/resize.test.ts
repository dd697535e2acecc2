import { describe, expect, it } from 'vitest';
import { IMAGENET_MEAN, IMAGENET_STD, normalizeImageNet } from './normalize.js';
import { resizeBilinear, resizeNearest } from './resize.js';

const close = (actual: Float32Array, expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i], `index ${i}`).toBeCloseTo(e, 5));
};

describe('resizeBilinear (half-pixel centres, as torch align_corners=False)', () => {
  it('upsamples 2x2 to 4x4 like F.interpolate', () => {
    const out = resizeBilinear({ data: new Float32Array([0, 1, 2, 3]), channels: 1, width: 2, height: 2 }, 4, 4);
    // torch.nn.functional.interpolate(torch.tensor([[[[0.,1],[2,3]]]]), size=4, mode='bilinear', align_corners=False)
    close(out, [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('downsamples 4 to 2 by averaging neighbour pairs, per channel', () => {
    const data = new Float32Array([0, 1, 2, 3, 10, 20, 30, 40]); // 2 channels of 1x4
    close(resizeBilinear({ data, channels: 2, width: 4, height: 1 }, 2, 1), [0.5, 2.5, 15, 35]);
  });

  it('resizes 3 to 2 with source coordinates 0.25 and 1.75', () => {
    // out i samples (i + 0.5) * 1.5 - 0.5: 0.25 -> 0.75*a + 0.25*b, 1.75 -> 0.25*b + 0.75*c
    close(resizeBilinear({ data: new Float32Array([4, 8, 16]), channels: 1, width: 3, height: 1 }, 2, 1), [5, 14]);
    // and in y, for a non-square output
    close(resizeBilinear({ data: new Float32Array([4, 8, 16]), channels: 1, width: 1, height: 3 }, 3, 2), [5, 5, 5, 14, 14, 14]);
  });

  it('copies when the size is unchanged and checks its input', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    close(resizeBilinear({ data, channels: 3, width: 2, height: 1 }, 2, 1), [1, 2, 3, 4, 5, 6]);
    expect(() => resizeBilinear({ data, channels: 3, width: 3, height: 1 }, 2, 1)).toThrow(/6 values is not 3x1x3/);
  });
});

describe('resizeNearest (half-pixel centres, as torch nearest-exact)', () => {
  it('picks the source pixel under each output centre', () => {
    const mask = new Uint8Array([1, 0, 0, 1, 1, 0]); // 1x6
    expect(Array.from(resizeNearest({ data: mask, channels: 1, width: 6, height: 1 }, 3, 1))).toEqual([0, 1, 0]);
    expect(Array.from(resizeNearest({ data: new Uint8Array([1, 0, 0, 1]), channels: 1, width: 2, height: 2 }, 4, 2)))
      .toEqual([1, 1, 0, 0, 0, 0, 1, 1]);
    const floats = resizeNearest({ data: new Float32Array([0.5, 2]), channels: 1, width: 2, height: 1 }, 3, 1);
    expect(floats).toBeInstanceOf(Float32Array);
    expect(Array.from(floats)).toEqual([0.5, 2, 2]);
  });
});

describe('normalizeImageNet', () => {
  it('subtracts the mean and divides by the std of each channel', () => {
    const image = new Float32Array([0, 1, 0.5, 0.5, 1, 0]); // (3, 1, 2)
    const out = normalizeImageNet(image, 2);
    close(out, [
      -IMAGENET_MEAN[0] / IMAGENET_STD[0], (1 - IMAGENET_MEAN[0]) / IMAGENET_STD[0],
      (0.5 - IMAGENET_MEAN[1]) / IMAGENET_STD[1], (0.5 - IMAGENET_MEAN[1]) / IMAGENET_STD[1],
      (1 - IMAGENET_MEAN[2]) / IMAGENET_STD[2], -IMAGENET_MEAN[2] / IMAGENET_STD[2],
    ]);
    expect(out[0]).toBeCloseTo(-2.117904, 5);
    expect(image[0]).toBe(0); // input untouched
    expect(() => normalizeImageNet(new Float32Array(5), 2)).toThrow(/not a whole number/);
  });
});
