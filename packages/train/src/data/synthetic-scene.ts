/**
 * The description of one synthetic scene (objects, which one the instruction names and how, the
 * edit, the background) and the geometric predicates that make position and relation phrases true.
 *
 * Coordinates are fractions of the image side: x to the right, y downwards, both in [0, 1];
 * an object's `radius` is half the side of the box its shape is drawn in.
 */
import type { ColorName, ShapeName, SizeName } from './shapes.js';
import type { InstructionKind } from './types.js';

/** One drawn object. */
export interface SceneObject {
  shape: ShapeName;
  color: ColorName;
  size: SizeName;
  /** Centre, as fractions of the image side. */
  x: number;
  y: number;
  /** Half-side of the drawing box, as a fraction of the image side. */
  radius: number;
}

/** Position phrases, disambiguating a target from its identical twin. */
export type PositionPhrase = 'left' | 'right' | 'top' | 'bottom' | 'top left' | 'top right' | 'bottom left' | 'bottom right';
export const POSITION_PHRASES: readonly PositionPhrase[] = ['left', 'right', 'top', 'bottom', 'top left', 'top right', 'bottom left', 'bottom right'];

/** Relations of a target to a reference object. */
export type Relation = 'next to' | 'above' | 'below' | 'left of' | 'right of';
export const RELATIONS: readonly Relation[] = ['next to', 'above', 'below', 'left of', 'right of'];

/** How the instruction singles out the target. */
export interface TargetReference {
  kind: InstructionKind;
  /** Which of the target's attributes the instruction names. */
  named: { color: boolean; shape: boolean; size: boolean };
  /** position: the phrase and the index of the identical twin it rules out. */
  position?: PositionPhrase;
  twinIndex?: number;
  /** relational: the relation, the reference object, and the look-alike that fails the relation. */
  relation?: Relation;
  referenceIndex?: number;
  decoyIndex?: number;
}

/** The change the instruction asks for. */
export type SceneEdit =
  | { verb: 'remove' }
  | { verb: 'recolor'; color: ColorName }
  | { verb: 'reshape'; shape: ShapeName }
  | { verb: 'resize'; size: SizeName }
  | { verb: 'hat'; color: ColorName };

/** A low-contrast textured background: a grey base, a gradient or stripes, and per-pixel noise. */
export interface SceneBackground {
  base: readonly [number, number, number];
  pattern: 'gradient' | 'stripes';
  /** Direction of the gradient or of the stripes' normal, in radians. */
  angle: number;
  amplitude: number;
  /** Stripe period as a fraction of the image side (stripes only). */
  period: number;
  /** Half-width of the uniform per-pixel noise. */
  noise: number;
  /** Seed of the noise stream. */
  noiseSeed: number;
}

/** Everything needed to render a sample and to check its instruction. */
export interface SyntheticScene {
  /** In drawing order: later objects cover earlier ones. */
  objects: SceneObject[];
  targetIndex: number;
  reference: TargetReference;
  edit: SceneEdit;
  background: SceneBackground;
}

/** Least centre distance between a position target and its twin, along each named axis. */
export const POSITION_GAP = 0.2;
/** Largest gap between the bounding circles of two objects that are "next to" each other. */
export const NEXT_TO_SLACK = 0.08;
/** Least centre offset along the named axis for above / below / left of / right of. */
export const RELATION_OFFSET = 0.1;
/** Two objects may come no closer than this fraction of the sum of their radii (limits occlusion). */
export const MIN_SEPARATION = 0.9;

type Point = { x: number; y: number };

function inRegion(phrase: PositionPhrase, p: Point): boolean {
  const left = p.x < 0.5;
  const top = p.y < 0.5;
  switch (phrase) {
    case 'left': return left;
    case 'right': return !left;
    case 'top': return top;
    case 'bottom': return !top;
    case 'top left': return top && left;
    case 'top right': return top && !left;
    case 'bottom left': return !top && left;
    case 'bottom right': return !top && !left;
  }
}

/**
 * True when `phrase` picks `target` and not `twin` under both readings: relative (the target is
 * further that way than the twin by POSITION_GAP on each named axis) and absolute (the target's
 * centre lies in the named half or quadrant of the image and the twin's does not).
 */
export function positionPhraseHolds(phrase: PositionPhrase, target: Point, twin: Point): boolean {
  if (!inRegion(phrase, target) || inRegion(phrase, twin)) return false;
  const horizontal = phrase.endsWith('left') ? twin.x - target.x : phrase.endsWith('right') ? target.x - twin.x : Infinity;
  const vertical = phrase.startsWith('top') ? twin.y - target.y : phrase.startsWith('bottom') ? target.y - twin.y : Infinity;
  return horizontal >= POSITION_GAP && vertical >= POSITION_GAP;
}

/** True when `target` stands in `relation` to `reference` (centres; `next to` also uses radii). */
export function relationHolds(relation: Relation, target: SceneObject, reference: SceneObject): boolean {
  const dx = target.x - reference.x;
  const dy = target.y - reference.y;
  switch (relation) {
    case 'next to': return Math.hypot(dx, dy) <= target.radius + reference.radius + NEXT_TO_SLACK;
    case 'above': return -dy >= RELATION_OFFSET && Math.abs(dx) <= -dy;
    case 'below': return dy >= RELATION_OFFSET && Math.abs(dx) <= dy;
    case 'left of': return -dx >= RELATION_OFFSET && Math.abs(dy) <= -dx;
    case 'right of': return dx >= RELATION_OFFSET && Math.abs(dy) <= dx;
  }
}

/**
 * True when `decoy` clearly does not stand in `relation` to `reference`, given the target that does:
 * for `next to` it is at least twice as far (and 0.2 further) than the target; for the directions
 * its centre is not on the named side of the reference's centre at all.
 */
export function relationClearlyFails(relation: Relation, decoy: SceneObject, reference: SceneObject, target: SceneObject): boolean {
  const dx = decoy.x - reference.x;
  const dy = decoy.y - reference.y;
  switch (relation) {
    case 'next to': {
      const targetDistance = Math.hypot(target.x - reference.x, target.y - reference.y);
      return Math.hypot(dx, dy) >= Math.max(2 * targetDistance, targetDistance + 0.2);
    }
    case 'above': return dy >= 0;
    case 'below': return dy <= 0;
    case 'left of': return dx >= 0;
    case 'right of': return dx <= 0;
  }
}

/** True when two objects are far enough apart to be placed together. */
export function separated(a: SceneObject, b: SceneObject): boolean {
  return Math.hypot(a.x - b.x, a.y - b.y) >= MIN_SEPARATION * (a.radius + b.radius);
}
