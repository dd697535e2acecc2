/**
 * One training step of the study's model as `pnpm train` runs it (`trainStep` of @fusion/train:
 * Adam, BCE with the preset's pos_weight, fresh synthetic samples), shared by `pnpm bench:step`
 * and `pnpm bench tune`.
 * The device must be initialised first; `dispose()` frees the model and optimizer.
 */
import { Adam, manualSeed, type Tensor } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH, type FusionKind } from '@fusion/models';
import { PRESETS, FUSION_KINDS, syntheticSource, batchTensors, disposeBatch, trainStep, type PresetName } from '@fusion/train';

export interface TrainStepOptions {
  preset: string;
  fusion: string;
  batch?: number;
  size?: number;
  /** Distinct synthetic batches to cycle through (default 16). */
  batches?: number;
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
  const tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
  manualSeed(0);
  const modelOptions = preset.model(fusion, size, tokenizer.vocabSize);
  const model = new MaskModel(modelOptions);
  const optimizer = new Adam(model.trainableParameters(), { lr: preset.lr });
  const data = syntheticSource({ seed: 0, size, train: batch * batches, validation: 1, eval: 1 });
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
      const b = batchTensors(data.trainBatch(s % batches, batch), tokenizer, preset.maxTokens);
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
