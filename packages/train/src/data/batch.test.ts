import { describe, expect, it } from 'vitest';
import { toBatch } from './batch.js';
import type { Sample } from './types.js';

function sample(id: string, width: number, height: number, value: number, maskOn: number[], kind?: Sample['kind']): Sample {
  const mask = new Uint8Array(width * height);
  for (const i of maskOn) mask[i] = 1;
  return { id, width, height, image: new Float32Array(3 * width * height).fill(value), mask, instruction: `do ${id}`, kind };
}

describe('toBatch', () => {
  it('stacks normalised images, 0/1 masks, instructions and kinds in order', () => {
    const batch = toBatch([sample('a', 3, 2, 0.485, [0, 5], 'meaning'), sample('b', 3, 2, 1, [2])]);
    expect([batch.batchSize, batch.height, batch.width]).toEqual([2, 2, 3]);
    expect(batch.images.length).toBe(2 * 3 * 6);
    expect(batch.masks.length).toBe(2 * 6);
    // sample a, channel 0 is exactly the ImageNet mean: 0 after normalising; channel 1: (0.485 - 0.456) / 0.224
    expect(batch.images[0]).toBeCloseTo(0, 6);
    expect(batch.images[6]).toBeCloseTo((0.485 - 0.456) / 0.224, 5);
    expect(batch.images[12]).toBeCloseTo((0.485 - 0.406) / 0.225, 5);
    // sample b starts at 18: channels 0, 1, 2 of value 1
    expect(batch.images[18]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(batch.images[24 + 5]).toBeCloseTo((1 - 0.456) / 0.224, 5);
    expect(batch.images[35]).toBeCloseTo((1 - 0.406) / 0.225, 5);
    expect(Array.from(batch.masks)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0]);
    expect(batch.instructions).toEqual(['do a', 'do b']);
    expect(batch.kinds).toEqual(['meaning', undefined]);
  });

  it('does not modify the samples', () => {
    const s = sample('a', 2, 2, 0.5, [1]);
    toBatch([s]);
    expect(Array.from(s.image)).toEqual(new Array(12).fill(0.5));
  });

  it('names the sample whose size differs, and rejects an empty list', () => {
    expect(() => toBatch([sample('a', 4, 4, 0, []), sample('b', 4, 4, 0, []), sample('odd', 4, 3, 0, [])])).toThrow(
      'toBatch: sample 2 (odd) is 4x3 but sample 0 (a) is 4x4');
    const broken = { ...sample('short', 2, 2, 0, []), mask: new Uint8Array(3) };
    expect(() => toBatch([broken])).toThrow(/sample 0 \(short\) has 12 image values and 3 mask values, expected 12 and 4/);
    expect(() => toBatch([])).toThrow(/no samples/);
  });
});
