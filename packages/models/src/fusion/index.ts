/**
 * The fusion heads behind one interface (types.ts) and a factory from a configuration:
 *   concat         pooled vectors projected, concatenated, a Linear to a (C, h, w) map (eq. 5)
 *   outer          pooled vectors projected, outer product as a (1, d, d) map (CLIP-style, eq. 3)
 *   cross-text     text queries over pixels, scattered back to pixels (eqs. 6-7)
 *   cross-pixel    pixel queries over text tokens, gated into the image features (LAVT / CRIS)
 * and the controls of issue 9, which keep the map and do not attend:
 *   concat-tiled   projected pooled text tiled at every pixel, concatenated, 1x1 conv (Hu et al. 2016)
 *   film           pooled text gives a per-channel scale and shift of the map (Perez et al. 2018)
 *   image-only     the map through a 1x1 conv, no text at all
 *   outer-patches  eq. 3 per patch (pixel) with a learned positional embedding, products as channels
 * Specs (`cross-pixel.nocoords`), traits and one-width configurations: spec.ts.
 */
import { ConcatHead, type ConcatHeadOptions } from './concat.js';
import { OuterHead, type OuterHeadOptions } from './outer.js';
import { CrossTextHead, type CrossTextHeadOptions } from './cross-text.js';
import { CrossPixelHead, type CrossPixelHeadOptions } from './cross-pixel.js';
import { ConcatTiledHead, type ConcatTiledHeadOptions } from './concat-tiled.js';
import { FilmHead, type FilmHeadOptions } from './film.js';
import { ImageOnlyHead, type ImageOnlyHeadOptions } from './image-only.js';
import { OuterPatchesHead, type OuterPatchesHeadOptions } from './outer-patches.js';
import { HEAD_KINDS, type FusionDims, type FusionHead } from './types.js';

export {
  FusionHead, checkFusionInput, checkImageInput, HEAD_KINDS, type FusionInput, type FusionTextInput, type FusionOutput, type FusionKind, type FusionDims,
} from './types.js';
export { ConcatHead, type ConcatHeadOptions } from './concat.js';
export { OuterHead, type OuterHeadOptions } from './outer.js';
export { CrossTextHead, type CrossTextHeadOptions } from './cross-text.js';
export { CrossPixelHead, type CrossPixelHeadOptions } from './cross-pixel.js';
export { ConcatTiledHead, type ConcatTiledHeadOptions } from './concat-tiled.js';
export { FilmHead, type FilmHeadOptions } from './film.js';
export { ImageOnlyHead, type ImageOnlyHeadOptions } from './image-only.js';
export { OuterPatchesHead, type OuterPatchesHeadOptions } from './outer-patches.js';
export { coordinateGrid } from './heads-util.js';
export {
  parseHeadSpec, headId, headTraits, headSeesMap, headUsesText, fusionConfigFor, type HeadSpec, type HeadTraits, type HeadAttention, type HeadWidth,
} from './spec.js';

/** A head's kind with its options. */
export type FusionConfig =
  | ({ kind: 'concat' } & ConcatHeadOptions)
  | ({ kind: 'outer' } & OuterHeadOptions)
  | ({ kind: 'cross-text' } & CrossTextHeadOptions)
  | ({ kind: 'cross-pixel' } & CrossPixelHeadOptions)
  | ({ kind: 'concat-tiled' } & ConcatTiledHeadOptions)
  | ({ kind: 'film' } & FilmHeadOptions)
  | ({ kind: 'image-only' } & ImageOnlyHeadOptions)
  | ({ kind: 'outer-patches' } & OuterPatchesHeadOptions);

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
    case 'concat-tiled':
      return new ConcatTiledHead(dims, config);
    case 'film':
      return new FilmHead(dims, config);
    case 'image-only':
      return new ImageOnlyHead(dims, config);
    case 'outer-patches':
      return new OuterPatchesHead(dims, config);
    default:
      throw new Error(`createFusionHead: unknown kind ${JSON.stringify((config as { kind: unknown }).kind)} (expected one of ${HEAD_KINDS.join(', ')})`);
  }
}
