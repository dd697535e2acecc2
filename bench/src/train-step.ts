/**
 * One training step of the study's model as `pnpm train` runs it (`trainStep` of @fusion/train:
 * Adam, BCE with the preset's pos_weight, synthetic samples), shared by `pnpm bench:step` and
 * `pnpm bench tune`. The samples of every batch are generated up front (scene rendering is the
 * data pipeline's work, as the PyTorch peer's step uses ready tensors); a step tokenizes and
 * uploads its batch and records forward, backward and the optimizer update. The device must be
 * initialised first; `dispose()` frees the model and optimizer.
 */
import { Adam, manualSeed, runtime, memory, type Tensor } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH, type FusionKind } from '@fusion/models';
import { PRESETS, FUSION_KINDS, syntheticSource, batchTensors, disposeBatch, trainStep, type PresetName } from '@fusion/train';

/**
 * Precisions `makeTrainStep` runs. f32 only in this build: the mixed-precision step (f16 compute,
 * f32 master weights, loss scaling) is issue 12 item 2's; when it lands, 'mixed' joins this list
 * and `bench/gpu.sh` times the mixed rows too (it reports them absent until then).
 */
export const TRAIN_STEP_PRECISIONS: readonly string[] = ['f32'];

export interface TrainStepOptions {
  preset: string;
  fusion: string;
  batch?: number;
  size?: number;
  /** Distinct synthetic batches to cycle through (default 16). */
  batches?: number;
  /** One of TRAIN_STEP_PRECISIONS (default f32). */
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
  /** Records step `s` (synthetic batch s mod batches) and returns its loss, not yet read back. */
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
  const precision = options.precision ?? 'f32';
  if (!TRAIN_STEP_PRECISIONS.includes(precision)) throw new Error(`--precision must be one of ${TRAIN_STEP_PRECISIONS.join(', ')} in this build, got '${precision}'`);
  const tokenizer = await loadTokenizer(options.tokenizerPath ?? DEFAULT_TOKENIZER_PATH);
  manualSeed(0);
  const modelOptions = preset.model(fusion, size, tokenizer.vocabSize);
  const model = new MaskModel(modelOptions);
  const optimizer = new Adam(model.trainableParameters(), { lr: preset.lr });
  const data = syntheticSource({ seed: 0, size, train: batch * batches, validation: 1, eval: 1 });
  const samples = Array.from({ length: batches }, (_, i) => data.trainBatch(i, batch));
  return {
    preset: preset.name,
    fusion,
    batch,
    size,
    modelOptions,
    maxTokens: preset.maxTokens,
    lr: preset.lr,
    posWeight: preset.posWeight,
    run(s: number): Tensor {
      const b = batchTensors(samples[s % batches], tokenizer, preset.maxTokens);
      const loss = trainStep(model, optimizer, b, { posWeight: preset.posWeight });
      disposeBatch(b);
      return loss;
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
    const l = step.run(s);
    host += performance.now() - h;
    if (s === from + steps - 1) await l.item();
    l.dispose();
  }
  return { ms: (performance.now() - t0) / steps, hostMs: host / steps, dispatches: (rt.stats.dispatches - dispatches) / steps, peakBytes: memory().peakBytes };
}
