/**
 * The one record every dataset in this folder yields: an image, a binary edit mask and the
 * instruction that names the region. Pure data, no behaviour.
 *
 * Layouts: `image` and `target` are planar CHW float32 (3, H, W) in [0, 1]; `mask` is (H, W) bytes,
 * 1 inside the region to edit and 0 elsewhere.
 */

/** What an instruction needs to find its target: attributes, position, or a relation to another object. */
export type InstructionKind = 'meaning' | 'position' | 'relational';

/** Every instruction kind, in a fixed order (for loops over proportions and reports). */
export const INSTRUCTION_KINDS: readonly InstructionKind[] = ['meaning', 'position', 'relational'];

/** One (image, mask, instruction) example. */
export interface Sample {
  /** Stable id: `synthetic:<seed>:<index>` or `<img_id>/<turn>`. */
  id: string;
  width: number;
  height: number;
  /** RGB, planar CHW (3 * H * W), values in [0, 1]. */
  image: Float32Array;
  /** H * W, 1 = region to edit, 0 elsewhere. */
  mask: Uint8Array;
  instruction: string;
  /** Synthetic data only. */
  kind?: InstructionKind;
  /** Synthetic eval with `--holdout` only: whether the instruction's target combination occurs in training. */
  holdout?: 'seen' | 'unseen';
  /** The edited image, CHW in [0, 1], when known. */
  target?: Float32Array;
}
