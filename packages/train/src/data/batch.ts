/**
 * Stacks samples of one size into the dense arrays a training step uploads: ImageNet-normalised
 * images, 0/1 float masks, and the instructions and kinds in the same order.
 * Shape: B samples of (3, H, W) and (H, W) -> images (B, 3, H, W), masks (B, 1, H, W).
 */
import { normalizeImageNet } from './normalize.js';
import type { InstructionKind, Sample } from './types.js';

/** A stacked batch. */
export interface Batch {
  /** (B, 3, H, W) float32, ImageNet-normalised. */
  images: Float32Array;
  /** (B, 1, H, W) float32, 0 or 1. */
  masks: Float32Array;
  instructions: string[];
  kinds: (InstructionKind | undefined)[];
  batchSize: number;
  height: number;
  width: number;
}

/** Stacks `samples` (at least one, all the same width and height); throws naming the odd one out. */
export function toBatch(samples: readonly Sample[]): Batch {
  if (samples.length === 0) throw new Error('toBatch: no samples');
  const { width, height } = samples[0];
  const plane = width * height;
  const images = new Float32Array(samples.length * 3 * plane);
  const masks = new Float32Array(samples.length * plane);
  samples.forEach((s, b) => {
    if (s.width !== width || s.height !== height) {
      throw new Error(`toBatch: sample ${b} (${s.id}) is ${s.width}x${s.height} but sample 0 (${samples[0].id}) is ${width}x${height}`);
    }
    if (s.image.length !== 3 * plane || s.mask.length !== plane) {
      throw new Error(`toBatch: sample ${b} (${s.id}) has ${s.image.length} image values and ${s.mask.length} mask values, expected ${3 * plane} and ${plane}`);
    }
    images.set(s.image, b * 3 * plane);
    const offset = b * plane;
    for (let i = 0; i < plane; i++) masks[offset + i] = s.mask[i] ? 1 : 0;
  });
  normalizeImageNet(images, plane, images);
  return {
    images,
    masks,
    instructions: samples.map((s) => s.instruction),
    kinds: samples.map((s) => s.kind),
    batchSize: samples.length,
    height,
    width,
  };
}
