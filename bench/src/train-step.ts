/**
 * One training step of the study's model as `pnpm train` runs it (`trainStep` of @fusion/train:
 * Adam, BCE with the preset's pos_weight, synthetic samples, f32 or mixed precision), shared by
 * `pnpm bench:step`, `pnpm bench tune` and the GPU command (bench/gpu.sh). The samples of every
 * batch are generated up front (scene rendering is the data pipeline's work, as the PyTorch peer's
 * step uses ready tensors); a step tokenizes and uploads its batch and records forward, backward
 * and the optimizer update. The device must be initialised first; `dispose()` frees the model and
 * optimizer.
 */
import { Adam, manualSeed, runtime, memory, type Tensor } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH, type FusionKind } from '@fusion/models';
import {
  PRESETS, FUSION_KINDS, PRECISIONS, syntheticSource, batchTensors, disposeBatch, trainStep, lossScalerFor, type PresetName, type Precision, type RecordedStep,
} from '@fusion/train';

/**
 * Precisions `makeTrainStep` runs: f32 and mixed (f16 GEMM inputs, f32 master weights, dynamic
 * loss scaling: `pnpm train --precision mixed`); `bench/gpu.sh` times a row of each per head.
 */
export const TRAIN_STEP_PRECISIONS: readonly string[] = PRECISIONS;

export interface TrainStepOptions {
  preset: string;
  fusion: string;
  batch?: number;
  size?: number;
  /** Distinct synthetic batches to cycle through (default 16). */
  batches?: number;
  /** One of TRAIN_STEP_PRECISIONS (default f32; mixed as `pnpm train --precision mixed`). */
  precision?: string;
  /** The tokenizer file (default the shipped one; a bundle passes it, its own location being elsewhere). */
  tokenizerPath?: string;
}

export interface TrainStep {
  preset: string;
  fusion: FusionKind;
  batch: number;
  size: number;
  /** The model's configuration (Fusion's option names), for a peer to build the same model. */
  modelOptions: unknown;
  maxTokens: number;
  lr: number;
  posWeight: number;
  precision: Precision;
  /**
   * Records step `s` (synthetic batch s mod batches): its loss, not yet read back, and `finish()`,
   * which completes the update (f32: nothing left to do; mixed: reads the overflow flag, one sync).
   */
  record(s: number): RecordedStep;
  /** Records a whole f32 step and returns its loss (mixed steps finish asynchronously: `record`). */
  run(s: number): Tensor;
  describeParameters(): string;
  dispose(): void;
}

/** Builds the model, optimizer and data of a preset; throws naming a bad preset or fusion kind. */
export async function makeTrainStep(options: TrainStepOptions): Promise<TrainStep> {
  const preset = PRESETS[options.preset as PresetName];
  if (!preset) throw new Error(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got '${options.preset}'`);
  const fusion = options.fusion as FusionKind;
  if (!FUSION_KINDS.includes(fusion)) throw new Error(`--fusion must be one of ${FUSION_KINDS.join(', ')}, got '${options.fusion}'`);
  const batch = options.batch ?? preset.batch;
  const size = options.size ?? preset.size;
  const batches = options.batches ?? 16;
  const precision = (options.precision ?? 'f32') as Precision;
  if (!TRAIN_STEP_PRECISIONS.includes(precision)) throw new Error(`--precision must be one of ${TRAIN_STEP_PRECISIONS.join(', ')}, got '${options.precision}'`);
  const lossScaler = lossScalerFor(precision);
  const tokenizer = await loadTokenizer(options.tokenizerPath ?? DEFAULT_TOKENIZER_PATH);
  manualSeed(0);
  const modelOptions = preset.model(fusion, size, tokenizer.vocabSize);
  const model = new MaskModel(modelOptions);
  const optimizer = new Adam(model.trainableParameters(), { lr: preset.lr });
  const data = syntheticSource({ seed: 0, size, train: batch * batches, validation: 1, eval: 1 });
  const samples = Array.from({ length: batches }, (_, i) => data.trainBatch(i, batch));
  const record = (s: number): RecordedStep => {
    const b = batchTensors(samples[s % batches], tokenizer, preset.maxTokens);
    const recorded = trainStep(model, optimizer, b, { posWeight: preset.posWeight, lossScaler });
    disposeBatch(b);
    return recorded;
  };
  return {
    preset: preset.name,
    fusion,
    batch,
    size,
    modelOptions,
    maxTokens: preset.maxTokens,
    lr: preset.lr,
    posWeight: preset.posWeight,
    precision,
    record,
    run(s: number): Tensor {
      if (precision !== 'f32') throw new Error('TrainStep.run: a mixed-precision step finishes asynchronously; use record(s) and await finish()');
      return record(s).loss;
    },
    describeParameters: () => model.describeParameters(),
    dispose(): void {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** What `timeTrainSteps` measured, per step. */
export interface StepTiming {
  /** Wall milliseconds per step (recording, submission and the GPU's work, to the last loss read back). */
  ms: number;
  /** Host milliseconds spent recording a step. */
  hostMs: number;
  dispatches: number;
  /** Highest bytes of live GPU buffers (`memory().peakBytes`) during the timed steps. */
  peakBytes: number;
}

/** Times `steps` steps (reading back only the last loss) after the step counter `from`. */
export async function timeTrainSteps(step: TrainStep, from: number, steps: number): Promise<StepTiming> {
  const rt = runtime();
  await rt.sync();
  rt.pool.resetPeak();
  const dispatches = rt.stats.dispatches;
  let host = 0;
  const t0 = performance.now();
  for (let s = from; s < from + steps; s++) {
    const h = performance.now();
    const r = step.record(s);
    // f32: resolves at once; mixed: the step's one sync (the overflow check), counted as host time
    await r.finish();
    host += performance.now() - h;
    if (s === from + steps - 1) await r.loss.item();
    r.loss.dispose();
  }
  return { ms: (performance.now() - t0) / steps, hostMs: host / steps, dispatches: (rt.stats.dispatches - dispatches) / steps, peakBytes: memory().peakBytes };
}
