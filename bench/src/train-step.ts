/**
 * One training step of the study's model as `pnpm train` runs it (Adam, BCE with the preset's
 * pos_weight, synthetic samples), shared by `pnpm bench:step` and `pnpm bench tune`. The
 * samples of every batch are generated up front (scene rendering is the data pipeline's work, as
 * the PyTorch peer's step uses ready tensors); a step tokenizes and uploads its batch and records
 * forward, backward and the optimizer update. The device must be initialised first; `dispose()`
 * frees the model and optimizer.
 */
import { tidy, bceWithLogits, Adam, manualSeed, type Tensor } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH, type FusionKind } from '@fusion/models';
import { PRESETS, FUSION_KINDS, syntheticSource, batchTensors, disposeBatch, type PresetName } from '@fusion/train';

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
      const loss = tidy(() => {
        const { logits } = model.forward({ images: b.images, inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds });
        const l = bceWithLogits(logits, b.masks, { posWeight: preset.posWeight });
        l.backward();
        optimizer.step();
        optimizer.zeroGrad();
        return l;
      });
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
