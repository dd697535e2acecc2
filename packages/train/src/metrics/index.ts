/** Segmentation metrics of @fusion/train: BCE, pixel accuracy, IoU, Dice and precision@k, with baselines. */
export * from './types.js';
export { bceFromLogit, bceFromProbability, PROBABILITY_EPSILON, sigmoid } from './bce.js';
export { MetricsTally, sampleDice, sampleIoU, type SampleCounts } from './tally.js';
export { evaluateSegmentation, SegmentationMetrics, type SegmentationBatch, type SegmentationMetricsOptions } from './accumulator.js';
export { MeanMaskPrior } from './prior.js';
