/**
 * Image-only control: the same model with the text branch cut. A 1x1 conv (a Linear per pixel)
 * maps each pixel's features (and, option `coords`, default on, its x, y coordinate channels) to
 * the decoder's width d; no text input is read. It shows how far a head gets without the
 * instruction. MaskModel does not run the text encoder for this head (its parameters stay in the
 * model, so checkpoints and weight loading are uniform, but get no gradient and do not require
 * grad; they are not this head's parameters).
 * Names: `image_proj` (Ci [+2] -> d).
 * Shape: featureMap (B, Ci, h, w) -> map (B, d, h, w)
 */
import { nn, tidy, type Generator } from '@fusion/tensor';
import { FusionHead, checkImageInput, type FusionDims, type FusionInput, type FusionOutput } from './types.js';
import { pixelsOf, mapOf, pixelLinear, coordChannels } from './heads-util.js';

export interface ImageOnlyHeadOptions {
  /** Channels of the output map (default 256). */
  dim?: number;
  /** Append x, y coordinate channels to each pixel (default true). */
  coords?: boolean;
  generator?: Generator;
}

export class ImageOnlyHead extends FusionHead {
  readonly kind = 'image-only' as const;
  readonly outChannels: number;
  readonly outSize: readonly [number, number];
  readonly coords: boolean;
  readonly image_proj: nn.Linear;

  constructor(readonly dims: FusionDims, options: ImageOnlyHeadOptions = {}) {
    super();
    this.outChannels = options.dim ?? 256;
    this.coords = options.coords ?? true;
    this.outSize = dims.featureSize;
    this.image_proj = this.module('image_proj', new nn.Linear(dims.imageChannels + coordChannels(this.coords), this.outChannels, { generator: options.generator }));
  }

  forward(input: FusionInput): FusionOutput {
    checkImageInput('ImageOnlyHead', this.dims, input);
    return tidy(() => {
      const [, , h, w] = input.featureMap.shape;
      return { map: mapOf(pixelLinear(this.image_proj, pixelsOf(input.featureMap), h, w, this.coords), h, w) };
    });
  }
}
