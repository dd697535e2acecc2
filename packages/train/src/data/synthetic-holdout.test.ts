/**
 * The held-out split (`--holdout`) does not leak: no training, validation or prior sample of any
 * training seed asks for a held-out combination, read back both from the drawn scene (the target
 * and reference objects' real colour and shape) and, independently of the generator, from the
 * instruction's text. The check is not vacuous (the same streams without the split do contain
 * every kind of held-out combination), exclusion is rejection of exactly the scenes the eval
 * labels call unseen, and the eval set labels seen / unseen by the same rule.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLDOUT, generateBatch, heldOutCombination, type Holdout, type SyntheticSample } from './synthetic.js';
import { syntheticSource, syntheticSeeds } from '../loop/data-source.js';
import { parseInstruction, type Description } from '../testing/instruction.js';
import type { Sample } from './types.js';

const SIZE = 24;
const split: Holdout = DEFAULT_HOLDOUT;

const heldPair = (d: { color?: string; shape?: string }) => split.pairs.some(([c, s]) => d.color === c && d.shape === s);

/**
 * Which held-out combination a sample asks for, from its text and its scene (not from the
 * generator's own check): the named target or reference pair, the relation, the position phrase, or
 * the target object's real pair (a relational target may be named by its shape alone).
 */
function askedCombination(s: SyntheticSample): string | undefined {
  const p = parseInstruction(s.instruction);
  if (heldPair(p.target)) return 'target pair (text)';
  if (p.reference && heldPair(p.reference)) return 'reference pair';
  if (p.relation && (split.relations as readonly string[]).includes(p.relation)) return 'relation';
  if (p.position && (split.positions as readonly string[]).includes(p.position)) return 'position';
  if (heldPair(s.scene.objects[s.scene.targetIndex])) return 'target pair (drawn)';
  return undefined;
}

const synthetic = (s: Sample) => s as SyntheticSample;

describe('holdout split', () => {
  const counts = { train: 64, validation: 300, eval: 400 };
  const source = syntheticSource({ seed: 0, size: SIZE, ...counts, holdout: split });

  it('keeps every held-out combination out of training, validation and prior samples, for every training seed', () => {
    const streams: [string, Sample[]][] = [['validation', source.validation], ['prior', source.priorSamples(200)]];
    for (const seed of [0, 1, 2]) {
      const data = seed === 0 ? source : source.withTrainSeed(seed);
      const batches = Array.from({ length: 12 }, (_, step) => data.trainBatch(step, 32)).flat();
      streams.push([`training (seed ${seed})`, batches]);
    }
    let checked = 0;
    for (const [name, samples] of streams) {
      for (const s of samples.map(synthetic)) {
        expect(s.holdout, `${name}: ${s.id}`).toBeUndefined();
        expect(heldOutCombination(s.scene, split), `${name}: ${s.instruction}`).toBeUndefined();
        expect(askedCombination(s), `${name}: ${s.instruction}`).toBeUndefined();
        checked++;
      }
    }
    expect(checked).toBe(300 + 200 + 3 * 12 * 32);
  });

  it('is not vacuous: without the split the same training streams ask for every kind of held-out combination', () => {
    const seen = new Set<string>();
    for (const seed of [0, 1, 2]) {
      for (const s of generateBatch({ seed: syntheticSeeds(seed).train, size: SIZE }, 0, 12 * 32)) {
        const asked = askedCombination(s);
        if (asked) seen.add(asked.replace(/ \((text|drawn)\)$/, ''));
      }
    }
    expect([...seen].sort()).toEqual(['position', 'reference pair', 'relation', 'target pair']);
  });

  it('excludes by rejecting exactly the scenes the eval labels call unseen', () => {
    const seed = syntheticSeeds(0).train;
    const labelled = generateBatch({ seed, size: SIZE, holdout: { split, role: 'label' } }, 0, 150);
    const excluded = generateBatch({ seed, size: SIZE, holdout: { split, role: 'exclude' } }, 0, 150);
    let replaced = 0;
    labelled.forEach((s, i) => {
      if (s.holdout === 'seen') {
        // the first scene drawn was kept: the same sample
        expect(excluded[i].instruction).toBe(s.instruction);
        expect(Array.from(excluded[i].mask)).toEqual(Array.from(s.mask));
      } else {
        expect(excluded[i].instruction).not.toBe(s.instruction);
        replaced++;
      }
      expect(excluded[i].kind).toBe(s.kind);
    });
    expect(replaced).toBeGreaterThan(0);
  });

  it('labels eval samples seen or unseen by the same rule, with every kind of held-out combination among the unseen', () => {
    const reasons = new Set<string>();
    for (const s of source.evaluation.map(synthetic)) {
      const asked = askedCombination(s);
      expect(s.holdout, s.instruction).toBe(asked ? 'unseen' : 'seen');
      expect(heldOutCombination(s.scene, split) !== undefined).toBe(s.holdout === 'unseen');
      if (asked) reasons.add(asked.replace(/ \((text|drawn)\)$/, ''));
    }
    expect([...reasons].sort()).toEqual(['position', 'reference pair', 'relation', 'target pair']);
    const unseen = source.evaluation.filter((s) => s.holdout === 'unseen').length;
    expect(unseen).toBeGreaterThan(counts.eval / 10);
    expect(unseen).toBeLessThan(counts.eval / 2);
  });

  it('leaves an undivided source unlabelled', () => {
    const plain = syntheticSource({ seed: 0, size: SIZE, train: 8, validation: 8, eval: 20 });
    expect(plain.holdout).toBeUndefined();
    expect(plain.evaluation.every((s) => s.holdout === undefined)).toBe(true);
  });
});

describe('askedCombination (the test\'s own reading)', () => {
  it('reads held-out pairs, relations and positions from the text', () => {
    const d = (color: string, shape: string): Description => ({ color: color as Description['color'], shape: shape as Description['shape'] });
    expect(heldPair(d('red', 'triangle'))).toBe(true);
    expect(heldPair(d('red', 'circle'))).toBe(false);
    expect(parseInstruction('erase the small red triangle to the right of the blue square')).toEqual({
      target: { size: 'small', color: 'red', shape: 'triangle' }, relation: 'right of', reference: { color: 'blue', shape: 'square' },
    });
    expect(parseInstruction('make the green circle in the bottom left bigger').position).toBe('bottom left');
  });
});
