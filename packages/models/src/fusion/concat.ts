/**
 * Concat fusion (the study's eq. 5): the pooled image and pooled text vectors are each projected
 * to d (Linear), concatenated (2d), and a Linear maps them to C * h * w values reshaped to the
 * decoder's input map (B, C, h, w). No nonlinearity between the projections and the fuse layer,
 * as the equation states (the decoder's first block starts with conv + BatchNorm + ReLU).
 * Names: `image_proj`, `text_proj`, `fuse` (each `.weight`, `.bias`).
 * Shape: pooledImage (B, Ci), pooledText (B, Dt) -> map (B, C, h, w)
 */
import { nn, tidy, concat, reshape, type Generator } from '@fusion/tensor';
import { FusionHead, checkFusionInput, type FusionDims, type FusionInput, type FusionOutput } from './types.js';

export interface ConcatHeadOptions {
  /** Width of each projection (default 256). */
  dim?: number;
  /** Channels of the output map (default 256). */
  channels?: number;
  /** Spatial size of the output map (default: the feature map's). */
  outSize?: readonly [number, number];
  generator?: Generator;
}

export class ConcatHead extends FusionHead {
  readonly kind = 'concat' as const;
  readonly outChannels: number;
  readonly outSize: readonly [number, number];
  /** Pools the map away: no coordinate channels. */
  readonly coords = false;
  readonly dim: number;
  readonly image_proj: nn.Linear;
  readonly text_proj: nn.Linear;
  readonly fuse: nn.Linear;

  constructor(readonly dims: FusionDims, options: ConcatHeadOptions = {}) {
    super();
    const g = options.generator;
    this.dim = options.dim ?? 256;
    this.outChannels = options.channels ?? 256;
    this.outSize = options.outSize ?? dims.featureSize;
    const [h, w] = this.outSize;
    this.image_proj = this.module('image_proj', new nn.Linear(dims.imageChannels, this.dim, { generator: g }));
    this.text_proj = this.module('text_proj', new nn.Linear(dims.textDim, this.dim, { generator: g }));
    this.fuse = this.module('fuse', new nn.Linear(2 * this.dim, this.outChannels * h * w, { generator: g }));
  }

  forward(input: FusionInput): FusionOutput {
    checkFusionInput('ConcatHead', this.dims, input, false);
    return tidy(() => {
      const z = concat([this.image_proj.forward(input.pooledImage), this.text_proj.forward(input.pooledText)], -1);
      const [h, w] = this.outSize;
      return { map: reshape(this.fuse.forward(z), [z.shape[0], this.outChannels, h, w]) };
    });
  }
}
