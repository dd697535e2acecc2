/**
 * Evaluation of a MaskModel on a fixed set: metrics of the model and the baselines (one pass,
 * eval mode, no autograd; split by instruction kind, and by seen / unseen (also per kind) when the
 * samples carry a holdout label), and the predictions of a few examples for the report (probabilities
 * and, for attention heads, the mean attention between each pixel of the fusion map and the
 * instruction's word tokens: [CLS], [SEP] and padding excluded).
 */
import { noGrad, tidy, sigmoid } from '@fusion/tensor';
import type { MaskModel, BertTokenizer } from '@fusion/models';
import type { Sample } from '../data/types.js';
import { SegmentationMetrics, type EvalMetrics } from '../metrics/index.js';
import type { AttentionMap } from '../report/types.js';
import { holdoutKindLabel } from '../report/holdout.js';
import { batchTensors, disposeBatch } from './batch-tensors.js';

export interface EvalContext {
  tokenizer: BertTokenizer;
  maxTokens: number;
  batch: number;
}

/** Metrics of the model (and baselines, given the prior) over `samples`. */
export async function evaluate(model: MaskModel, samples: readonly Sample[], ctx: EvalContext, prior?: Float32Array): Promise<EvalMetrics> {
  if (samples.length === 0) throw new Error('evaluate: no samples');
  const wasTraining = model.training;
  model.eval();
  const metrics = new SegmentationMetrics({ pixelsPerSample: samples[0].width * samples[0].height, prior });
  // seen / unseen, and the same per instruction kind (for the kind-matched comparison, report/holdout.ts)
  const split = samples.some((s) => s.holdout) ? new SegmentationMetrics({ pixelsPerSample: samples[0].width * samples[0].height }) : undefined;
  const splitByKind = split ? new SegmentationMetrics({ pixelsPerSample: samples[0].width * samples[0].height }) : undefined;
  try {
    for (let i = 0; i < samples.length; i += ctx.batch) {
      const chunk = samples.slice(i, i + ctx.batch);
      const b = batchTensors(chunk, ctx.tokenizer, ctx.maxTokens);
      const logits = noGrad(() => model.forward({ images: b.images, inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds }).logits);
      const values = (await logits.toArray()) as Float32Array;
      logits.dispose();
      metrics.add({ logits: values, masks: b.hostMasks, labels: b.kinds });
      split?.add({ logits: values, masks: b.hostMasks, labels: chunk.map((s) => s.holdout) });
      splitByKind?.add({ logits: values, masks: b.hostMasks, labels: chunk.map((s) => (s.holdout && s.kind ? holdoutKindLabel(s.holdout, s.kind) : undefined)) });
      disposeBatch(b);
    }
  } finally {
    model.train(wasTraining);
  }
  const result = metrics.result();
  if (split && splitByKind) {
    const held = split.result().model;
    const byKind = splitByKind.result().model;
    result.holdout = {
      '0.5': { ...held['0.5'].byLabel, ...byKind['0.5'].byLabel },
      '0.7': { ...held['0.7'].byLabel, ...byKind['0.7'].byLabel },
    };
  }
  return result;
}

export interface ExamplePrediction {
  probabilities: Float32Array;
  attention?: AttentionMap;
}

/** Probabilities (and attention maps when the head has them) for each sample. */
export async function predictExamples(model: MaskModel, samples: readonly Sample[], ctx: EvalContext): Promise<ExamplePrediction[]> {
  const wasTraining = model.training;
  model.eval();
  const out: ExamplePrediction[] = [];
  try {
    for (let i = 0; i < samples.length; i += ctx.batch) {
      const chunk = samples.slice(i, i + ctx.batch);
      const b = batchTensors(chunk, ctx.tokenizer, ctx.maxTokens);
      const { probs, attention } = noGrad(() =>
        tidy(() => {
          const r = model.forward({ images: b.images, inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds, returnAttention: true });
          return { probs: sigmoid(r.logits), attention: r.attention };
        }),
      );
      const p = (await probs.toArray()) as Float32Array;
      const a = attention ? ((await attention.toArray()) as Float32Array) : null;
      const maskHost = (await b.attentionMask.toArray()) as Int32Array;
      const hw = b.height * b.width;
      chunk.forEach((_, k) => {
        const pred: ExamplePrediction = { probabilities: p.slice(k * hw, (k + 1) * hw) };
        if (a && attention) pred.attention = wordAttention(a, attention.shape, maskHost, k);
        out.push(pred);
      });
      probs.dispose();
      attention?.dispose();
      disposeBatch(b);
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/** The word tokens of a row: mask 1, not the first ([CLS]) nor the last real one ([SEP]) (all real ones when there are 2 or fewer). */
export function wordTokenIndices(tokenMask: ArrayLike<number>, length: number, sample: number): number[] {
  const real: number[] = [];
  for (let l = 0; l < length; l++) if (tokenMask[sample * length + l]) real.push(l);
  return real.length > 2 ? real.slice(1, -1) : real;
}

/** Mean over word tokens (`wordTokenIndices`) of one sample's (L, h, w) maps; `shape` is the attention's (B, L, h, w). */
export function wordAttention(all: Float32Array, shape: readonly number[], tokenMask: Int32Array, sample: number): AttentionMap {
  const [, L, h, w] = shape;
  const map = new Float32Array(h * w);
  const words = wordTokenIndices(tokenMask, L, sample);
  for (const l of words) {
    const base = ((sample * L + l) * h) * w;
    for (let i = 0; i < h * w; i++) map[i] += all[base + i] / words.length;
  }
  return { width: w, height: h, map };
}
