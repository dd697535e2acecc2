import { describe, expect, it } from 'vitest';
import { charsThatFit, drawText, glyphPixel, textWidth, wrapText } from './font.js';
import { createImage, getPixel } from './raster.js';

/** A glyph as 7 text rows of '#' and '.'. */
function glyphRows(char: string): string[] {
  return Array.from({ length: 7 }, (_, row) => Array.from({ length: 5 }, (_, col) => (glyphPixel(char, col, row) ? '#' : '.')).join(''));
}

describe('5x7 font', () => {
  it('has the expected bitmaps for known glyphs', () => {
    expect(glyphRows('A')).toEqual(['.###.', '#...#', '#...#', '#...#', '#####', '#...#', '#...#']);
    expect(glyphRows('1')).toEqual(['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.']);
    expect(glyphRows('T')).toEqual(['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..']);
    expect(glyphRows('.')).toEqual(['.....', '.....', '.....', '.....', '.....', '.##..', '.##..']);
    expect(glyphRows(' ').every((r) => r === '.....')).toBe(true);
  });

  it('draws unknown characters as ?', () => {
    expect(glyphRows('é')).toEqual(glyphRows('?'));
    expect(glyphRows('\t')).toEqual(glyphRows('?'));
  });

  it('renders scaled glyph pixels into an image at the right place', () => {
    const image = createImage(40, 20, [255, 255, 255]);
    drawText(image, 'AT', 3, 2, [10, 20, 30], 2);
    // 'A' top row is .###. : font pixel (1, 0) covers image (5..6, 2..3); font pixel (0, 0) is off
    for (const [x, y] of [[5, 2], [6, 2], [5, 3], [6, 3]]) expect(getPixel(image, x, y)).toEqual([10, 20, 30]);
    expect(getPixel(image, 3, 2)).toEqual([255, 255, 255]);
    expect(getPixel(image, 4, 3)).toEqual([255, 255, 255]);
    // 'A' crossbar (row 4) spans font columns 0..4: image y 10..11, x 3..12
    for (let x = 3; x <= 12; x++) expect(getPixel(image, x, 10)).toEqual([10, 20, 30]);
    // 'T' starts one advance (6 font pixels = 12 image pixels) later: its top row fills x 15..24
    for (let x = 15; x <= 24; x++) expect(getPixel(image, x, 2)).toEqual([10, 20, 30]);
    expect(getPixel(image, 15, 4)).toEqual([255, 255, 255]); // T's stem is in the middle only
    expect(getPixel(image, 19, 4)).toEqual([10, 20, 30]);
    // the blank column between glyphs stays white
    expect(getPixel(image, 13, 10)).toEqual([255, 255, 255]);
  });

  it('clips text at the image border', () => {
    const image = createImage(4, 4);
    expect(() => drawText(image, 'WWW', 2, 2, [0, 0, 0], 3)).not.toThrow();
    expect(getPixel(image, 2, 2)).toEqual([0, 0, 0]); // W's top-left pixel
  });

  it('measures and wraps text', () => {
    expect(textWidth('ab', 2)).toBe((2 * 6 - 1) * 2);
    expect(textWidth('', 2)).toBe(0);
    expect(charsThatFit(textWidth('abcd', 2), 2)).toBe(4);
    expect(charsThatFit(textWidth('abcd', 2) - 1, 2)).toBe(3);
    expect(wrapText('remove the red circle on the left', 14, 2)).toEqual(['remove the red', 'circle on t...']);
    expect(wrapText('remove the red circle', 14, 3)).toEqual(['remove the red', 'circle']);
    expect(wrapText('abcdefghijkl', 5, 3)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrapText('  spaced   words ', 20, 1)).toEqual(['spaced words']);
  });
});
