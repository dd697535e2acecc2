/**
 * The held-out compositional split of the synthetic set (`--holdout`): some (colour, shape) pairs
 * and some relation and position phrasings never occur in a training or validation sample's
 * instruction target (the object the mask marks, and for relational instructions the reference
 * object and the relation). Held-out pairs may still be drawn as distractors, so the model sees the
 * colour and the shape, only never asked for together. Eval samples are generated as usual and
 * labelled `seen` or `unseen`, so the report can show which fusions generalise to new combinations.
 */
import type { ColorName, ShapeName } from './shapes.js';
import type { PositionPhrase, Relation, SyntheticScene } from './synthetic-scene.js';

/** The combinations kept out of training. */
export interface Holdout {
  pairs: readonly (readonly [ColorName, ShapeName])[];
  relations: readonly Relation[];
  positions: readonly PositionPhrase[];
}

/**
 * The default split: three pairs in a Latin square (each held-out colour and shape still appears
 * as the target in other pairs), one relation whose words appear elsewhere ("right" in "on the
 * right", "to the ... of" in "to the left of"), and one position phrase built of seen words.
 */
export const DEFAULT_HOLDOUT: Holdout = {
  pairs: [['red', 'triangle'], ['green', 'square'], ['yellow', 'circle']],
  relations: ['right of'],
  positions: ['bottom left'],
};

/** Why a scene's instruction uses a held-out combination, or undefined when it uses none. */
export function heldOutCombination(scene: SyntheticScene, holdout: Holdout): string | undefined {
  const { objects, targetIndex, reference } = scene;
  const pairOf = (i: number) => holdout.pairs.find(([c, s]) => objects[i].color === c && objects[i].shape === s);
  const target = pairOf(targetIndex);
  if (target) return `target ${target.join(' ')}`;
  if (reference.kind === 'relational') {
    const ref = pairOf(reference.referenceIndex!);
    if (ref) return `reference ${ref.join(' ')}`;
    if (holdout.relations.includes(reference.relation!)) return `relation ${reference.relation}`;
  }
  if (reference.kind === 'position' && holdout.positions.includes(reference.position!)) return `position ${reference.position}`;
  return undefined;
}
