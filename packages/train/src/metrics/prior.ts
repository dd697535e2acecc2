/**
 * The mean-mask prior: the per-pixel mean of the training masks, the probability a model that ignores
 * the image and the instruction would predict. Accumulated batch by batch, in float64.
 * Shape: masks (B, H, W) or (B, 1, H, W), 0/1 -> prior (H, W) float32 in [0, 1].
 */

/** Sums training masks pixel by pixel. */
export class MeanMaskPrior {
  private readonly sums: Float64Array;
  private count = 0;

  constructor(readonly pixelsPerSample: number) {
    if (!(Number.isInteger(pixelsPerSample) && pixelsPerSample > 0)) {
      throw new Error(`MeanMaskPrior: pixelsPerSample must be a positive integer, got ${pixelsPerSample}`);
    }
    this.sums = new Float64Array(pixelsPerSample);
  }

  /** Adds a batch of masks (a whole number of samples; values 0 or 1). */
  add(masks: Float32Array | Uint8Array): void {
    const hw = this.pixelsPerSample;
    if (masks.length % hw !== 0) throw new Error(`MeanMaskPrior.add: ${masks.length} values is not a whole number of ${hw}-pixel masks`);
    for (let i = 0; i < masks.length; i++) {
      const v = masks[i];
      if (v !== 0 && v !== 1) throw new Error(`MeanMaskPrior.add: mask value ${v} at index ${i} is not 0 or 1`);
    }
    for (let offset = 0; offset < masks.length; offset += hw) {
      for (let i = 0; i < hw; i++) this.sums[i] += masks[offset + i];
      this.count++;
    }
  }

  /** Masks added so far. */
  get samples(): number {
    return this.count;
  }

  /** The per-pixel mean so far. Throws when no mask was added. */
  result(): Float32Array {
    if (this.count === 0) throw new Error('MeanMaskPrior: no masks were added');
    return Float32Array.from(this.sums, (s) => s / this.count);
  }
}
