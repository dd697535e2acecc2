/**
 * Turns one MagicBrush edit turn (encoded source, mask and optional target images plus an
 * instruction) into a Sample of a fixed square size, and defines the row-level errors the readers
 * may skip. Shared by the parquet and the original-release readers.
 *
 * Mask convention: a mask PNG with an alpha channel marks the edit region by alpha < 128 (MagicBrush
 * masks are RGBA with the edited area transparent); a mask without alpha marks it by near-white
 * pixels (every channel >= 200). The binary mask is resized with nearest-neighbour sampling; the
 * images with bilinear sampling (see resize.ts), to `size` x `size` regardless of aspect ratio.
 */
import { decodeImage, toChwFloat, type DecodedImage } from './image.js';
import { resizeBilinear, resizeNearest } from './resize.js';
import type { Sample } from './types.js';

/** Why a row was bad; the keys of `MagicBrushDataset.skipped`. */
export type MagicBrushSkipReason =
  | 'missing-column'
  | 'missing-image'
  | 'corrupt-image'
  | 'empty-instruction'
  | 'mask-size-mismatch'
  | 'malformed-row';

/** A bad row: the message names the file and the row; `reason` is the skip-count key. */
export class MagicBrushRowError extends Error {
  constructor(readonly reason: MagicBrushSkipReason, message: string) {
    super(message);
    this.name = 'MagicBrushRowError';
  }
}

/** A row or a whole shard that cannot be read, as a value so a reader can go on past it. */
export interface TurnProblem {
  error: MagicBrushRowError;
  /** Rows it stands for (a shard without a column stands for all its rows). */
  rows: number;
}

/** One encoded image of a turn and the name its errors should carry (a path, or a column of a row). */
export interface EncodedImage {
  bytes: Uint8Array;
  name: string;
}

/** One edit turn as read from disk, before decoding. */
export interface RawTurn {
  /** `<img_id>/<turn>`. */
  id: string;
  /** Where the row came from, for errors: e.g. `/data/train-0.parquet row 3 (img_id 42, turn 1)`. */
  label: string;
  source: EncodedImage;
  mask: EncodedImage;
  target?: EncodedImage;
  instruction: string;
}

/** The edit region of a decoded mask image: 1 where alpha < 128 (RGBA) or every channel >= 200 (RGB). */
export function maskFromImage(image: DecodedImage): Uint8Array {
  const { width, height, channels, data } = image;
  const mask = new Uint8Array(width * height);
  if (channels === 4) {
    for (let i = 0, p = 3; i < mask.length; i++, p += 4) mask[i] = data[p] < 128 ? 1 : 0;
  } else {
    for (let i = 0, p = 0; i < mask.length; i++, p += 3) mask[i] = data[p] >= 200 && data[p + 1] >= 200 && data[p + 2] >= 200 ? 1 : 0;
  }
  return mask;
}

function decodeOrThrow(image: EncodedImage, label: string): DecodedImage {
  try {
    return decodeImage(image.bytes, image.name);
  } catch (error) {
    throw new MagicBrushRowError('corrupt-image', `${label}: ${(error as Error).message}`);
  }
}

function resizeImage(image: DecodedImage, size: number): Float32Array {
  return resizeBilinear({ data: toChwFloat(image), channels: 3, width: image.width, height: image.height }, size, size);
}

/**
 * Decodes, checks and resizes one turn. Throws MagicBrushRowError (naming `turn.label`) for an
 * empty instruction, an undecodable image, or a mask whose size differs from the source's.
 * Shape: source (3, h, w) -> image (3, size, size); mask (h, w) -> (size, size) 0/1.
 */
export function turnToSample(turn: RawTurn, size: number): Sample {
  const instruction = turn.instruction.trim();
  if (instruction.length === 0) throw new MagicBrushRowError('empty-instruction', `${turn.label}: empty instruction`);
  const source = decodeOrThrow(turn.source, turn.label);
  const maskImage = decodeOrThrow(turn.mask, turn.label);
  if (maskImage.width !== source.width || maskImage.height !== source.height) {
    throw new MagicBrushRowError(
      'mask-size-mismatch',
      `${turn.label}: mask ${turn.mask.name} is ${maskImage.width}x${maskImage.height} but source ${turn.source.name} is ${source.width}x${source.height}`,
    );
  }
  const mask = resizeNearest({ data: maskFromImage(maskImage), channels: 1, width: source.width, height: source.height }, size, size);
  const sample: Sample = { id: turn.id, width: size, height: size, image: resizeImage(source, size), mask, instruction };
  if (turn.target) sample.target = resizeImage(decodeOrThrow(turn.target, turn.label), size);
  return sample;
}
