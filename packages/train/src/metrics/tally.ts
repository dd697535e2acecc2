/**
 * Running sums for the metrics of one prediction source at one threshold, fed one sample at a time
 * with that sample's pixel counts (|P∩T|, |P|, |T|, pixels) and optional label, and summarised into
 * `Metrics` at the end. Knows nothing of logits or thresholds: the accumulator counts, this sums.
 */
import type { LabelSplit, Metrics } from './types.js';

/** Pixel counts of one sample: prediction P and truth T as sets of foreground pixels. */
export interface SampleCounts {
  /** |P ∩ T| */
  intersection: number;
  /** |P| */
  predicted: number;
  /** |T| */
  truth: number;
  /** All pixels of the sample. */
  pixels: number;
}

/** The foreground IoU of one sample; 1 when prediction and truth are both empty. */
export function sampleIoU(c: SampleCounts): number {
  const union = c.predicted + c.truth - c.intersection;
  return union === 0 ? 1 : c.intersection / union;
}

/** The Dice coefficient of one sample; 1 when prediction and truth are both empty. */
export function sampleDice(c: SampleCounts): number {
  const total = c.predicted + c.truth;
  return total === 0 ? 1 : (2 * c.intersection) / total;
}

/** Standard error of a mean from its sum and sum of squares over `n` values (sample variance); 0 for n <= 1. */
function standardError(sum: number, squareSum: number, n: number): number {
  if (n <= 1) return 0;
  const mean = sum / n;
  return Math.sqrt(Math.max(0, (squareSum - n * mean * mean) / (n - 1)) / n);
}

/** Sums over samples for one source at one threshold. */
export class MetricsTally {
  private samples = 0;
  private pixels = 0;
  private iouSum = 0;
  private iouSquareSum = 0;
  private diceSum = 0;
  private hitsAbove50 = 0;
  private hitsAbove70 = 0;
  private hitsAbove90 = 0;
  private intersectionSum = 0;
  private unionSum = 0;
  private correctPixels = 0;
  private predictedPixels = 0;
  private truthPixels = 0;
  private readonly labels = new Map<string, { iouSum: number; iouSquareSum: number; count: number }>();

  /** Adds one sample's counts; `label` (if any) joins its per-label split. */
  addSample(c: SampleCounts, label?: string): void {
    const iou = sampleIoU(c);
    const union = c.predicted + c.truth - c.intersection;
    this.samples++;
    this.pixels += c.pixels;
    this.iouSum += iou;
    this.iouSquareSum += iou * iou;
    this.diceSum += sampleDice(c);
    if (iou > 0.5) this.hitsAbove50++;
    if (iou > 0.7) this.hitsAbove70++;
    if (iou > 0.9) this.hitsAbove90++;
    this.intersectionSum += c.intersection;
    this.unionSum += union;
    this.correctPixels += c.pixels - (union - c.intersection);
    this.predictedPixels += c.predicted;
    this.truthPixels += c.truth;
    if (label !== undefined) {
      const split = this.labels.get(label) ?? { iouSum: 0, iouSquareSum: 0, count: 0 };
      split.iouSum += iou;
      split.iouSquareSum += iou * iou;
      split.count++;
      this.labels.set(label, split);
    }
  }

  /** The metrics so far, with `bceSum` (summed over all pixels by the caller) turned into a mean. Throws with no samples. */
  summary(bceSum: number): Metrics {
    const n = this.samples;
    if (n === 0) throw new Error('metrics: no samples were added');
    const meanIoU = this.iouSum / n;
    const metrics: Metrics = {
      bce: bceSum / this.pixels,
      pixelAccuracy: this.correctPixels / this.pixels,
      meanIoU,
      meanIoUStdError: standardError(this.iouSum, this.iouSquareSum, n),
      overallIoU: this.unionSum === 0 ? 1 : this.intersectionSum / this.unionSum,
      dice: this.diceSum / n,
      precisionAt50: this.hitsAbove50 / n,
      precisionAt70: this.hitsAbove70 / n,
      precisionAt90: this.hitsAbove90 / n,
      predictedForeground: this.predictedPixels / this.pixels,
      trueForeground: this.truthPixels / this.pixels,
      samples: n,
      pixels: this.pixels,
    };
    if (this.labels.size > 0) {
      const byLabel: Record<string, LabelSplit> = {};
      for (const [label, { iouSum, iouSquareSum, count }] of this.labels) {
        byLabel[label] = { meanIoU: iouSum / count, count, meanIoUStdError: standardError(iouSum, iouSquareSum, count) };
      }
      metrics.byLabel = byLabel;
    }
    return metrics;
  }
}
