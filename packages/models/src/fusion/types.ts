/**
 * The fusion-head interface: every head takes the image encoder's feature map and pooled vector
 * and the text encoder's token states, pooled vector and padding mask, and returns the map the
 * CNN decoder starts from (plus, for the attention heads and on request, per-token attention
 * maps for the report's heatmaps).
 */
import { Module, type Tensor } from '@fusion/tensor';

export interface FusionInput {
  /** Image feature map (B, Ci, h, w). */
  featureMap: Tensor;
  /** Pooled image features (B, Ci). */
  pooledImage: Tensor;
  /** Text token states (B, L, Dt). */
  tokens: Tensor;
  /** Pooled text features (B, Dt). */
  pooledText: Tensor;
  /** 1 for tokens, 0 for padding (B, L), f32. */
  textMask: Tensor;
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

export type FusionKind = 'concat' | 'outer' | 'cross-text' | 'cross-pixel';

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
  abstract forward(input: FusionInput): FusionOutput;
}

/** Checks the inputs against the head's dimensions; errors name the shapes. */
export function checkFusionInput(head: string, dims: FusionDims, x: FusionInput, spatial = true): void {
  const { featureMap: f, pooledImage: pi, tokens: t, pooledText: pt, textMask: m } = x;
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
