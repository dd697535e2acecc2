/**
 * One training step of the study's model as `pnpm train` runs it (Adam, BCE with the preset's
 * pos_weight, fresh synthetic samples, f32 or mixed precision), shared by `pnpm bench:step` and
 * `pnpm bench tune`. The device must be initialised first; `dispose()` frees the model and optimizer.
 */
import { bceWithLogits, Adam, manualSeed, type Tensor } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH, type FusionKind } from '@fusion/models';
import {
  PRESETS, FUSION_KINDS, PRECISIONS, syntheticSource, batchTensors, disposeBatch, makePrecisionStep, type PresetName, type Precision, type RecordedStep,
} from '@fusion/train';

export interface TrainStepOptions {
  preset: string;
  fusion: string;
  batch?: number;
  size?: number;
  /** Distinct synthetic batches to cycle through (default 16). */
  batches?: number;
  /** f32 (default) or mixed (`pnpm train --precision`). */
  precision?: string;
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
  if (!PRECISIONS.includes(precision)) throw new Error(`--precision must be one of ${PRECISIONS.join(', ')}, got '${options.precision}'`);
  const precisionStep = makePrecisionStep(precision);
  const tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
  manualSeed(0);
  const modelOptions = preset.model(fusion, size, tokenizer.vocabSize);
  const model = new MaskModel(modelOptions);
  const optimizer = new Adam(model.trainableParameters(), { lr: preset.lr });
  const data = syntheticSource({ seed: 0, size, train: batch * batches, validation: 1, eval: 1 });
  const record = (s: number): RecordedStep => {
    const b = batchTensors(data.trainBatch(s % batches, batch), tokenizer, preset.maxTokens);
    const recorded = precisionStep.record(() => {
      const { logits } = model.forward({ images: b.images, inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds });
      return bceWithLogits(logits, b.masks, { posWeight: preset.posWeight });
    }, optimizer);
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
