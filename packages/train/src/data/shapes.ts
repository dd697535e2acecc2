/**
 * The shapes and colours synthetic scenes are drawn with. A shape is an inside-test on the
 * square [-1, 1]^2 (u to the right, v downwards) that the renderer scales by the object's radius;
 * to add a shape, add an entry to SHAPES (its name must be a vocabulary word).
 */

/** Shapes an instruction can name. */
export type ShapeName = 'circle' | 'square' | 'triangle' | 'diamond' | 'ring' | 'cross';

/** Colours an instruction can name. */
export type ColorName = 'red' | 'green' | 'blue' | 'yellow' | 'purple' | 'orange';

/** The two object sizes. */
export type SizeName = 'small' | 'large';

/** An inside-test on [-1, 1]^2: true when the point (u, v) belongs to the shape. */
export type InsideTest = (u: number, v: number) => boolean;

/** Every shape, as an inside-test on [-1, 1]^2. */
export const SHAPES: Readonly<Record<ShapeName, InsideTest>> = {
  circle: (u, v) => u * u + v * v <= 1,
  square: (u, v) => Math.abs(u) <= 0.88 && Math.abs(v) <= 0.88,
  // apex at the top, base at v = 0.8, full width at the base
  triangle: (u, v) => v >= -1 && v <= 0.8 && Math.abs(u) <= (v + 1) / 1.8,
  diamond: (u, v) => Math.abs(u) + Math.abs(v) <= 1,
  ring: (u, v) => {
    const r2 = u * u + v * v;
    return r2 <= 1 && r2 >= 0.3;
  },
  cross: (u, v) => (Math.abs(u) <= 0.34 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.34 && Math.abs(u) <= 1),
};

/** The hat drawn by "put a hat on ...": a brim along the bottom and a pointed crown. */
export const HAT: InsideTest = (u, v) =>
  (v >= 0.6 && v <= 1 && Math.abs(u) <= 1) || (v >= -1 && v < 0.6 && Math.abs(u) <= (0.6 * (v + 1)) / 1.6);

/** RGB in [0, 1] of every colour; saturated, so they stand apart from the greyish backgrounds. */
export const COLORS: Readonly<Record<ColorName, readonly [number, number, number]>> = {
  red: [0.86, 0.12, 0.12],
  green: [0.12, 0.68, 0.2],
  blue: [0.14, 0.3, 0.9],
  yellow: [0.96, 0.86, 0.1],
  purple: [0.56, 0.2, 0.74],
  orange: [0.98, 0.52, 0.05],
};

/** Every shape name, in registry order. */
export const ALL_SHAPES = Object.keys(SHAPES) as ShapeName[];
/** Every colour name, in registry order. */
export const ALL_COLORS = Object.keys(COLORS) as ColorName[];
