/**
 * @fusion/train in a page (the `browser` condition of package.json): the Node-free part of the
 * package. The synthetic dataset and batching, the metrics, the training step and learning-rate
 * schedule that `pnpm train` runs, evaluation, mask prediction, and the single-file head format.
 * Files, MagicBrush readers, image codecs, checkpoints, reports and the CLIs are Node only
 * (index.ts).
 */
export * from './data/types.js';
export * from './data/synthetic.js';
export type { ResolvedSyntheticOptions } from './data/synthetic-options.js';
export { DEFAULT_COLORS, DEFAULT_KIND_WEIGHTS, DEFAULT_RADII, DEFAULT_SHAPES, resolveSyntheticOptions } from './data/synthetic-options.js';
export * from './data/synthetic-scene.js';
export * from './data/shapes.js';
export * from './data/vocabulary.js';
export * from './data/batch.js';
export * from './data/pixels.js';
export { resizeBilinear, resizeNearest, type PlanarImage } from './data/resize.js';
export { IMAGENET_MEAN, IMAGENET_STD, normalizeImageNet } from './data/normalize.js';
export * from './metrics/index.js';
export { PRESETS, FUSION_KINDS, type Preset, type PresetName } from './presets.js';
export { syntheticSource, syntheticSeeds, type DataSource, type SyntheticSourceOptions } from './loop/synthetic-source.js';
export { trainStep, learningRateAt, type TrainStepOptions, type LearningRateSchedule } from './loop/step.js';
export { evaluate, predictExamples, wordAttention, wordTokenIndices, type EvalContext, type ExamplePrediction } from './loop/evaluate.js';
export { batchTensors, disposeBatch, type BatchTensors } from './loop/batch-tensors.js';
export { predictMask, DEFAULT_MASK_THRESHOLD, type MaskPredictor, type MaskPrediction, type WordAttention } from './predict/predict-mask.js';
export { serializeHead, parseHead, headPredictor, HEAD_FORMAT, HEAD_EXTENSION, type HeadInfo, type HeadFile } from './predict/head-file.js';
export type { AttentionMap } from './report/types.js';
export { hostTensors } from './loop/host-tensors.js';
export { viridis, normalizeMinMax } from './report/colormap.js';
export { PREDICTED_MASK_COLOR, TRUE_MASK_COLOR, SERIES_COLORS, OVERLAY_THRESHOLD, type Rgb } from './report/palette.js';
export { exampleIoU } from './report/examples-figure.js';
