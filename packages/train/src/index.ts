/**
 * @fusion/train: datasets (synthetic diagnostic set, MagicBrush), metrics, the training loop with
 * checkpoints, and the run report. The CLIs are `pnpm train` (cli/train.ts) and `pnpm predict`.
 */
export * from './data/index.js';
export * from './metrics/index.js';
export * from './report/index.js';
export { PRESETS, FUSION_KINDS, type Preset, type PresetName } from './presets.js';
export { syntheticSource, magicBrushSource, syntheticSeeds, permutation, type DataSource } from './loop/data-source.js';
export { trainFusion, type TrainFusionOptions, type TrainFusionOutcome, type SavedModelConfig } from './loop/train-fusion.js';
export { runStudy, pickExamples, meanMaskPrior, type StudyOptions } from './loop/run.js';
export { evaluate, predictExamples } from './loop/evaluate.js';
export { batchTensors, disposeBatch, type BatchTensors } from './loop/batch-tensors.js';
export { saveCheckpoint, loadCheckpoint, latestCheckpoint, loadWeights } from './loop/checkpoint.js';
export { trainStep, learningRateAt, type TrainStepOptions, type LearningRateSchedule } from './loop/step.js';
export { wordAttention, wordTokenIndices, type EvalContext, type ExamplePrediction } from './loop/evaluate.js';
export { predictMask, DEFAULT_MASK_THRESHOLD, type MaskPredictor, type MaskPrediction, type WordAttention } from './predict/predict-mask.js';
export { serializeHead, parseHead, headPredictor, HEAD_FORMAT, HEAD_EXTENSION, type HeadInfo, type HeadFile } from './predict/head-file.js';
export type { SyntheticSourceOptions } from './loop/synthetic-source.js';
