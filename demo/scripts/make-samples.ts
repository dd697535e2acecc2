/**
 * Writes the demo's sample images: synthetic scenes from the evaluation stream of seed 0 (never
 * seen in training by `pnpm train --seed 0`), two of each instruction kind, rendered at SIZE px
 * (the scenes are resolution-independent; the model resizes them to its input), as PNGs in
 * demo/public/samples/ with samples.json listing file, instruction and kind.
 * Run: pnpm exec tsx --conditions=source demo/scripts/make-samples.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng, generateSample, syntheticSeeds, toHwcBytes, INSTRUCTION_KINDS, type InstructionKind } from '@fusion/train';

const SIZE = 128;
const PER_KIND = 2;
const out = join(import.meta.dirname, '..', 'public', 'samples');
mkdirSync(out, { recursive: true });
const seed = syntheticSeeds(0).evaluation;
const picked: { file: string; instruction: string; kind: InstructionKind; index: number }[] = [];
const count = new Map<InstructionKind, number>();
for (let index = 0; picked.length < PER_KIND * INSTRUCTION_KINDS.length; index++) {
  const s = generateSample({ seed, size: SIZE }, index);
  if ((count.get(s.kind) ?? 0) >= PER_KIND) continue;
  count.set(s.kind, (count.get(s.kind) ?? 0) + 1);
  const file = `${s.kind}-${count.get(s.kind)}.png`;
  writeFileSync(join(out, file), encodePng(toHwcBytes(s.image, SIZE, SIZE), SIZE, SIZE));
  picked.push({ file, instruction: s.instruction, kind: s.kind, index });
}
picked.sort((a, b) => INSTRUCTION_KINDS.indexOf(a.kind) - INSTRUCTION_KINDS.indexOf(b.kind) || a.file.localeCompare(b.file));
writeFileSync(join(out, 'samples.json'), `${JSON.stringify({ seed, size: SIZE, samples: picked }, null, 2)}\n`);
console.log(`${picked.length} samples in ${out}`);
