/**
 * Trains and evaluates one fusion head: Adam on BCE-with-logits (optionally with a positive-pixel
 * weight, and a cosine learning-rate decay over the planned steps), validation after every epoch,
 * the weights of the best validation epoch kept (`select`: lowest validation BCE, or highest mean
 * IoU at threshold 0.5 with ties broken by BCE), optional early stopping on the same criterion
 * (`patience` > 0; 0 trains every epoch, so every head sees the same samples), a checkpoint
 * after every epoch (and when interrupted), and the final metrics of the best weights on the
 * evaluation set. A non-finite training loss stops training and marks the result `diverged`.
 * Deterministic: the same seed gives the same losses, and a resumed run continues exactly where
 * the checkpoint left it (data is a function of the step; weights, optimizer moments, BatchNorm
 * statistics and the dropout generator are restored).
 *
 * Files in `dir`: model.json (the config `pnpm predict` rebuilds the model from), train.jsonl
 * (every step's loss), best.safetensors, checkpoints/, result.json (when finished).
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam, DeviceLostError, getDefaultGenerator, manualSeed, runtime, tidy, writeSafetensorsFile, type GeneratorState,
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
import { LossLog } from './loss-log.js';
import { DIVERGENCE_LOSS_BOUND, divergenceMessage, firstNonFinite, lossDivergence, type Divergence } from './divergence.js';
import { ResumableError } from './stop.js';
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
  /** Polled after every step: true stops the head with a checkpoint at that step (Ctrl-C, see stop.ts). */
  stop?: () => boolean;
  /** Test hook: called after each step is recorded (tests lose the device mid-run). */
  afterStep?: (step: number) => void;
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
  /** Set when training diverged (the head stopped there). */
  diverged?: Divergence;
}

export const MODEL_FILE = 'model.json';
/** The tokenizer a head was trained with, copied beside its weights (so a moved folder still predicts). */
export const TOKENIZER_FILE = 'tokenizer.json';
export const BEST_WEIGHTS = 'best.safetensors';
export const RESULT_FILE = 'result.json';

/** The config `pnpm predict` needs to rebuild a trained model. */
export interface SavedModelConfig {
  fusion: string;
  model: MaskModelConfig;
  /** The tokenizer.json, relative to the head's folder (older runs: an absolute path). */
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
  await copyFile(o.tokenizerPath, join(o.dir, TOKENIZER_FILE));
  const saved: SavedModelConfig = { fusion: o.fusion, model: o.model, tokenizer: TOKENIZER_FILE, maxTokens: o.maxTokens };
  await writeJsonAtomic(join(o.dir, MODEL_FILE), saved);

  manualSeed(initSeed(o.seed, o.fusion));
  const model = new MaskModel(o.model);
  const optimizer = new Adam(model.trainableParameters(), { lr: o.lr });
  const checkpoints = join(o.dir, 'checkpoints');
  let step = 0;
  let losses: LossLog | null = null;
  try {
    await loadEncoderWeights(model, o, log);
    const jsonl = join(o.dir, 'train.jsonl');
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
    const checkpoint = async (epoch: number) => {
      const weights = await hostTensors(model.stateDict());
      const bad = firstNonFinite(weights);
      if (bad) return bad;
      await saveCheckpoint(checkpoints, model, optimizer, { version: 1, step, epoch, loop: { ...st, generator: getDefaultGenerator().state() } as unknown as Record<string, unknown> }, weights);
      return null;
    };
    let stepsThisCall = 0;
    const stopRequested = () => (o.stopAfterSteps !== undefined && stepsThisCall >= o.stopAfterSteps) || (o.stop?.() ?? false);
    const totalSteps = o.epochs * stepsPerEpoch;
    const lrAt = (s: number) => learningRateAt(o.schedule ?? 'constant', o.lr, s, totalSteps);
    const posWeight = o.posWeight ?? 1;
    losses = new LossLog(jsonl, step, DIVERGENCE_LOSS_BOUND);
    const lossLog = losses;
    model.train();

    for (let epoch = Math.floor(step / stepsPerEpoch); epoch < o.epochs && !st.stoppedEarly && !st.diverged; epoch++) {
      const epochStart = performance.now();
      let epochImages = 0;
      let lastLoss = NaN;
      /** Reads the pending losses; false when training diverged (st.diverged is then set). */
      const flushLosses = async (): Promise<boolean> => {
        const flushed = await lossLog.flush(epoch);
        st.lossCurve.push(...flushed.losses);
        if (flushed.losses.length) lastLoss = flushed.losses[flushed.losses.length - 1].loss;
        if (!flushed.diverged) return true;
        st.diverged = lossDivergence(flushed.diverged.step, Math.floor(flushed.diverged.step / stepsPerEpoch) + 1, flushed.diverged.loss);
        return false;
      };
      o.progress?.reset();
      while (step < (epoch + 1) * stepsPerEpoch) {
        const t0 = performance.now();
        const b = batchTensors(o.data.trainBatch(step, o.batch), o.tokenizer, o.maxTokens);
        optimizer.lr = lrAt(step);
        const loss = trainStep(model, optimizer, b, { posWeight });
        disposeBatch(b);
        lossLog.push(step, loss);
        step++;
        stepsThisCall++;
        o.afterStep?.(step);
        const inEpoch = step - epoch * stepsPerEpoch;
        if (lossLog.size >= logEvery || inEpoch === stepsPerEpoch) {
          if (!(await flushLosses())) break;
        } else runtime().flush();
        const dt = (performance.now() - t0) / 1000;
        st.trainSeconds += dt;
        st.trainImages += o.batch;
        epochImages += o.batch;
        const elapsed = (performance.now() - epochStart) / 1000;
        o.progress?.update({
          label: `${o.fusion} epoch ${epoch + 1}/${o.epochs}`, done: inEpoch, total: stepsPerEpoch, loss: lastLoss,
          imagesPerSecond: epochImages / Math.max(elapsed, 1e-9), eta: (elapsed / inEpoch) * (stepsPerEpoch - inEpoch),
        });
        if (stopRequested() && inEpoch < stepsPerEpoch) {
          if (!(await flushLosses())) break;
          const bad = await checkpoint(epoch);
          if (bad) {
            st.diverged = { step, epoch: epoch + 1, reason: `non-finite weights (${bad}) at step ${step}` };
            break;
          }
          return 'interrupted';
        }
      }
      if (st.diverged || !(await flushLosses())) break;
      const val = await evaluate(model, o.data.validation, ctx);
      const miou = val.model['0.5'].meanIoU;
      const bce = val.model['0.5'].bce;
      st.evalCurve.push({ epoch: epoch + 1, loss: bce, meanIoU: miou });
      log(`${o.fusion} epoch ${epoch + 1}: train loss ${lastLoss.toFixed(4)}, validation BCE ${bce.toFixed(4)}, mIoU@0.5 ${miou.toFixed(3)}`);
      if (!Number.isFinite(bce) || bce > DIVERGENCE_LOSS_BOUND) {
        st.diverged = { step, epoch: epoch + 1, reason: `validation BCE ${Number.isFinite(bce) ? `${bce.toExponential(2)}, past the bound ${DIVERGENCE_LOSS_BOUND.toExponential(0)},` : bce} after epoch ${epoch + 1}` };
        break;
      }
      const byBce = o.select === 'bce';
      // The kept weights: the lowest validation BCE, or the best validation mIoU with ties (a head stuck at 0) broken by BCE.
      const better = st.bestEpoch < 0 || (byBce ? bce < st.bestBce : miou > st.bestIoU || (miou === st.bestIoU && bce < st.bestBce));
      // Patience counts epochs without a gain of more than minDelta on the same criterion.
      const score = byBce ? -bce : miou;
      const improved = st.bestEpoch < 0 || score > st.patienceIoU + (o.minDelta ?? 0);
      if (better) {
        const weights = await hostTensors(model.stateDict());
        const bad = firstNonFinite(weights);
        if (bad) {
          st.diverged = { step, epoch: epoch + 1, reason: `non-finite weights (${bad}) after epoch ${epoch + 1}` };
          break;
        }
        await writeSafetensorsFile(join(o.dir, BEST_WEIGHTS), weights, { fusion: o.fusion, epoch: String(epoch + 1) });
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
      const bad = await checkpoint(epoch + 1);
      if (bad) {
        st.diverged = { step, epoch: epoch + 1, reason: `non-finite weights (${bad}) after epoch ${epoch + 1}` };
        break;
      }
      if (stopRequested() && epoch + 1 < o.epochs && !st.stoppedEarly) return 'interrupted';
    }

    if (st.diverged) log(divergenceMessage(o.fusion, st.diverged, o.lr, st.bestEpoch));
    // A diverged head without kept weights is evaluated as it is (its metrics show what it does).
    if (st.bestEpoch > 0) await loadWeights(model, join(o.dir, BEST_WEIGHTS));
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
      ...(st.diverged ? { diverged: st.diverged } : {}),
    };
    await writeJsonAtomic(join(o.dir, RESULT_FILE), { result, evaluation });
    return { result, evaluation, examples };
  } catch (e) {
    if (e instanceof DeviceLostError) {
      const kept = await latestCheckpoint(checkpoints);
      throw new ResumableError(`${o.fusion}: ${e.message} at step ${step}; ${kept ? `the last checkpoint (${kept}) is intact` : 'no checkpoint was written yet'}`);
    }
    throw e;
  } finally {
    losses?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
