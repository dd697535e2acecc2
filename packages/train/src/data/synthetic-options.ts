/**
 * Options of the synthetic diagnostic dataset, their defaults, and the one place they are checked.
 * `resolveSyntheticOptions` turns user options into a complete, validated record or throws an error
 * naming the field that was wrong.
 */
import { COLORS, SHAPES, type ColorName, type ShapeName, type SizeName } from './shapes.js';
import { INSTRUCTION_KINDS, type InstructionKind } from './types.js';
import type { Holdout } from './synthetic-holdout.js';

/** What a caller may set; everything but `seed` and `size` has a default. */
export interface SyntheticOptions {
  /** Which set: train and eval splits are different seeds. Any 32-bit integer. */
  seed: number;
  /** Side of the square image in pixels (SYNTHETIC_SIZE_RANGE: 24..4096). */
  size: number;
  /** Fewest objects in a scene (default 2; relational scenes always have at least 3). */
  minObjects?: number;
  /** Most objects in a scene (default 5). */
  maxObjects?: number;
  /** Shapes to draw from (default circle, square, triangle). */
  shapes?: readonly ShapeName[];
  /** Colours to draw from (default red, green, blue, yellow, purple). */
  colors?: readonly ColorName[];
  /** Object radius as a fraction of the image side, per size (default small 0.08, large 0.13). */
  radii?: Readonly<Record<SizeName, number>>;
  /**
   * Relative weight of each instruction kind (default meaning 0.4, position 0.4, relational 0.2).
   * Kinds left out weigh 0; weights need not sum to 1.
   */
  kinds?: Readonly<Partial<Record<InstructionKind, number>>>;
  /** Also render the edited image into `Sample.target` (default true). */
  withTarget?: boolean;
  /**
   * The held-out split: 'exclude' never draws a scene whose instruction uses a held-out
   * combination (training and validation), 'label' draws as usual and marks each sample `seen` or
   * `unseen` (evaluation). Default: no split.
   */
  holdout?: { split: Holdout; role: 'exclude' | 'label' };
}

/** Options with every default filled in and every field checked. */
export interface ResolvedSyntheticOptions {
  seed: number;
  size: number;
  minObjects: number;
  maxObjects: number;
  shapes: readonly ShapeName[];
  colors: readonly ColorName[];
  radii: Readonly<Record<SizeName, number>>;
  /** Weights in INSTRUCTION_KINDS order. */
  kindWeights: readonly number[];
  withTarget: boolean;
  holdout?: { split: Holdout; role: 'exclude' | 'label' };
}

/** Defaults of the optional fields. */
export const DEFAULT_SHAPES: readonly ShapeName[] = ['circle', 'square', 'triangle'];
export const DEFAULT_COLORS: readonly ColorName[] = ['red', 'green', 'blue', 'yellow', 'purple'];
export const DEFAULT_RADII: Readonly<Record<SizeName, number>> = { small: 0.08, large: 0.13 };
export const DEFAULT_KIND_WEIGHTS: Readonly<Record<InstructionKind, number>> = { meaning: 0.4, position: 0.4, relational: 0.2 };

/** Smallest and largest image side of synthetic scenes (below 24 pixels the shapes blur into one another). */
export const SYNTHETIC_SIZE_RANGE = [24, 4096] as const;

/** Most objects a scene may hold (placement gets slow and crowded beyond). */
export const MAX_OBJECTS_LIMIT = 8;

function fail(field: string, message: string): never {
  throw new Error(`synthetic options: '${field}' ${message}`);
}

function checkInteger(field: string, value: number, low: number, high: number): number {
  if (!Number.isInteger(value) || value < low || value > high) fail(field, `must be an integer in [${low}, ${high}], got ${value}`);
  return value;
}

function checkNames<T extends string>(field: string, names: readonly T[], known: readonly string[]): readonly T[] {
  if (names.length === 0) fail(field, 'must not be empty');
  for (const name of names) if (!known.includes(name)) fail(field, `has unknown entry '${name}' (known: ${known.join(', ')})`);
  if (new Set(names).size !== names.length) fail(field, `has duplicates: ${names.join(', ')}`);
  return names;
}

/** Fills defaults and validates; throws an Error naming the bad field. */
export function resolveSyntheticOptions(options: SyntheticOptions): ResolvedSyntheticOptions {
  checkInteger('seed', options.seed, -2147483648, 4294967295);
  const size = checkInteger('size', options.size, SYNTHETIC_SIZE_RANGE[0], SYNTHETIC_SIZE_RANGE[1]);
  const minObjects = checkInteger('minObjects', options.minObjects ?? 2, 2, MAX_OBJECTS_LIMIT);
  const maxObjects = checkInteger('maxObjects', options.maxObjects ?? 5, 2, MAX_OBJECTS_LIMIT);
  if (minObjects > maxObjects) fail('minObjects', `(${minObjects}) must not exceed maxObjects (${maxObjects})`);
  const shapes = checkNames('shapes', options.shapes ?? DEFAULT_SHAPES, Object.keys(SHAPES));
  const colors = checkNames('colors', options.colors ?? DEFAULT_COLORS, Object.keys(COLORS));
  if (shapes.length * colors.length < 3) {
    fail('shapes', `and 'colors' must allow at least 3 (colour, shape) pairs, got ${shapes.length} x ${colors.length}`);
  }
  const radii = options.radii ?? DEFAULT_RADII;
  for (const key of ['small', 'large'] as const) {
    const r = radii[key];
    if (!(r > 0 && r <= 0.25)) fail(`radii.${key}`, `must be in (0, 0.25], got ${r}`);
  }
  if (radii.small >= radii.large) fail('radii.small', `(${radii.small}) must be below radii.large (${radii.large})`);
  const kindTable = options.kinds ?? DEFAULT_KIND_WEIGHTS;
  for (const key of Object.keys(kindTable)) {
    if (!INSTRUCTION_KINDS.includes(key as InstructionKind)) fail(`kinds.${key}`, `is not a kind (${INSTRUCTION_KINDS.join(', ')})`);
  }
  const kindWeights = INSTRUCTION_KINDS.map((kind) => {
    const w = kindTable[kind] ?? 0;
    if (!(Number.isFinite(w) && w >= 0)) fail(`kinds.${kind}`, `must be a finite weight >= 0, got ${w}`);
    return w;
  });
  if (kindWeights.every((w) => w === 0)) fail('kinds', 'must give at least one kind a positive weight');
  if (kindWeights[INSTRUCTION_KINDS.indexOf('relational')] > 0 && maxObjects < 3) {
    fail('maxObjects', `must be at least 3 when relational instructions are drawn (got ${maxObjects})`);
  }
  return { seed: options.seed >>> 0, size, minObjects, maxObjects, shapes, colors, radii, kindWeights, withTarget: options.withTarget ?? true, ...(options.holdout ? { holdout: options.holdout } : {}) };
}
