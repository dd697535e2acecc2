/**
 * The closed vocabulary of the synthetic instructions. The text encoder's WordPiece tokenizer must
 * cover every word here; the instruction templates (synthetic-instruction.ts) use no other word, and
 * a test checks that over many generated samples.
 */

/** Every word a synthetic instruction can contain, lowercased, without punctuation. */
export const SYNTHETIC_VOCABULARY: string[] = [
  'the', 'a', 'an', 'of', 'on', 'in', 'at', 'to', 'into', 'with', 'and',
  'next', 'above', 'below', 'left', 'right', 'top', 'bottom', 'middle', 'center',
  'small', 'large', 'big', 'tiny',
  'red', 'green', 'blue', 'yellow', 'purple', 'orange',
  'circle', 'square', 'triangle', 'diamond', 'ring', 'cross',
  'remove', 'delete', 'erase', 'make', 'turn', 'change', 'paint', 'color', 'put', 'add', 'place', 'draw',
  'hat', 'star', 'dot', 'stripe', 'outline', 'bigger', 'smaller',
  'it', 'that', 'one', 'object', 'shape',
];

/** Splits an instruction into lowercase words (the unit the vocabulary is made of). */
export function instructionWords(instruction: string): string[] {
  return instruction.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
}
