/**
 * Writes the instruction of a synthetic scene: a verb template wrapped around a referring
 * expression ("the small red circle", "... on the left", "... next to the blue square").
 * Uses only words of SYNTHETIC_VOCABULARY; the template and synonyms are drawn from `rng`.
 */
import type { Random } from './prng.js';
import type { PositionPhrase, Relation, SceneObject, SyntheticScene } from './synthetic-scene.js';
import type { SizeName } from './shapes.js';

const SIZE_WORDS: Record<SizeName, readonly string[]> = { small: ['small', 'tiny'], large: ['large', 'big'] };

const POSITION_WORDS: Record<PositionPhrase, string> = {
  left: 'on the left', right: 'on the right', top: 'at the top', bottom: 'at the bottom',
  'top left': 'in the top left', 'top right': 'in the top right',
  'bottom left': 'in the bottom left', 'bottom right': 'in the bottom right',
};

const RELATION_WORDS: Record<Relation, string> = {
  'next to': 'next to', above: 'above', below: 'below', 'left of': 'to the left of', 'right of': 'to the right of',
};

/** "a" or "an", by the next word's first letter. */
function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** "the [size] [colour] shape" naming the chosen attributes of `object`. */
function nounPhrase(rng: Random, object: SceneObject, named: { color: boolean; shape: boolean; size: boolean }): string {
  const words = ['the'];
  if (named.size) words.push(rng.pick(SIZE_WORDS[object.size]));
  if (named.color) words.push(object.color);
  words.push(named.shape ? object.shape : 'one');
  return words.join(' ');
}

/** The referring expression that singles out the scene's target. */
export function referringExpression(rng: Random, scene: SyntheticScene): string {
  const { reference, objects, targetIndex } = scene;
  const target = nounPhrase(rng, objects[targetIndex], reference.named);
  switch (reference.kind) {
    case 'meaning':
      return target;
    case 'position':
      return `${target} ${POSITION_WORDS[reference.position!]}`;
    case 'relational': {
      const other = nounPhrase(rng, objects[reference.referenceIndex!], { color: true, shape: true, size: false });
      return `${target} ${RELATION_WORDS[reference.relation!]} ${other}`;
    }
  }
}

/** The full instruction: an edit verb template around the referring expression. */
export function writeInstruction(rng: Random, scene: SyntheticScene): string {
  const ref = referringExpression(rng, scene);
  const edit = scene.edit;
  switch (edit.verb) {
    case 'remove':
      return `${rng.pick(['remove', 'delete', 'erase'])} ${ref}`;
    case 'recolor':
      return rng.pick([
        `make ${ref} ${edit.color}`, `paint ${ref} ${edit.color}`, `color ${ref} ${edit.color}`,
        `change ${ref} to ${edit.color}`, `turn ${ref} ${edit.color}`,
      ]);
    case 'reshape': {
      const shape = `${article(edit.shape)} ${edit.shape}`;
      return rng.pick([`turn ${ref} into ${shape}`, `change ${ref} into ${shape}`, `make ${ref} ${shape}`]);
    }
    case 'resize':
      return `make ${ref} ${edit.size === 'large' ? 'bigger' : 'smaller'}`;
    case 'hat': {
      const hat = `a ${edit.color} hat`;
      return rng.pick([`put ${hat} on ${ref}`, `add ${hat} to ${ref}`, `draw ${hat} on ${ref}`, `place ${hat} on ${ref}`]);
    }
  }
}
