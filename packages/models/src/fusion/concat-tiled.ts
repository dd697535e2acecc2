/**
 * Concat-tiled fusion (a control; the referring-segmentation baseline of Hu et al. 2016): the
 * pooled text vector, projected to d, is tiled at every pixel of the image feature map and
 * concatenated channel-wise with the pixel's features (and, option `coords`, default on, its x, y
 * coordinate channels), then a 1x1 conv (a Linear per pixel) maps the Ci [+2] + d channels to d:
 *   out_p = fuse([F_p, x_p, y_p, text_proj(t)])
 * It keeps the spatial map and does not attend. As in concat (eq. 5), no nonlinearity before the
 * decoder, whose first block is conv + BatchNorm + ReLU. The tiling is not materialised: the text
 * columns of `fuse` multiply the text vector once per sample and the product is broadcast over
 * the pixels (the same numbers as concatenating the tiled copy).
 * Names: `text_proj` (Dt -> d), `fuse` (Ci [+2] + d -> d; weight columns: features, x, y, text).
 * Shape: featureMap (B, Ci, h, w), pooledText (B, Dt) -> map (B, d, h, w)
 */
import { nn, tidy, add, matmul, reshape, slice, transpose, type Generator } from '@fusion/tensor';
import { FusionHead, checkFusionInput, type FusionDims, type FusionInput, type FusionOutput } from './types.js';
import { pixelsOf, mapOf, pixelLinear, coordChannels } from './heads-util.js';

export interface ConcatTiledHeadOptions {
  /** Width of the text projection and of the output map (default 256). */
  dim?: number;
  /** Append x, y coordinate channels to each pixel (default true). */
  coords?: boolean;
  generator?: Generator;
}

export class ConcatTiledHead extends FusionHead {
  readonly kind = 'concat-tiled' as const;
  readonly outChannels: number;
  readonly outSize: readonly [number, number];
  readonly coords: boolean;
  readonly text_proj: nn.Linear;
  readonly fuse: nn.Linear;

  constructor(readonly dims: FusionDims, options: ConcatTiledHeadOptions = {}) {
    super();
    const g = options.generator;
    const dim = (this.outChannels = options.dim ?? 256);
    this.coords = options.coords ?? true;
    this.outSize = dims.featureSize;
    this.text_proj = this.module('text_proj', new nn.Linear(dims.textDim, dim, { generator: g }));
    this.fuse = this.module('fuse', new nn.Linear(dims.imageChannels + coordChannels(this.coords) + dim, dim, { generator: g }));
  }

  forward(input: FusionInput): FusionOutput {
    checkFusionInput('ConcatTiledHead', this.dims, input);
    return tidy(() => {
      const [B, , h, w] = input.featureMap.shape;
      const fromPixels = pixelLinear(this.fuse, pixelsOf(input.featureMap), h, w, this.coords); // (B, P, d)
      const textColumns = slice(this.fuse.weight, 1, this.dims.imageChannels + coordChannels(this.coords));
      const fromText = matmul(this.text_proj.forward(input.pooledText), transpose(textColumns)); // (B, d)
      return { map: mapOf(add(fromPixels, reshape(fromText, [B, 1, this.outChannels])), h, w) };
    });
  }
}
