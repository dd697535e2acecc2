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
export { makePrecisionStep, PRECISIONS, type Precision, type PrecisionStep, type RecordedStep } from './loop/precision.js';
export { batchTensors, disposeBatch, type BatchTensors } from './loop/batch-tensors.js';
export { saveCheckpoint, loadCheckpoint, latestCheckpoint, loadWeights } from './loop/checkpoint.js';
