/**
 * Cross-attention with pixel queries (beyond the seed, as LAVT / CRIS): queries from the image
 * feature map's pixels (optionally with the x, y coordinate channels of heads-util.ts appended,
 * option `coords`, default on),
 * keys and values from the text tokens with the padding mask, multi-head attention through the
 * fused `attention` kernel, an output projection, and a gated residual into the image features:
 *   F' = image_proj(F) + tanh(gate) * out_proj(attention(Q(F), K(T), V(T)))
 * The gate is one learned scalar. Initialised at 0 it would silence the attention branch and
 * the branch's parameters would get no gradient until the gate moved; it starts at `gateInit`
 * (default 0.1, tanh(0.1) ~ 0.1): the branch contributes a little from the first step and
 * every parameter learns from it.
 *
 * Names: `query` (Ci [+2] -> d), `key`, `value` (Dt -> d), `out_proj` (d -> d),
 * `image_proj` (Ci -> d), `gate` (a scalar).
 * Shape: featureMap (B, Ci, h, w), tokens (B, L, Dt), textMask (B, L) -> map (B, d, h, w);
 *        attention (B, L, h, w) on request (each pixel's distribution over tokens, averaged over
 *        heads; padded tokens 0).
 */
import { nn, tidy, noGrad, attention, attentionWeights, add, mul, tanh, mean, permute, reshape, full, type Tensor, type Generator } from '@fusion/tensor';
import { FusionHead, checkFusionInput, type FusionDims, type FusionInput, type FusionOutput } from './types.js';
import { pixelsOf, mapOf, splitHeads, mergeHeads, checkHeads, pixelLinear, coordChannels } from './heads-util.js';

export interface CrossPixelHeadOptions {
  /** Attention width d (split over heads) = the output map's channels (default 256). */
  dim?: number;
  /** Attention heads (default 8). */
  heads?: number;
  /** Append x, y coordinate channels to the queries' input (default true). */
  coords?: boolean;
  /** Initial value of the gate (default 0.1; see the module comment). */
  gateInit?: number;
  generator?: Generator;
}

export class CrossPixelHead extends FusionHead {
  readonly kind = 'cross-pixel' as const;
  readonly outChannels: number;
  readonly outSize: readonly [number, number];
  readonly heads: number;
  readonly coords: boolean;
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  readonly out_proj: nn.Linear;
  readonly image_proj: nn.Linear;
  readonly gate: Tensor;

  constructor(readonly dims: FusionDims, options: CrossPixelHeadOptions = {}) {
    super();
    const g = options.generator;
    const dim = (this.outChannels = options.dim ?? 256);
    this.heads = options.heads ?? 8;
    checkHeads('CrossPixelHead', dim, this.heads);
    this.coords = options.coords ?? true;
    this.outSize = dims.featureSize;
    this.query = this.module('query', new nn.Linear(dims.imageChannels + coordChannels(this.coords), dim, { generator: g }));
    this.key = this.module('key', new nn.Linear(dims.textDim, dim, { generator: g }));
    this.value = this.module('value', new nn.Linear(dims.textDim, dim, { generator: g }));
    this.out_proj = this.module('out_proj', new nn.Linear(dim, dim, { generator: g }));
    this.image_proj = this.module('image_proj', new nn.Linear(dims.imageChannels, dim, { generator: g }));
    this.gate = this.param('gate', full([], options.gateInit ?? 0.1));
  }

  forward(input: FusionInput): FusionOutput {
    checkFusionInput('CrossPixelHead', this.dims, input);
    return tidy(() => {
      const [B, , h, w] = input.featureMap.shape;
      const L = input.tokens.shape[1];
      const pixels = pixelsOf(input.featureMap); // (B, P, Ci), a view of the feature map
      const q = splitHeads(pixelLinear(this.query, pixels, h, w, this.coords), this.heads);
      const k = splitHeads(this.key.forward(input.tokens), this.heads);
      const v = splitHeads(this.value.forward(input.tokens), this.heads);
      const scale = 1 / Math.sqrt(q.shape[3]);
      const attended = this.out_proj.forward(mergeHeads(attention(q, k, v, { keyPaddingMask: input.textMask, scale })));
      const fused = add(this.image_proj.forward(pixels), mul(tanh(this.gate), attended));
      const out: FusionOutput = { map: mapOf(fused, h, w) };
      if (input.returnAttention) {
        out.attention = noGrad(() => {
          const probs = attentionWeights(q, k, { keyPaddingMask: input.textMask, scale }); // (B, H, P, L)
          return reshape(permute(mean(probs, 1), [0, 2, 1]), [B, L, h, w]);
        });
      }
      return out;
    });
  }
}
