/**
 * The fusion-head interface: every head takes the image encoder's feature map and pooled vector
 * and the text encoder's token states, pooled vector and padding mask, and returns the map the
 * CNN decoder starts from (plus, for the attention heads and on request, per-token attention
 * maps for the report's heatmaps). The text inputs are optional in the type only for the
 * `image-only` control, which reads none of them (MaskModel then does not run the text
 * encoder); every other head requires them (`checkFusionInput`).
 */
import { Module, type Tensor } from '@fusion/tensor';

/** The text encoder's outputs a head reads. */
export interface FusionTextInput {
  /** Text token states (B, L, Dt). */
  tokens: Tensor;
  /** Pooled text features (B, Dt). */
  pooledText: Tensor;
  /** 1 for tokens, 0 for padding (B, L), f32. */
  textMask: Tensor;
}

export interface FusionInput extends Partial<FusionTextInput> {
  /** Image feature map (B, Ci, h, w). */
  featureMap: Tensor;
  /** Pooled image features (B, Ci). */
  pooledImage: Tensor;
  /** Also return attention maps (attention heads only; default false). */
  returnAttention?: boolean;
}

export interface FusionOutput {
  /** The decoder's input (B, C, h', w'). */
  map: Tensor;
  /**
   * Attention probabilities averaged over heads, per token and pixel: (B, L, h, w), padded tokens
   * all 0; without autograd. Only when asked for, from the attention heads.
   */
  attention?: Tensor;
}

/** Every head kind: the study's four, then the controls of issue 9. */
export const HEAD_KINDS = ['concat', 'outer', 'cross-text', 'cross-pixel', 'concat-tiled', 'film', 'image-only', 'outer-patches'] as const;
export type FusionKind = (typeof HEAD_KINDS)[number];

/** What every head is built from: the encoders' sizes. */
export interface FusionDims {
  /** Channels of the image feature map (and of the pooled image vector). */
  imageChannels: number;
  /** Width of the text token states (and of the pooled text vector). */
  textDim: number;
  /** Spatial size of the image feature map [h, w]. */
  featureSize: readonly [number, number];
}

/** A fusion head (see the module comment). */
export abstract class FusionHead extends Module {
  abstract readonly kind: FusionKind;
  /** Channels of the output map. */
  abstract readonly outChannels: number;
  /** Spatial size of the output map. */
  abstract readonly outSize: readonly [number, number];
  /** Whether x, y coordinate channels join the feature map (always false for heads that pool it away). */
  abstract readonly coords: boolean;
  abstract forward(input: FusionInput): FusionOutput;
}

/** Checks the inputs (text included) against the head's dimensions; errors name the shapes. */
export function checkFusionInput(head: string, dims: FusionDims, x: FusionInput, spatial = true): asserts x is FusionInput & FusionTextInput {
  const { featureMap: f, pooledImage: pi, tokens: t, pooledText: pt, textMask: m } = x;
  if (!t || !pt || !m) throw new Error(`${head}: needs the text inputs (tokens, pooledText, textMask); got ${[t && 'tokens', pt && 'pooledText', m && 'textMask'].filter(Boolean).join(', ') || 'none'}`);
  const shapes = `featureMap [${f.shape.join(', ')}], pooledImage [${pi.shape.join(', ')}], tokens [${t.shape.join(', ')}], pooledText [${pt.shape.join(', ')}], textMask [${m.shape.join(', ')}]`;
  const B = f.shape[0];
  const [h, w] = dims.featureSize;
  const ok =
    f.rank === 4 && f.shape[1] === dims.imageChannels && (!spatial || (f.shape[2] === h && f.shape[3] === w)) &&
    pi.rank === 2 && pi.shape[0] === B && pi.shape[1] === dims.imageChannels &&
    t.rank === 3 && t.shape[0] === B && t.shape[2] === dims.textDim &&
    pt.rank === 2 && pt.shape[0] === B && pt.shape[1] === dims.textDim &&
    m.rank === 2 && m.shape[0] === B && m.shape[1] === t.shape[1] && m.dtype === 'f32';
  if (!ok) {
    throw new Error(`${head}: expected featureMap (B, ${dims.imageChannels}, ${spatial ? `${h}, ${w}` : 'h, w'}), pooledImage (B, ${dims.imageChannels}), tokens (B, L, ${dims.textDim}), pooledText (B, ${dims.textDim}), textMask (B, L) f32; got ${shapes}`);
  }
}

/** Checks the image inputs alone (heads that read no text); errors name the shapes. */
export function checkImageInput(head: string, dims: FusionDims, x: FusionInput): void {
  const { featureMap: f, pooledImage: pi } = x;
  const [h, w] = dims.featureSize;
  const ok = f.rank === 4 && f.shape[1] === dims.imageChannels && f.shape[2] === h && f.shape[3] === w && pi.rank === 2 && pi.shape[0] === f.shape[0] && pi.shape[1] === dims.imageChannels;
  if (!ok) throw new Error(`${head}: expected featureMap (B, ${dims.imageChannels}, ${h}, ${w}), pooledImage (B, ${dims.imageChannels}); got featureMap [${f.shape.join(', ')}], pooledImage [${pi.shape.join(', ')}]`);
}
