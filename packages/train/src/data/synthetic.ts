/**
 * The synthetic diagnostic dataset: scenes of 2-5 coloured shapes on a textured background, each with
 * an instruction naming one target object by its attributes (meaning), by its position relative to an
 * identical twin (position), or by its relation to another object (relational); the mask is the
 * target's visible pixels (also for "put a hat on ...", whose new pixels lie above the target: the mask
 * marks the object the instruction refers to) and `target` is the edited image.
 *
 * Sample `index` of set `seed` depends on nothing but (options, index): a private PRNG stream is
 * derived from (seed, index), so any index can be drawn alone, train and eval are different seeds,
 * and a training loop can draw fresh indices every batch.
 */
import { Random, streamSeed } from './prng.js';
import { writeInstruction } from './synthetic-instruction.js';
import { layoutScene } from './synthetic-layout.js';
import { resolveSyntheticOptions, type ResolvedSyntheticOptions, type SyntheticOptions } from './synthetic-options.js';
import { editedDrawables, objectDrawable, paint, renderBackground } from './synthetic-render.js';
import type { SyntheticScene } from './synthetic-scene.js';
import { heldOutCombination } from './synthetic-holdout.js';
import { INSTRUCTION_KINDS, type InstructionKind, type Sample } from './types.js';

export type { SyntheticOptions } from './synthetic-options.js';
export { DEFAULT_HOLDOUT, heldOutCombination, type Holdout } from './synthetic-holdout.js';

/** A synthetic sample, with the scene it was rendered from (for checks and visualisation). */
export interface SyntheticSample extends Sample {
  kind: InstructionKind;
  scene: SyntheticScene;
}

/** Scene attempts per sample before giving up (placement fails rarely with sane options). */
const MAX_ATTEMPTS = 200;
/** Every object must keep at least this fraction of its pixels visible. */
const MIN_VISIBLE_FRACTION = 0.6;

function generateResolved(o: ResolvedSyntheticOptions, index: number): SyntheticSample {
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`synthetic sample index must be a non-negative integer, got ${index}`);
  const rng = new Random(streamSeed(o.seed, index));
  const kind = INSTRUCTION_KINDS[rng.weighted(o.kindWeights)];
  const count = rng.int(o.minObjects, o.maxObjects);
  const size = o.size;
  const plane = size * size;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const scene = layoutScene(rng, o, kind, count);
    if (!scene) continue;
    const heldOut = o.holdout ? heldOutCombination(scene, o.holdout.split) : undefined;
    if (heldOut && o.holdout!.role === 'exclude') continue;
    const background = renderBackground(scene.background, size);
    const image = background.slice();
    const ids = new Uint8Array(plane);
    const areas = paint(image, size, scene.objects.map(objectDrawable), ids);
    const visible = new Array<number>(scene.objects.length).fill(0);
    for (let i = 0; i < plane; i++) if (ids[i] > 0) visible[ids[i] - 1]++;
    if (visible.some((v, i) => v === 0 || v < MIN_VISIBLE_FRACTION * areas[i])) continue;
    const mask = new Uint8Array(plane);
    const targetId = scene.targetIndex + 1;
    for (let i = 0; i < plane; i++) mask[i] = ids[i] === targetId ? 1 : 0;
    const instruction = writeInstruction(rng, scene);
    let target: Float32Array | undefined;
    if (o.withTarget) {
      target = background;
      paint(target, size, editedDrawables(scene, o.radii));
    }
    const sample: SyntheticSample = { id: `synthetic:${o.seed}:${index}`, width: size, height: size, image, mask, instruction, kind, scene };
    if (target) sample.target = target;
    if (o.holdout?.role === 'label') sample.holdout = heldOut ? 'unseen' : 'seen';
    return sample;
  }
  throw new Error(
    `synthetic sample ${index} of seed ${o.seed}: no valid ${kind} scene of ${count} objects in ${MAX_ATTEMPTS} attempts; ` +
      'lower maxObjects or the radii',
  );
}

/**
 * Renders sample `index` (a non-negative integer) of the set `options.seed`.
 * Same (options, index) gives identical bytes on every platform.
 * Shape: image (3, S, S) float32 in [0, 1], mask (S, S) 0/1, target (3, S, S) unless withTarget is false.
 */
export function generateSample(options: SyntheticOptions, index: number): SyntheticSample {
  return generateResolved(resolveSyntheticOptions(options), index);
}

/** Renders samples `startIndex .. startIndex + count - 1` of the set `options.seed`. */
export function generateBatch(options: SyntheticOptions, startIndex: number, count: number): SyntheticSample[] {
  const o = resolveSyntheticOptions(options);
  if (!Number.isInteger(count) || count < 0) throw new Error(`generateBatch: count must be a non-negative integer, got ${count}`);
  const samples: SyntheticSample[] = [];
  for (let k = 0; k < count; k++) samples.push(generateResolved(o, startIndex + k));
  return samples;
}
