/**
 * Host samples to the model's GPU inputs: normalised images (B, 3, H, W), masks (B, 1, H, W),
 * and the tokenized instructions (input ids, attention mask, token types; (B, L) i32).
 */
import { tensor, type Tensor } from '@fusion/tensor';
import type { BertTokenizer } from '@fusion/models';
import { toBatch } from '../data/batch.js';
import type { Sample, InstructionKind } from '../data/types.js';

export interface BatchTensors {
  images: Tensor;
  masks: Tensor;
  inputIds: Tensor;
  attentionMask: Tensor;
  tokenTypeIds: Tensor;
  /** Host copies the metrics need. */
  hostMasks: Float32Array;
  kinds: (InstructionKind | undefined)[];
  size: number;
  height: number;
  width: number;
}

export function batchTensors(samples: readonly Sample[], tokenizer: BertTokenizer, maxTokens: number): BatchTensors {
  const b = toBatch(samples);
  const enc = tokenizer.encodeBatch(b.instructions, { maxLength: maxTokens, padding: 'max_length', truncation: true });
  return {
    images: tensor(b.images, [b.batchSize, 3, b.height, b.width]),
    masks: tensor(b.masks, [b.batchSize, 1, b.height, b.width]),
    inputIds: tensor(enc.inputIds, [enc.batch, enc.length], 'i32'),
    attentionMask: tensor(enc.attentionMask, [enc.batch, enc.length], 'i32'),
    tokenTypeIds: tensor(enc.tokenTypeIds, [enc.batch, enc.length], 'i32'),
    hostMasks: b.masks,
    kinds: b.kinds,
    size: b.batchSize,
    height: b.height,
    width: b.width,
  };
}

export function disposeBatch(b: BatchTensors): void {
  for (const t of [b.images, b.masks, b.inputIds, b.attentionMask, b.tokenTypeIds]) t.dispose();
}
