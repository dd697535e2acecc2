/**
 * Trains and evaluates one fusion head: Adam on BCE-with-logits (optionally with a positive-pixel
 * weight, and a cosine learning-rate decay over the planned steps), validation after every epoch,
 * the weights of the best validation epoch kept (`select`: lowest validation BCE, or highest mean
 * IoU at threshold 0.5 with ties broken by BCE), optional early stopping on the same criterion
 * (`patience` > 0; 0 trains every epoch, so every head sees the same samples), a checkpoint
 * after every epoch (and when interrupted), and the final metrics of the best weights on the
 * evaluation set. Deterministic: the same seed gives the same losses, and a resumed run continues
 * exactly where the checkpoint left it (data is a function of the step; weights, optimizer
 * moments, BatchNorm statistics and the dropout generator are restored).
 *
 * Files in `dir`: model.json (the config `pnpm predict` rebuilds the model from), train.jsonl
 * (every step's loss), best.safetensors, checkpoints/, result.json (when finished).
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam, concat, getDefaultGenerator, manualSeed, reshape, runtime, tidy, writeSafetensorsFile,
  type GeneratorState, type Tensor,
} from '@fusion/tensor';
import { MaskModel, headTraits, loadBertWeights, loadResNetWeights, type BertTokenizer, type MaskModelConfig } from '@fusion/models';
import type { Sample } from '../data/index.js';
import type { EvalMetrics } from '../metrics/index.js';
import type { FusionResult } from '../report/index.js';
import { batchTensors, disposeBatch } from './batch-tensors.js';
import { saveCheckpoint, latestCheckpoint, loadCheckpoint, writeJsonAtomic, hostTensors, loadWeights } from './checkpoint.js';
import { evaluate, predictExamples, type ExamplePrediction } from './evaluate.js';
import { Progress } from './progress.js';
import type { DataSource } from './data-source.js';
import { learningRateAt, trainStep } from './step.js';

export interface TrainFusionOptions {
  /** The head's name in the run: its kind, or a spec such as `cross-pixel.nocoords`. */
  fusion: string;
  dir: string;
  model: MaskModelConfig;
  data: DataSource;
  tokenizer: BertTokenizer;
  tokenizerPath: string;
  batch: number;
  epochs: number;
  lr: number;
  /** Learning-rate schedule over the planned steps (default constant). */
  schedule?: 'constant' | 'cosine';
  /** BCE weight of positive pixels (default 1: plain BCE). */
  posWeight?: number;
  /** Epochs without a better validation score before stopping early; 0: never stop early. */
  patience: number;
  /** Smallest validation gain (mIoU, or BCE decrease) that counts as better for early stopping (default 0). */
  minDelta?: number;
  /** What picks the kept weights and drives early stopping (default 'miou'). */
  select?: 'bce' | 'miou';
  seed: number;
  maxTokens: number;
  prior: Float32Array;
  examples: readonly Sample[];
  resume: boolean;
  imageWeights?: string;
  textWeights?: string;
  /** Steps between loss readbacks (each readback waits for the GPU). */
  logEvery?: number;
  /** Stop after this many steps in this call, checkpointing first (tests simulate an interruption). */
  stopAfterSteps?: number;
  progress?: Progress;
  log?: (line: string) => void;
}

export interface TrainFusionOutcome {
  result: FusionResult;
  evaluation: EvalMetrics;
  examples: ExamplePrediction[];
}

/** What a checkpoint carries beyond weights and optimizer moments. */
interface LoopState {
  generator: GeneratorState;
  lossCurve: { step: number; loss: number }[];
  evalCurve: { epoch: number; loss: number; meanIoU: number }[];
  /** Validation mIoU and BCE of the kept (best) weights. */
  bestIoU: number;
  bestBce: number;
  bestEpoch: number;
  /** Validation score (mIoU, or -BCE) of the last improvement by more than minDelta (early stopping). */
  patienceIoU: number;
  badEpochs: number;
  stoppedEarly: boolean;
  trainSeconds: number;
  trainImages: number;
}

export const MODEL_FILE = 'model.json';
export const BEST_WEIGHTS = 'best.safetensors';
export const RESULT_FILE = 'result.json';

/** The config `pnpm predict` needs to rebuild a trained model. */
export interface SavedModelConfig {
  fusion: string;
  model: MaskModelConfig;
  tokenizer: string;
  maxTokens: number;
}

async function loadEncoderWeights(model: MaskModel, o: TrainFusionOptions, log: (s: string) => void): Promise<void> {
  if (o.imageWeights) {
    const r = await loadResNetWeights(model.imageEncoder, o.imageWeights, { strict: false });
    if (r.missing.length || r.mismatched.length) throw new Error(`${o.imageWeights}: does not fit the image encoder (missing: ${r.missing.slice(0, 8).join(', ')}; mismatched: ${r.mismatched.map((m) => m.name).slice(0, 8).join(', ')})`);
    log(`image encoder: loaded ${r.loaded.length} tensors from ${o.imageWeights}${r.unexpected.length ? ` (unused: ${r.unexpected.slice(0, 4).join(', ')}${r.unexpected.length > 4 ? ', ...' : ''})` : ''}`);
  }
  if (o.textWeights) {
    const r = await loadBertWeights(model.textEncoder, o.textWeights, { strict: false });
    if (r.missing.length || r.mismatched.length) throw new Error(`${o.textWeights}: does not fit the text encoder (missing: ${r.missing.slice(0, 8).join(', ')}; mismatched: ${r.mismatched.map((m) => m.name).slice(0, 8).join(', ')})`);
    log(`text encoder: loaded ${r.loaded.length} tensors from ${o.textWeights}`);
  }
}

/**
 * Seed of a fusion head's initial weights: the run seed and the head's name (so heads differ, runs
 * repeat). The study's four kinds keep their earlier seeds; other names hash.
 */
export function initSeed(seed: number, fusion: string): number {
  const index = ['concat', 'outer', 'cross-text', 'cross-pixel'].indexOf(fusion);
  if (index >= 0) return seed * 16 + index + 1;
  let h = 2166136261;
  for (let i = 0; i < fusion.length; i++) h = Math.imul(h ^ fusion.charCodeAt(i), 16777619) >>> 0;
  return (h + seed * 7919) >>> 0;
}

export async function trainFusion(o: TrainFusionOptions): Promise<TrainFusionOutcome | 'interrupted'> {
  const log = o.log ?? (() => undefined);
  const logEvery = Math.max(1, o.logEvery ?? 10);
  await mkdir(o.dir, { recursive: true });
  const saved: SavedModelConfig = { fusion: o.fusion, model: o.model, tokenizer: o.tokenizerPath, maxTokens: o.maxTokens };
  await writeJsonAtomic(join(o.dir, MODEL_FILE), saved);

  manualSeed(initSeed(o.seed, o.fusion));
  const model = new MaskModel(o.model);
  const optimizer = new Adam(model.trainableParameters(), { lr: o.lr });
  try {
    await loadEncoderWeights(model, o, log);
    const checkpoints = join(o.dir, 'checkpoints');
    const jsonl = join(o.dir, 'train.jsonl');
    let step = 0;
    let st: LoopState = {
      generator: getDefaultGenerator().state(), lossCurve: [], evalCurve: [], bestIoU: -1, bestBce: Number.MAX_VALUE, bestEpoch: -1, patienceIoU: -1, badEpochs: 0,
      stoppedEarly: false, trainSeconds: 0, trainImages: 0,
    };
    const latest = o.resume ? await latestCheckpoint(checkpoints) : null;
    if (latest) {
      const c = await loadCheckpoint(latest, model, optimizer);
      step = c.step;
      st = c.loop as unknown as LoopState;
      getDefaultGenerator().setState(st.generator);
      log(`${o.fusion}: resumed from ${latest} (step ${step}, epoch ${c.epoch})`);
      // Drop log lines written after the checkpoint, so the log holds each step once.
      if (existsSync(jsonl)) {
        const kept = (await readFile(jsonl, 'utf8')).split('\n').filter((l) => l && (JSON.parse(l) as { step: number }).step < step);
        await writeFile(jsonl, kept.map((l) => `${l}\n`).join(''));
      }
    } else {
      await writeFile(jsonl, '');
    }
    const stepsPerEpoch = Math.max(1, Math.floor(o.data.trainPerEpoch / o.batch));
    const ctx = { tokenizer: o.tokenizer, maxTokens: o.maxTokens, batch: o.batch };
    const checkpoint = (epoch: number) =>
      saveCheckpoint(checkpoints, model, optimizer, { version: 1, step, epoch, loop: { ...st, generator: getDefaultGenerator().state() } as unknown as Record<string, unknown> });
    let stepsThisCall = 0;
    const totalSteps = o.epochs * stepsPerEpoch;
    const lrAt = (s: number) => learningRateAt(o.schedule ?? 'constant', o.lr, s, totalSteps);
    const posWeight = o.posWeight ?? 1;
    model.train();

    for (let epoch = Math.floor(step / stepsPerEpoch); epoch < o.epochs && !st.stoppedEarly; epoch++) {
      const pending: { step: number; loss: Tensor }[] = [];
      const epochStart = performance.now();
      let epochImages = 0;
      let lastLoss = NaN;
      const flushLosses = async () => {
        if (pending.length === 0) return;
        const all = tidy(() => concat(pending.map((p) => reshape(p.loss, [1]))));
        const values = await all.toArray();
        all.dispose();
        const lines = pending.map((p, k) => {
          st.lossCurve.push({ step: p.step, loss: values[k] });
          p.loss.dispose();
          return `${JSON.stringify({ step: p.step, epoch, loss: values[k] })}\n`;
        });
        lastLoss = values[values.length - 1];
        pending.length = 0;
        await appendFile(jsonl, lines.join(''));
      };
      o.progress?.reset();
      while (step < (epoch + 1) * stepsPerEpoch) {
        const t0 = performance.now();
        const b = batchTensors(o.data.trainBatch(step, o.batch), o.tokenizer, o.maxTokens);
        optimizer.lr = lrAt(step);
        const loss = trainStep(model, optimizer, b, { posWeight });
        disposeBatch(b);
        pending.push({ step, loss });
        step++;
        stepsThisCall++;
        const inEpoch = step - epoch * stepsPerEpoch;
        if (pending.length >= logEvery || inEpoch === stepsPerEpoch) await flushLosses();
        else runtime().flush();
        const dt = (performance.now() - t0) / 1000;
        st.trainSeconds += dt;
        st.trainImages += o.batch;
        epochImages += o.batch;
        const elapsed = (performance.now() - epochStart) / 1000;
        o.progress?.update({
          label: `${o.fusion} epoch ${epoch + 1}/${o.epochs}`, done: inEpoch, total: stepsPerEpoch, loss: lastLoss,
          imagesPerSecond: epochImages / Math.max(elapsed, 1e-9), eta: (elapsed / inEpoch) * (stepsPerEpoch - inEpoch),
        });
        if (o.stopAfterSteps !== undefined && stepsThisCall >= o.stopAfterSteps && inEpoch < stepsPerEpoch) {
          await flushLosses();
          await checkpoint(epoch);
          return 'interrupted';
        }
      }
      await flushLosses();
      const val = await evaluate(model, o.data.validation, ctx);
      const miou = val.model['0.5'].meanIoU;
      st.evalCurve.push({ epoch: epoch + 1, loss: val.model['0.5'].bce, meanIoU: miou });
      log(`${o.fusion} epoch ${epoch + 1}: train loss ${lastLoss.toFixed(4)}, validation BCE ${val.model['0.5'].bce.toFixed(4)}, mIoU@0.5 ${miou.toFixed(3)}`);
      const bce = val.model['0.5'].bce;
      const byBce = o.select === 'bce';
      // The kept weights: the lowest validation BCE, or the best validation mIoU with ties (a head stuck at 0) broken by BCE.
      const better = st.bestEpoch < 0 || (byBce ? bce < st.bestBce : miou > st.bestIoU || (miou === st.bestIoU && bce < st.bestBce));
      // Patience counts epochs without a gain of more than minDelta on the same criterion.
      const score = byBce ? -bce : miou;
      const improved = st.bestEpoch < 0 || score > st.patienceIoU + (o.minDelta ?? 0);
      if (better) {
        await writeSafetensorsFile(join(o.dir, BEST_WEIGHTS), await hostTensors(model.stateDict()), { fusion: o.fusion, epoch: String(epoch + 1) });
        st.bestEpoch = epoch + 1;
        st.bestIoU = miou;
        st.bestBce = bce;
      }
      if (improved) {
        st.patienceIoU = score;
        st.badEpochs = 0;
      } else if (++st.badEpochs >= o.patience && o.patience > 0) {
        st.stoppedEarly = true;
        log(`${o.fusion}: validation ${byBce ? 'BCE' : 'mIoU'} no better (by ${o.minDelta ?? 0}) for ${o.patience} epochs, stopping early (best epoch ${st.bestEpoch})`);
      }
      await checkpoint(epoch + 1);
      if (o.stopAfterSteps !== undefined && stepsThisCall >= o.stopAfterSteps && epoch + 1 < o.epochs && !st.stoppedEarly) return 'interrupted';
    }

    await loadWeights(model, join(o.dir, BEST_WEIGHTS));
    const evaluation = await evaluate(model, o.data.evaluation, ctx, o.prior);
    const examples = await predictExamples(model, o.examples, ctx);
    const result: FusionResult = {
      fusion: o.fusion,
      parameters: model.parameterCounts().total,
      trainSeconds: st.trainSeconds,
      imagesPerSecond: st.trainImages / Math.max(st.trainSeconds, 1e-9),
      epochs: st.evalCurve.length,
      bestEpoch: st.bestEpoch,
      stoppedEarly: st.stoppedEarly,
      metrics: evaluation.model,
      lossCurve: st.lossCurve,
      evalCurve: st.evalCurve,
      trainSamples: st.trainImages,
      traits: headTraits(model.fusion),
      seed: o.seed,
      ...(evaluation.holdout ? { holdout: evaluation.holdout } : {}),
    };
    await writeJsonAtomic(join(o.dir, RESULT_FILE), { result, evaluation });
    return { result, evaluation, examples };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
