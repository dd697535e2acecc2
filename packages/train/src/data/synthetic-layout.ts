/**
 * Lays out one synthetic scene for a given instruction kind, so that the instruction will be true
 * and unambiguous:
 * - meaning: no other object shares the target's named attributes (colour + shape, sometimes size;
 *   when size is named, a same colour + shape object of the other size is present);
 * - position: the target has an identical twin, and a position phrase holds for the target and not
 *   the twin (see positionPhraseHolds); no other object shares the target's colour + shape;
 * - relational: the target has an identical decoy; the target stands in the relation to a reference
 *   object whose colour + shape is unique, and the decoy clearly does not.
 * Returns null when random placement fails; the caller retries with the same stream.
 */
import type { Random } from './prng.js';
import type { ResolvedSyntheticOptions } from './synthetic-options.js';
import {
  POSITION_PHRASES, RELATIONS, positionPhraseHolds, relationClearlyFails, relationHolds, separated,
  type PositionPhrase, type Relation, type SceneBackground, type SceneEdit, type SceneObject, type SyntheticScene, type TargetReference,
} from './synthetic-scene.js';
import type { ColorName, ShapeName, SizeName } from './shapes.js';
import type { InstructionKind } from './types.js';

type Attributes = { shape: ShapeName; color: ColorName; size: SizeName };
type Point = { x: number; y: number };

const SIZES: readonly SizeName[] = ['small', 'large'];
/** Random positions tried per object before the scene attempt is abandoned. */
const PLACE_TRIES = 60;

function sameKind(a: Attributes, b: Attributes): boolean {
  return a.shape === b.shape && a.color === b.color;
}

/** A uniformly drawn attribute triple among those `allowed`, or null when none is. */
function drawAttributes(rng: Random, o: ResolvedSyntheticOptions, allowed: (a: Attributes) => boolean): Attributes | null {
  const candidates: Attributes[] = [];
  for (const shape of o.shapes) for (const color of o.colors) for (const size of SIZES) {
    const a = { shape, color, size };
    if (allowed(a)) candidates.push(a);
  }
  return candidates.length === 0 ? null : rng.pick(candidates);
}

function objectAt(a: Attributes, o: ResolvedSyntheticOptions, p: Point): SceneObject {
  return { shape: a.shape, color: a.color, size: a.size, x: p.x, y: p.y, radius: o.radii[a.size] };
}

/** A random in-frame position for an object of `a`, apart from `placed` and passing `accept`. */
function placeFree(
  rng: Random, o: ResolvedSyntheticOptions, a: Attributes, placed: readonly SceneObject[],
  accept: (candidate: SceneObject) => boolean = () => true, region: readonly [number, number] = [0, 1],
): SceneObject | null {
  const r = o.radii[a.size];
  const low = Math.max(r, region[0]);
  const high = Math.min(1 - r, region[1]);
  for (let t = 0; t < PLACE_TRIES; t++) {
    const candidate = objectAt(a, o, { x: rng.uniform(low, high), y: rng.uniform(low, high) });
    if (placed.every((p) => separated(candidate, p)) && accept(candidate)) return candidate;
  }
  return null;
}

const RELATION_ANGLE: Record<Relation, number> = {
  'next to': 0, above: -Math.PI / 2, below: Math.PI / 2, 'left of': Math.PI, 'right of': 0,
};

/** A position for `a` standing in `relation` to `reference`, sampled in polar coordinates around it. */
function placeAround(
  rng: Random, o: ResolvedSyntheticOptions, a: Attributes, reference: SceneObject,
  relation: Relation, placed: readonly SceneObject[],
): SceneObject | null {
  const r = o.radii[a.size];
  const touching = r + reference.radius;
  for (let t = 0; t < PLACE_TRIES; t++) {
    const angle = relation === 'next to' ? rng.uniform(0, 2 * Math.PI) : RELATION_ANGLE[relation] + rng.uniform(-0.6, 0.6);
    const distance = relation === 'next to' ? rng.uniform(touching, touching + 0.06) : rng.uniform(Math.max(touching, 0.16), 0.55);
    const x = reference.x + distance * Math.cos(angle);
    const y = reference.y + distance * Math.sin(angle);
    if (x < r || x > 1 - r || y < r || y > 1 - r) continue;
    const candidate = objectAt(a, o, { x, y });
    if (placed.every((p) => separated(candidate, p)) && relationHolds(relation, candidate, reference)) return candidate;
  }
  return null;
}

/** Adds up to `count` distractors drawn from `allowed`; false when one cannot be placed. */
function addDistractors(
  rng: Random, o: ResolvedSyntheticOptions, placed: SceneObject[], count: number, allowed: (a: Attributes) => boolean,
): boolean {
  for (let k = 0; k < count; k++) {
    const a = drawAttributes(rng, o, allowed);
    if (!a) return true; // the options leave no attributes a distractor may take: a smaller scene
    const object = placeFree(rng, o, a, placed);
    if (!object) return false;
    placed.push(object);
  }
  return true;
}

type Layout = { objects: SceneObject[]; reference: TargetReference } | null;

// Object 0 of each layout is the target; the caller shuffles the drawing order afterwards.

function layoutMeaning(rng: Random, o: ResolvedSyntheticOptions, count: number): Layout {
  const target = drawAttributes(rng, o, () => true)!;
  const sizeNamed = rng.chance(0.3);
  const objects: SceneObject[] = [];
  const first = placeFree(rng, o, target, objects);
  if (!first) return null;
  objects.push(first);
  if (sizeNamed) {
    const foil = { ...target, size: target.size === 'small' ? 'large' : 'small' } as Attributes;
    const placedFoil = placeFree(rng, o, foil, objects);
    if (!placedFoil) return null;
    objects.push(placedFoil);
  } else {
    // One distractor shares the colour or the shape, so both words of the instruction matter.
    const sharing = drawAttributes(rng, o, (a) => !sameKind(a, target) && (a.color === target.color || a.shape === target.shape));
    const placedSharing = sharing && placeFree(rng, o, sharing, objects);
    if (!placedSharing) return null;
    objects.push(placedSharing);
  }
  if (!addDistractors(rng, o, objects, count - objects.length, (a) => !sameKind(a, target))) return null;
  return { objects, reference: { kind: 'meaning', named: { color: true, shape: true, size: sizeNamed } } };
}

function layoutPosition(rng: Random, o: ResolvedSyntheticOptions, count: number): Layout {
  const target = drawAttributes(rng, o, () => true)!;
  for (let t = 0; t < PLACE_TRIES; t++) {
    const a = placeFree(rng, o, target, []);
    const b = a && placeFree(rng, o, target, [a]);
    if (!a || !b) continue;
    const options: { phrase: PositionPhrase; pair: [SceneObject, SceneObject] }[] = [];
    for (const phrase of POSITION_PHRASES) {
      if (positionPhraseHolds(phrase, a, b)) options.push({ phrase, pair: [a, b] });
      if (positionPhraseHolds(phrase, b, a)) options.push({ phrase, pair: [b, a] });
    }
    if (options.length === 0) continue;
    const chosen = rng.pick(options);
    const objects = [...chosen.pair];
    if (!addDistractors(rng, o, objects, count - 2, (x) => !sameKind(x, target))) return null;
    const named = { color: true, shape: true, size: rng.chance(0.2) };
    return { objects, reference: { kind: 'position', named, position: chosen.phrase, twinIndex: 1 } };
  }
  return null;
}

function layoutRelational(rng: Random, o: ResolvedSyntheticOptions, count: number): Layout {
  const target = drawAttributes(rng, o, () => true)!;
  const shapeOnly = rng.chance(0.3) && o.shapes.length >= 2;
  const referenceAttributes = drawAttributes(rng, o, (a) => !sameKind(a, target) && (!shapeOnly || a.shape !== target.shape));
  if (!referenceAttributes) return null;
  const relation = rng.pick(RELATIONS);
  const reference = placeFree(rng, o, referenceAttributes, [], undefined, [0.2, 0.8]);
  if (!reference) return null;
  const placedTarget = placeAround(rng, o, target, reference, relation, [reference]);
  if (!placedTarget) return null;
  const decoy = placeFree(rng, o, target, [reference, placedTarget], (d) => relationClearlyFails(relation, d, reference, placedTarget));
  if (!decoy) return null;
  const objects = [placedTarget, decoy, reference];
  const matchesTarget = (a: Attributes) => (shapeOnly ? a.shape === target.shape : sameKind(a, target));
  const allowed = (a: Attributes) => !matchesTarget(a) && !sameKind(a, referenceAttributes);
  if (!addDistractors(rng, o, objects, count - 3, allowed)) return null;
  const named = { color: !shapeOnly, shape: true, size: false };
  return { objects, reference: { kind: 'relational', named, relation, decoyIndex: 1, referenceIndex: 2 } };
}

/** The edit asked of the target: remove, recolour, reshape, resize or a hat. */
function drawEdit(rng: Random, o: ResolvedSyntheticOptions, target: SceneObject): SceneEdit {
  const otherColors = o.colors.filter((c) => c !== target.color);
  const otherShapes = o.shapes.filter((s) => s !== target.shape);
  const verbs: SceneEdit['verb'][] = ['remove', 'resize', 'hat'];
  if (otherColors.length > 0) verbs.push('recolor');
  if (otherShapes.length > 0) verbs.push('reshape');
  const verb = rng.pick(verbs);
  switch (verb) {
    case 'remove': return { verb };
    case 'resize': return { verb, size: target.size === 'small' ? 'large' : 'small' };
    case 'recolor': return { verb, color: rng.pick(otherColors) };
    case 'reshape': return { verb, shape: rng.pick(otherShapes) };
    case 'hat': return { verb, color: rng.pick(otherColors.length > 0 ? otherColors : o.colors) };
  }
}

function drawBackground(rng: Random): SceneBackground {
  const grey = rng.uniform(0.38, 0.62);
  const base = [0, 1, 2].map(() => grey + rng.uniform(-0.04, 0.04)) as unknown as [number, number, number];
  const pattern = rng.chance(0.5) ? 'gradient' : 'stripes';
  return {
    base,
    pattern,
    angle: rng.uniform(0, 2 * Math.PI),
    amplitude: pattern === 'gradient' ? rng.uniform(0.08, 0.25) : rng.uniform(0.02, 0.06),
    period: rng.uniform(0.06, 0.2),
    noise: rng.uniform(0.01, 0.05),
    noiseSeed: rng.nextUint32(),
  };
}

const LAYOUTS: Record<InstructionKind, (rng: Random, o: ResolvedSyntheticOptions, count: number) => Layout> = {
  meaning: layoutMeaning,
  position: layoutPosition,
  relational: layoutRelational,
};

/**
 * One attempt at a scene of `kind` with `count` objects (3 at least for relational), or null when
 * placement failed. The drawing order is shuffled and the reference's indices follow it.
 */
export function layoutScene(rng: Random, o: ResolvedSyntheticOptions, kind: InstructionKind, count: number): SyntheticScene | null {
  const layout = LAYOUTS[kind](rng, o, kind === 'relational' ? Math.max(count, 3) : count);
  if (!layout) return null;
  const order = rng.shuffle(layout.objects.map((_, i) => i));
  const newIndex = new Array<number>(order.length);
  order.forEach((oldIndex, i) => { newIndex[oldIndex] = i; });
  const reference = { ...layout.reference };
  for (const key of ['twinIndex', 'referenceIndex', 'decoyIndex'] as const) {
    const old = reference[key];
    if (old !== undefined) reference[key] = newIndex[old];
  }
  const objects = order.map((i) => layout.objects[i]);
  const targetIndex = newIndex[0];
  return { objects, targetIndex, reference, edit: drawEdit(rng, o, objects[targetIndex]), background: drawBackground(rng) };
}
