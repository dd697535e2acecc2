/**
 * Outer product per patch (a control; the seed's own proposed fix: "adding patches and positional
 * embeddings to images before applying the outer product"). Eq. 3 (`outer`) takes E_I (x) E_T of
 * the projected pooled vectors as a 1-channel d x d map. Here the same product is taken once per
 * patch of the feature map: patch p's features (and, option `coords`, default on, its x, y
 * coordinate channels) are projected to a, a learned positional embedding is added, and the
 * outer product with the projected pooled text E_T (b values) gives an a x b matrix, laid out as
 * the a * b = d channels of the map at that patch (channel i * b + j = E_p[i] E_T[j]):
 *   E_p = image_proj([F_p, x_p, y_p]) + position_p,   out_p = vec(E_p (x) E_T)
 * through the same batched `outer` op as eq. 3, on B * h * w rows.
 *
 * Patch size: one feature-map pixel. Each pixel of the ResNet's map already summarises an image
 * patch (its stride: 4 x 4 image pixels in the tiny preset, 32 x 32 at 512 in the seed preset),
 * so it is the ViT-style patch at the map's own resolution; larger patches (2 x 2 of the 8 x 8
 * map) would halve the resolution the decoder starts from, and position needs >= 8 x 8 (see the
 * tiny preset). It keeps the spatial map and does not attend; no residual image path (the image
 * reaches the decoder only multiplied by the text).
 * a defaults to the largest divisor of d not above sqrt(d) (16 x 16 for d = 256, 4 x 8 for 32).
 * The positional embedding starts at N(0, 0.02) (ViT's), small beside the projected features.
 * Names: `image_proj` (Ci [+2] -> a), `position` (h*w, a), `text_proj` (Dt -> b).
 * Shape: featureMap (B, Ci, h, w), pooledText (B, Dt) -> map (B, a*b, h, w)
 */
import { nn, tidy, add, outer, expand, reshape, type Generator, type Tensor } from '@fusion/tensor';
import { FusionHead, checkFusionInput, type FusionDims, type FusionInput, type FusionOutput } from './types.js';
import { pixelsOf, mapOf, pixelLinear, coordChannels } from './heads-util.js';

export interface OuterPatchesHeadOptions {
  /** Channels of the output map, a * b (default 256). */
  dim?: number;
  /** a, the image side of each patch's product; must divide dim (default: see the module comment). */
  imageDim?: number;
  /** Append x, y coordinate channels to each patch (default true). */
  coords?: boolean;
  generator?: Generator;
}

/** The largest divisor of n not above sqrt(n). */
function squarestDivisor(n: number): number {
  for (let a = Math.floor(Math.sqrt(n)); a > 1; a--) if (n % a === 0) return a;
  return 1;
}

export class OuterPatchesHead extends FusionHead {
  readonly kind = 'outer-patches' as const;
  readonly outChannels: number;
  readonly outSize: readonly [number, number];
  readonly coords: boolean;
  /** a and b: the product's sides. */
  readonly imageDim: number;
  readonly textDim: number;
  readonly image_proj: nn.Linear;
  readonly position: Tensor;
  readonly text_proj: nn.Linear;

  constructor(readonly dims: FusionDims, options: OuterPatchesHeadOptions = {}) {
    super();
    const g = options.generator;
    const dim = (this.outChannels = options.dim ?? 256);
    this.imageDim = options.imageDim ?? squarestDivisor(dim);
    if (!Number.isInteger(dim) || !Number.isInteger(this.imageDim) || dim < 1 || this.imageDim < 1 || dim % this.imageDim !== 0) {
      throw new Error(`OuterPatchesHead: imageDim ${this.imageDim} must be a positive divisor of dim ${dim}`);
    }
    this.textDim = dim / this.imageDim;
    this.coords = options.coords ?? true;
    this.outSize = dims.featureSize;
    const [h, w] = dims.featureSize;
    this.image_proj = this.module('image_proj', new nn.Linear(dims.imageChannels + coordChannels(this.coords), this.imageDim, { generator: g }));
    this.position = this.param('position', nn.init.normalInit([h * w, this.imageDim], 0.02, g));
    this.text_proj = this.module('text_proj', new nn.Linear(dims.textDim, this.textDim, { generator: g }));
  }

  forward(input: FusionInput): FusionOutput {
    checkFusionInput('OuterPatchesHead', this.dims, input);
    return tidy(() => {
      const [B, , h, w] = input.featureMap.shape;
      const P = h * w;
      const patches = add(pixelLinear(this.image_proj, pixelsOf(input.featureMap), h, w, this.coords), this.position); // (B, P, a)
      const text = expand(reshape(this.text_proj.forward(input.pooledText), [B, 1, this.textDim]), [B, P, this.textDim]);
      const products = outer(reshape(patches, [B * P, this.imageDim]), reshape(text, [B * P, this.textDim])); // (B*P, a, b)
      return { map: mapOf(reshape(products, [B, P, this.outChannels]), h, w) };
    });
  }
}
