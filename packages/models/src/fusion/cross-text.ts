/**
 * Cross-attention with text queries (the seed's eqs. 6-7): queries from the text tokens, keys and
 * values from the image feature map's pixels, multi-head scaled dot-product attention through the
 * fused `attention` kernel, giving per token O = softmax(Q K^T / sqrt(dh)) V: (B, L, d).
 *
 * How this reaches the spatial decoder (the seed leaves it open): each token's attended vector is
 * scattered back to the pixels through the same attention weights. With A (per head, L x P) the
 * softmax over pixels of each text query, pixel p receives sum_l A[l, p] O[l], i.e. A^T O, per
 * head; heads are merged and an output projection (Linear d -> d, per pixel) gives the map
 * (B, d, h, w). A is computed a second time, differentiably, from the same projections (matmul +
 * softmax over h*w); padded tokens (textMask 0) scatter nothing (their rows of A are zeroed).
 * So a pixel's feature is what the sentence, read through the pixels each word looks at, says
 * about that pixel; pixels no word attends to get only the output projection's bias.
 *
 * Option `coords` (default on, as every map-seeing head): the keys and values read each pixel's
 * features with its x, y coordinate channels appended (heads-util.ts).
 *
 * Names: `query` (Dt -> d), `key`, `value` (Ci [+2] -> d), `out_proj` (d -> d).
 * Shape: featureMap (B, Ci, h, w), tokens (B, L, Dt), textMask (B, L) -> map (B, d, h, w);
 *        attention (B, L, h, w) on request (A averaged over heads, padded tokens 0).
 */
import { nn, tidy, noGrad, attention, matmul, softmax, mul, mean, reshape, transpose, type Generator } from '@fusion/tensor';
import { FusionHead, checkFusionInput, type FusionDims, type FusionInput, type FusionOutput } from './types.js';
import { pixelsOf, mapOf, splitHeads, mergeHeads, checkHeads, pixelLinear, coordChannels } from './heads-util.js';

export interface CrossTextHeadOptions {
  /** Attention width d (split over heads) = the output map's channels (default 256). */
  dim?: number;
  /** Attention heads (default 8). */
  heads?: number;
  /** Append x, y coordinate channels to the keys' and values' input (default true). */
  coords?: boolean;
  generator?: Generator;
}

export class CrossTextHead extends FusionHead {
  readonly kind = 'cross-text' as const;
  readonly outChannels: number;
  readonly outSize: readonly [number, number];
  readonly heads: number;
  readonly coords: boolean;
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  readonly out_proj: nn.Linear;

  constructor(readonly dims: FusionDims, options: CrossTextHeadOptions = {}) {
    super();
    const g = options.generator;
    const dim = (this.outChannels = options.dim ?? 256);
    this.heads = options.heads ?? 8;
    checkHeads('CrossTextHead', dim, this.heads);
    this.coords = options.coords ?? true;
    this.outSize = dims.featureSize;
    const pixelWidth = dims.imageChannels + coordChannels(this.coords);
    this.query = this.module('query', new nn.Linear(dims.textDim, dim, { generator: g }));
    this.key = this.module('key', new nn.Linear(pixelWidth, dim, { generator: g }));
    this.value = this.module('value', new nn.Linear(pixelWidth, dim, { generator: g }));
    this.out_proj = this.module('out_proj', new nn.Linear(dim, dim, { generator: g }));
  }

  forward(input: FusionInput): FusionOutput {
    checkFusionInput('CrossTextHead', this.dims, input);
    return tidy(() => {
      const [B, , h, w] = input.featureMap.shape;
      const L = input.tokens.shape[1];
      const pixels = pixelsOf(input.featureMap);
      const q = splitHeads(this.query.forward(input.tokens), this.heads);
      const k = splitHeads(pixelLinear(this.key, pixels, h, w, this.coords), this.heads);
      const v = splitHeads(pixelLinear(this.value, pixels, h, w, this.coords), this.heads);
      const scale = 1 / Math.sqrt(q.shape[3]);
      const attended = attention(q, k, v, { scale }); // (B, H, L, dh)
      const probs = softmax(mul(matmul(q, transpose(k)), scale), -1); // (B, H, L, P), over pixels
      const weights = mul(probs, reshape(input.textMask, [B, 1, L, 1]));
      const scattered = mergeHeads(matmul(transpose(weights), attended)); // (B, P, d)
      const out: FusionOutput = { map: mapOf(this.out_proj.forward(scattered), h, w) };
      if (input.returnAttention) out.attention = noGrad(() => reshape(mean(weights, 1), [B, L, h, w]));
      return out;
    });
  }
}
