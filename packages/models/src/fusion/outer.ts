/**
 * Outer-product fusion (CLIP-style, eq. 3): the pooled image and pooled text vectors are each
 * projected to d (Linear), E_I and E_T, and their outer product E_I (x) E_T (B, d, d) is the
 * decoder's input as a 1-channel map (B, 1, d, d). d defaults to the feature map's height, so the
 * decoder sees the same spatial size as with the other heads (for a square feature map).
 * Names: `image_proj`, `text_proj`.
 * Shape: pooledImage (B, Ci), pooledText (B, Dt) -> map (B, 1, d, d)
 */
import { nn, tidy, outer, unsqueeze, type Generator } from '@fusion/tensor';
import { FusionHead, checkFusionInput, type FusionDims, type FusionInput, type FusionOutput } from './types.js';

export interface OuterHeadOptions {
  /** Projection width d = the output map's side (default: the feature map's height). */
  dim?: number;
  generator?: Generator;
}

export class OuterHead extends FusionHead {
  readonly kind = 'outer' as const;
  readonly outChannels = 1;
  readonly outSize: readonly [number, number];
  /** Pools the map away: no coordinate channels. */
  readonly coords = false;
  readonly dim: number;
  readonly image_proj: nn.Linear;
  readonly text_proj: nn.Linear;

  constructor(readonly dims: FusionDims, options: OuterHeadOptions = {}) {
    super();
    this.dim = options.dim ?? dims.featureSize[0];
    this.outSize = [this.dim, this.dim];
    this.image_proj = this.module('image_proj', new nn.Linear(dims.imageChannels, this.dim, { generator: options.generator }));
    this.text_proj = this.module('text_proj', new nn.Linear(dims.textDim, this.dim, { generator: options.generator }));
  }

  forward(input: FusionInput): FusionOutput {
    checkFusionInput('OuterHead', this.dims, input, false);
    return tidy(() => ({ map: unsqueeze(outer(this.image_proj.forward(input.pooledImage), this.text_proj.forward(input.pooledText)), 1) }));
  }
}
