/**
 * FiLM fusion (a control; Perez et al. 2018): the pooled text predicts a per-channel scale and
 * shift of the image feature map. The map is first brought to the decoder's width d by a 1x1 conv
 * (a Linear per pixel) over each pixel's features (and, option `coords`, default on, its x, y
 * coordinate channels); then
 *   out_p = (1 + gamma(t)) * image_proj([F_p, x_p, y_p]) + beta(t),  gamma = scale(t), beta = shift(t)
 * with t the pooled text vector. The scale is written 1 + gamma (as FiLM implementations do) so
 * that, with gamma's Linear at its ordinary small random initialisation, the modulation starts
 * near the identity: the image features pass about unchanged and the text moves them from the
 * first step (gamma and beta are not zero-initialised, so the text path is never silent).
 * It keeps the spatial map and does not attend. No nonlinearity (the decoder starts with conv +
 * BatchNorm + ReLU).
 * Names: `image_proj` (Ci [+2] -> d), `scale`, `shift` (Dt -> d).
 * Shape: featureMap (B, Ci, h, w), pooledText (B, Dt) -> map (B, d, h, w)
 */
import { nn, tidy, add, mul, reshape, type Generator } from '@fusion/tensor';
import { FusionHead, checkFusionInput, type FusionDims, type FusionInput, type FusionOutput } from './types.js';
import { pixelsOf, mapOf, pixelLinear, coordChannels } from './heads-util.js';

export interface FilmHeadOptions {
  /** Channels of the modulated map (default 256). */
  dim?: number;
  /** Append x, y coordinate channels to each pixel (default true). */
  coords?: boolean;
  generator?: Generator;
}

export class FilmHead extends FusionHead {
  readonly kind = 'film' as const;
  readonly outChannels: number;
  readonly outSize: readonly [number, number];
  readonly coords: boolean;
  readonly image_proj: nn.Linear;
  readonly scale: nn.Linear;
  readonly shift: nn.Linear;

  constructor(readonly dims: FusionDims, options: FilmHeadOptions = {}) {
    super();
    const g = options.generator;
    const dim = (this.outChannels = options.dim ?? 256);
    this.coords = options.coords ?? true;
    this.outSize = dims.featureSize;
    this.image_proj = this.module('image_proj', new nn.Linear(dims.imageChannels + coordChannels(this.coords), dim, { generator: g }));
    this.scale = this.module('scale', new nn.Linear(dims.textDim, dim, { generator: g }));
    this.shift = this.module('shift', new nn.Linear(dims.textDim, dim, { generator: g }));
  }

  forward(input: FusionInput): FusionOutput {
    checkFusionInput('FilmHead', this.dims, input);
    return tidy(() => {
      const [B, , h, w] = input.featureMap.shape;
      const features = pixelLinear(this.image_proj, pixelsOf(input.featureMap), h, w, this.coords); // (B, P, d)
      const perSample = (t: nn.Linear) => reshape(t.forward(input.pooledText), [B, 1, this.outChannels]);
      const modulated = add(mul(features, add(perSample(this.scale), 1)), perSample(this.shift));
      return { map: mapOf(modulated, h, w) };
    });
  }
}
