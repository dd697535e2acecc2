/**
 * Segmentation metrics over an eval set, accumulated batch by batch: feed each batch's logits and
 * 0/1 masks (and optional per-sample labels), read every metric at thresholds 0.5 and 0.7 at the end,
 * for the model and, in the same pass, for the trivial baselines: all-background, and the mean-mask
 * prior (the per-pixel mean of the training masks, thresholded like the model's probabilities and
 * scored by BCE as a probability). Host-only, float64 sums; batching does not change the result.
 *
 * Shape: logits (B, H, W) or (B, 1, H, W) float32, masks the same size (0/1), labels B entries;
 * prior (H, W) probabilities. A pixel is foreground when sigmoid(logit) > threshold (strictly).
 * A NaN logit gives a NaN BCE and a background pixel, so a diverged model shows up, not a throw.
 */
import { bceFromLogit, bceFromProbability, PROBABILITY_EPSILON, sigmoid } from './bce.js';
import { MetricsTally, type SampleCounts } from './tally.js';
import { THRESHOLD_KEYS, THRESHOLDS, type BaselineMetrics, type EvalMetrics, type MetricsByThreshold, type ThresholdKey } from './types.js';

/** What the accumulator needs before the first batch. */
export interface SegmentationMetricsOptions {
  /** H * W of every sample. */
  pixelsPerSample: number;
  /** Per-pixel foreground probability (the mean training mask), H * W; enables the mean-mask prior baseline. */
  prior?: ArrayLike<number>;
}

/** One batch: B samples of H * W pixels, laid out sample after sample. */
export interface SegmentationBatch {
  logits: Float32Array;
  /** 0 or 1 per pixel (any other value throws). */
  masks: Float32Array | Uint8Array;
  /** One per sample (e.g. the instruction kind); undefined entries join no split. */
  labels?: readonly (string | undefined)[];
}

/** One prediction source (model or baseline): a BCE sum and a tally per threshold. */
class SourceSums {
  bceSum = 0;
  readonly tallies = { '0.5': new MetricsTally(), '0.7': new MetricsTally() } satisfies Record<ThresholdKey, MetricsTally>;

  result(): MetricsByThreshold {
    return { '0.5': this.tallies['0.5'].summary(this.bceSum), '0.7': this.tallies['0.7'].summary(this.bceSum) };
  }
}

/** Accumulates the model's and the baselines' metrics over batches. */
export class SegmentationMetrics {
  readonly pixelsPerSample: number;
  private readonly prior?: Float64Array;
  /** Per threshold, whether each prior pixel is predicted foreground. */
  private readonly priorForeground?: Record<ThresholdKey, Uint8Array>;
  private readonly model = new SourceSums();
  private readonly background = new SourceSums();
  private readonly priorSums?: SourceSums;

  constructor(options: SegmentationMetricsOptions) {
    const { pixelsPerSample, prior } = options;
    if (!(Number.isInteger(pixelsPerSample) && pixelsPerSample > 0)) {
      throw new Error(`SegmentationMetrics: pixelsPerSample must be a positive integer, got ${pixelsPerSample}`);
    }
    this.pixelsPerSample = pixelsPerSample;
    if (prior) {
      if (prior.length !== pixelsPerSample) {
        throw new Error(`SegmentationMetrics: prior has ${prior.length} values but samples have ${pixelsPerSample} pixels`);
      }
      this.prior = Float64Array.from(prior);
      for (let i = 0; i < pixelsPerSample; i++) {
        const p = this.prior[i];
        if (!(p >= 0 && p <= 1)) throw new Error(`SegmentationMetrics: prior[${i}] = ${p} is not a probability in [0, 1]`);
      }
      const priorValues = this.prior;
      const foreground = (t: number) => Uint8Array.from(priorValues, (p) => (p > t ? 1 : 0));
      this.priorForeground = { '0.5': foreground(THRESHOLDS['0.5']), '0.7': foreground(THRESHOLDS['0.7']) };
      this.priorSums = new SourceSums();
    }
  }

  /** Adds a batch. Throws (before changing any sum) on a size mismatch or a mask value other than 0/1. */
  add(batch: SegmentationBatch): void {
    const { logits, masks, labels } = batch;
    const hw = this.pixelsPerSample;
    if (logits.length !== masks.length) throw new Error(`SegmentationMetrics.add: ${logits.length} logits but ${masks.length} mask values`);
    if (logits.length % hw !== 0) throw new Error(`SegmentationMetrics.add: ${logits.length} logits is not a whole number of ${hw}-pixel samples`);
    const batchSize = logits.length / hw;
    if (labels && labels.length !== batchSize) throw new Error(`SegmentationMetrics.add: ${labels.length} labels for ${batchSize} samples`);
    for (let i = 0; i < masks.length; i++) {
      if (masks[i] !== 0 && masks[i] !== 1) throw new Error(`SegmentationMetrics.add: mask value ${masks[i]} at index ${i} is not 0 or 1`);
    }
    for (let b = 0; b < batchSize; b++) this.addSample(logits, masks, b * hw, labels?.[b]);
  }

  private addSample(logits: Float32Array, masks: Float32Array | Uint8Array, offset: number, label: string | undefined): void {
    const hw = this.pixelsPerSample;
    const t50 = THRESHOLDS['0.5'];
    const t70 = THRESHOLDS['0.7'];
    let truth = 0;
    let modelBce = 0;
    let predicted50 = 0, intersection50 = 0, predicted70 = 0, intersection70 = 0;
    let priorBce = 0;
    let priorPredicted50 = 0, priorIntersection50 = 0, priorPredicted70 = 0, priorIntersection70 = 0;
    const prior = this.prior;
    const priorForeground = this.priorForeground;
    for (let i = 0; i < hw; i++) {
      const x = logits[offset + i];
      const y = masks[offset + i];
      truth += y;
      modelBce += bceFromLogit(x, y);
      const p = sigmoid(x);
      if (p > t50) { predicted50++; intersection50 += y; }
      if (p > t70) { predicted70++; intersection70 += y; }
      if (prior && priorForeground) {
        priorBce += bceFromProbability(prior[i], y);
        if (priorForeground['0.5'][i]) { priorPredicted50++; priorIntersection50 += y; }
        if (priorForeground['0.7'][i]) { priorPredicted70++; priorIntersection70 += y; }
      }
    }
    const counts = (intersection: number, predicted: number): SampleCounts => ({ intersection, predicted, truth, pixels: hw });
    this.model.bceSum += modelBce;
    this.model.tallies['0.5'].addSample(counts(intersection50, predicted50), label);
    this.model.tallies['0.7'].addSample(counts(intersection70, predicted70), label);
    // all-background: probability ε everywhere, nothing predicted
    this.background.bceSum += truth * bceFromProbability(PROBABILITY_EPSILON, 1) + (hw - truth) * bceFromProbability(PROBABILITY_EPSILON, 0);
    for (const key of THRESHOLD_KEYS) this.background.tallies[key].addSample(counts(0, 0), label);
    if (this.priorSums) {
      this.priorSums.bceSum += priorBce;
      this.priorSums.tallies['0.5'].addSample(counts(priorIntersection50, priorPredicted50), label);
      this.priorSums.tallies['0.7'].addSample(counts(priorIntersection70, priorPredicted70), label);
    }
  }

  /** The metrics of everything added so far. Throws when no sample was added. */
  result(): EvalMetrics {
    const baselines: BaselineMetrics[] = [{ name: 'all-background', metrics: this.background.result() }];
    if (this.priorSums) baselines.push({ name: 'mean-mask prior', metrics: this.priorSums.result() });
    return { model: this.model.result(), baselines };
  }
}

/** One-shot evaluation of a whole set held in memory (the same numbers as feeding it batch by batch). */
export function evaluateSegmentation(batch: SegmentationBatch, options: SegmentationMetricsOptions): EvalMetrics {
  const metrics = new SegmentationMetrics(options);
  metrics.add(batch);
  return metrics.result();
}
