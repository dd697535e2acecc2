/**
 * The vocabulary of the segmentation metrics: the two probability thresholds the study reports, the
 * numbers computed at each, and the result of an evaluation pass (the model and the trivial baselines
 * measured on the same samples). Pure types and constants.
 */

/** The probability thresholds every metric is reported at, keyed by their printed form. */
export const THRESHOLDS = { '0.5': 0.5, '0.7': 0.7 } as const;

/** A reported threshold, as printed: '0.5' or '0.7'. */
export type ThresholdKey = keyof typeof THRESHOLDS;

/** The thresholds in report order. */
export const THRESHOLD_KEYS: readonly ThresholdKey[] = ['0.5', '0.7'];

/** The study's mask threshold on sigmoid(logit). */
export const STUDY_THRESHOLD: ThresholdKey = '0.7';

/** Mean IoU and sample count of the samples that carry one label (e.g. an instruction kind). */
export interface LabelSplit {
  meanIoU: number;
  count: number;
  /** Standard error of `meanIoU` over these samples (0 for one sample); absent when the producer did not compute it. */
  meanIoUStdError?: number;
}

/**
 * Segmentation metrics of one prediction source over an eval set, at one threshold.
 * A pixel is predicted foreground when its probability is strictly greater than the threshold.
 * Every ratio is in [0, 1].
 */
export interface Metrics {
  /** Mean binary cross-entropy per pixel, in nats (the same at every threshold). */
  bce: number;
  /** Correctly classified pixels / all pixels. */
  pixelAccuracy: number;
  /** Mean over samples of the foreground IoU; a sample with empty prediction and empty truth scores 1. */
  meanIoU: number;
  /** Standard error of `meanIoU` (sample standard deviation of the per-sample IoUs / sqrt(samples)); 0 for one sample. */
  meanIoUStdError: number;
  /** Sum of intersections / sum of unions over the whole set (1 when every mask and prediction is empty). */
  overallIoU: number;
  /** Mean over samples of 2|P∩T| / (|P| + |T|); a sample with both empty scores 1. */
  dice: number;
  /** Fraction of samples whose IoU is strictly greater than 0.5. */
  precisionAt50: number;
  /** Fraction of samples whose IoU is strictly greater than 0.7. */
  precisionAt70: number;
  /** Fraction of samples whose IoU is strictly greater than 0.9. */
  precisionAt90: number;
  /** Fraction of pixels predicted foreground. */
  predictedForeground: number;
  /** Fraction of pixels that are foreground in the truth. */
  trueForeground: number;
  samples: number;
  pixels: number;
  /** Mean IoU per sample label, in the order labels were first seen; absent when no sample had a label. */
  byLabel?: Record<string, LabelSplit>;
}

/** Metrics at each reported threshold. */
export type MetricsByThreshold = Record<ThresholdKey, Metrics>;

/** The names of the trivial baselines, measured in the same pass as the model. */
export type BaselineName = 'all-background' | 'mean-mask prior';

/** A baseline's metrics, in the shape the run report takes. */
export interface BaselineMetrics {
  name: BaselineName;
  metrics: MetricsByThreshold;
}

/** Everything one evaluation pass measures. */
export interface EvalMetrics {
  model: MetricsByThreshold;
  /** All-background always; the mean-mask prior when a prior was given. */
  baselines: BaselineMetrics[];
  /** The model's mean IoU on `seen` and `unseen` samples (and `seen/<kind>`, `unseen/<kind>`), when samples carry a holdout label. */
  holdout?: Record<ThresholdKey, Record<string, LabelSplit>>;
}
