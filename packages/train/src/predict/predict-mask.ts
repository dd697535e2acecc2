/**
 * The edit mask of one image and instruction from a trained MaskModel, Node-free: `pnpm predict`
 * and the page's Predict tab share it, so both give the same mask for the same input.
 * The image (decoded bytes) becomes planar floats in [0, 1], is resized to the model's input size
 * (bilinear) and ImageNet-normalised; the instruction is tokenized to the model's length; one
 * forward pass in eval mode without autograd gives the probabilities (sigmoid of the logits) at the
 * model's size, which are resized back to the image's size (bilinear) and thresholded (a pixel is
 * in the mask when its probability is strictly greater). Heads with attention also give each word
 * token's attention over the fusion map, and their mean.
 * Shape: image (H0, W0, C) bytes, text -> probabilities (H, W), mask (H0, W0).
 */
import { noGrad, sigmoid, tensor, tidy } from '@fusion/tensor';
import type { BertTokenizer, MaskModel } from '@fusion/models';
import { normalizeImageNet } from '../data/normalize.js';
import { toChwFloat, type DecodedImage } from '../data/pixels.js';
import { resizeBilinear } from '../data/resize.js';
import { wordAttention, wordTokenIndices } from '../loop/evaluate.js';
import type { AttentionMap } from '../report/types.js';

/** A trained model with what its inputs need. */
export interface MaskPredictor {
  model: MaskModel;
  tokenizer: BertTokenizer;
  /** Token sequence length the model was trained with. */
  maxTokens: number;
}

/** One word token of the instruction and its attention over the fusion map. */
export interface WordAttention {
  token: string;
  map: AttentionMap;
}

export interface MaskPrediction {
  /** Probabilities at the model's input size, row-major (modelHeight, modelWidth). */
  probabilities: Float32Array;
  modelWidth: number;
  modelHeight: number;
  /** Probabilities resized to the image's size (height, width). */
  imageProbabilities: Float32Array;
  /** 1 where imageProbabilities > threshold, else 0 (height, width). */
  mask: Uint8Array;
  width: number;
  height: number;
  threshold: number;
  /** Share of the image's pixels in the mask. */
  area: number;
  /** Word tokens and their attention maps (heads with attention only). */
  words?: WordAttention[];
  /** Mean of the word tokens' maps (heads with attention only). */
  meanAttention?: AttentionMap;
}

/** The study's mask threshold, the default of `pnpm predict` and the Predict tab. */
export const DEFAULT_MASK_THRESHOLD = 0.7;

/** Predicts the mask of `image` for the instruction `text`; throws on an empty instruction. */
export async function predictMask(p: MaskPredictor, image: DecodedImage, text: string, threshold = DEFAULT_MASK_THRESHOLD): Promise<MaskPrediction> {
  const instruction = text.trim();
  if (!instruction) throw new Error('predictMask: the instruction is empty');
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`predictMask: threshold must be in [0, 1], got ${threshold}`);
  const [H, W] = p.model.imageSize;
  const resized = resizeBilinear({ data: toChwFloat(image), channels: 3, width: image.width, height: image.height }, W, H);
  const normalized = normalizeImageNet(resized, W * H);
  const enc = p.tokenizer.encodeBatch([instruction], { maxLength: p.maxTokens, padding: 'max_length', truncation: true });
  const wasTraining = p.model.training;
  p.model.eval();
  let probabilities: Float32Array;
  let attention: { values: Float32Array; shape: readonly number[] } | null = null;
  try {
    const out = noGrad(() =>
      tidy(() => {
        const r = p.model.forward({
          images: tensor(normalized, [1, 3, H, W]),
          inputIds: tensor(enc.inputIds, [1, enc.length], 'i32'),
          attentionMask: tensor(enc.attentionMask, [1, enc.length], 'i32'),
          tokenTypeIds: tensor(enc.tokenTypeIds, [1, enc.length], 'i32'),
          returnAttention: true,
        });
        return { probs: sigmoid(r.logits), attention: r.attention };
      }),
    );
    probabilities = (await out.probs.toArray()) as Float32Array;
    if (out.attention) attention = { values: (await out.attention.toArray()) as Float32Array, shape: out.attention.shape };
    out.probs.dispose();
    out.attention?.dispose();
  } finally {
    p.model.train(wasTraining);
  }
  const imageProbabilities = resizeBilinear({ data: probabilities, channels: 1, width: W, height: H }, image.width, image.height);
  const mask = new Uint8Array(image.width * image.height);
  let on = 0;
  for (let i = 0; i < mask.length; i++) if (imageProbabilities[i] > threshold) (mask[i] = 1), on++;
  const prediction: MaskPrediction = {
    probabilities, modelWidth: W, modelHeight: H, imageProbabilities, mask, width: image.width, height: image.height, threshold, area: on / mask.length,
  };
  if (attention) {
    const [, L, h, w] = attention.shape;
    prediction.meanAttention = wordAttention(attention.values, attention.shape, enc.attentionMask, 0);
    prediction.words = wordTokenIndices(enc.attentionMask, L, 0).map((l) => ({
      token: p.tokenizer.idToToken(enc.inputIds[l]) ?? '?',
      map: { width: w, height: h, map: attention!.values.slice(l * h * w, (l + 1) * h * w) },
    }));
  }
  return prediction;
}
