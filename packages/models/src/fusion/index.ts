/**
 * The fusion heads behind one interface (types.ts) and a factory from a configuration:
 *   concat       pooled vectors projected, concatenated, a Linear to a (C, h, w) map (eq. 5)
 *   outer        pooled vectors projected, outer product as a (1, d, d) map (CLIP-style, eq. 3)
 *   cross-text   text queries over pixels, scattered back to pixels (eqs. 6-7)
 *   cross-pixel  pixel queries over text tokens, gated into the image features (LAVT / CRIS)
 */
import { ConcatHead, type ConcatHeadOptions } from './concat.js';
import { OuterHead, type OuterHeadOptions } from './outer.js';
import { CrossTextHead, type CrossTextHeadOptions } from './cross-text.js';
import { CrossPixelHead, type CrossPixelHeadOptions } from './cross-pixel.js';
import type { FusionDims, FusionHead } from './types.js';

export { FusionHead, checkFusionInput, type FusionInput, type FusionOutput, type FusionKind, type FusionDims } from './types.js';
export { ConcatHead, type ConcatHeadOptions } from './concat.js';
export { OuterHead, type OuterHeadOptions } from './outer.js';
export { CrossTextHead, type CrossTextHeadOptions } from './cross-text.js';
export { CrossPixelHead, coordinateGrid, type CrossPixelHeadOptions } from './cross-pixel.js';

/** A head's kind with its options. */
export type FusionConfig =
  | ({ kind: 'concat' } & ConcatHeadOptions)
  | ({ kind: 'outer' } & OuterHeadOptions)
  | ({ kind: 'cross-text' } & CrossTextHeadOptions)
  | ({ kind: 'cross-pixel' } & CrossPixelHeadOptions);

/** Builds the head a configuration names, for encoders of the given dimensions. */
export function createFusionHead(config: FusionConfig, dims: FusionDims): FusionHead {
  switch (config.kind) {
    case 'concat':
      return new ConcatHead(dims, config);
    case 'outer':
      return new OuterHead(dims, config);
    case 'cross-text':
      return new CrossTextHead(dims, config);
    case 'cross-pixel':
      return new CrossPixelHead(dims, config);
    default:
      throw new Error(`createFusionHead: unknown kind ${JSON.stringify((config as { kind: unknown }).kind)} (expected concat, outer, cross-text or cross-pixel)`);
  }
}
