/**
 * Test support (not exported from the package): reads a synthetic instruction's referring
 * expression back out of its text, independently of the generator, so tests can check what an
 * instruction asks for against the scene it was drawn from:
 *   "<verb ...> the [size] [colour] shape [on the left | ... | next to / above / ... the colour shape]".
 * Throws naming the instruction when the text does not read that way.
 */
import { COLORS, SHAPES, type ColorName, type ShapeName, type SizeName } from '../data/shapes.js';
import { instructionWords } from '../data/vocabulary.js';

const SIZE_WORDS: Record<string, SizeName> = { small: 'small', tiny: 'small', large: 'large', big: 'large' };

/** The attributes a noun phrase names. */
export type Description = { size?: SizeName; color?: ColorName; shape?: ShapeName };

/** What an instruction's referring expression says: the target, and its position or relation to a reference. */
export type ParsedInstruction = { target: Description; position?: string; relation?: string; reference?: Description };

/** Parses the referring expression of a synthetic instruction (position and relation as the scene names them: "bottom left", "right of"). */
export function parseInstruction(instruction: string): ParsedInstruction {
  const words = instructionWords(instruction);
  let i = words.indexOf('the');
  if (i < 0) throw new Error(`"${instruction}": no "the"`);
  const description = (): Description => {
    if (words[i] !== 'the') throw new Error(`"${instruction}": expected "the" at word ${i}, got "${words[i]}"`);
    i++;
    const d: Description = {};
    if (words[i] in SIZE_WORDS) d.size = SIZE_WORDS[words[i++]];
    if (words[i] in COLORS) d.color = words[i++] as ColorName;
    if (!(words[i] in SHAPES)) throw new Error(`"${instruction}": expected a shape at word ${i}, got "${words[i]}"`);
    d.shape = words[i++] as ShapeName;
    return d;
  };
  const target = description();
  const rest = words.slice(i).join(' ');
  const position = /^(on the (left|right)|at the (top|bottom)|in the (top|bottom) (left|right))\b/.exec(rest);
  if (position) return { target, position: position[0].replace(/^(on|at|in) the /, '') };
  const relation = /^(next to|above|below|to the left of|to the right of) /.exec(rest);
  if (relation) {
    i += relation[0].trim().split(' ').length;
    return { target, relation: relation[1].replace(/^to the /, ''), reference: description() };
  }
  return { target };
}
