/**
 * The run report's input: everything a training run measured (per fusion head: metrics at both
 * thresholds, per-kind split, timing, curves), the baselines, a few examples with their pixels, and
 * the context needed to reproduce it (command, config, machine). The training loop fills it; the
 * writers in this folder turn it into files. Pure types.
 *
 * Layouts: example images are planar CHW RGB float32 in [0, 1]; masks and probabilities are (H, W).
 */
import type { LabelSplit, MetricsByThreshold, ThresholdKey } from '../metrics/types.js';

/** Where the run ran. */
export interface MachineInfo {
  /** The WebGPU adapter's description (vendor, architecture, device, driver). */
  adapter: string;
  cpus: number;
  os: string;
}

/** A dataset's name and sizes. */
export interface DatasetInfo {
  name: string;
  train: number;
  eval: number;
  /** Eval samples per instruction kind, when the dataset has kinds (the report lists kinds in this order). */
  kinds?: Record<string, number>;
  /** Eval samples whose target combination was / was not in training (`--holdout`). */
  holdout?: { seen: number; unseen: number };
  /** Eval samples whose mask is empty (the all-background baseline scores 1 on exactly these). */
  emptyMasks?: number;
}

/** One fusion head's training and evaluation. */
export interface FusionResult {
  fusion: string;
  parameters: number;
  trainSeconds: number;
  imagesPerSecond: number;
  epochs: number;
  /** The epoch whose weights were evaluated. */
  bestEpoch: number;
  stoppedEarly: boolean;
  metrics: MetricsByThreshold;
  /**
   * Mean IoU per instruction kind at the study threshold (0.7); only read when `metrics[t].byLabel`
   * is absent, since that carries the split at each threshold.
   */
  byKind?: Record<string, LabelSplit>;
  /** Training loss per optimizer step. */
  lossCurve: { step: number; loss: number }[];
  /** Validation loss (plain BCE) and mean IoU at threshold 0.5 after each epoch. */
  evalCurve: { epoch: number; loss: number; meanIoU: number }[];
  /** Training samples the head saw (per seed; equal across heads when the budgets are equal). */
  trainSamples?: number;
  /** Set when training stopped on a non-finite loss or weights: where and why. Such a head is never ranked. */
  diverged?: { step: number; epoch: number; reason: string };
  /**
   * Eval mean IoU on the samples whose target combination was (`seen`) or was not (`unseen`) in the
   * training set (`--holdout`), per threshold; also per instruction kind (`seen/meaning`, ...), for
   * the kind-matched comparison of report/holdout.ts.
   */
  holdout?: Partial<Record<ThresholdKey, Record<string, LabelSplit>>>;
  /** The seed of this training (one entry of `seeds`) or of the first seed. */
  seed?: number;
  /**
   * With several seeds: each seed's own result (the top-level metrics are then their mean, see
   * report/seeds.ts) and the standard deviation over seeds of the mean IoUs.
   */
  seeds?: FusionResult[];
  seedSpread?: Partial<Record<ThresholdKey, SeedSpread>>;
  /** What distinguishes this head (the "how the heads differ" table). */
  traits?: HeadTraitsRow;
}

/** Standard deviation over seeds (sample sd, n - 1; 0 for one seed) of mean IoUs at one threshold. */
export interface SeedSpread {
  seeds: number;
  meanIoU: number;
  byLabel?: Record<string, number>;
  holdout?: Record<string, number>;
}

/** A head's design, for the "how the heads differ" table (from @fusion/models' headTraits). */
export interface HeadTraitsRow {
  coords: boolean;
  residualImagePath: boolean;
  attention: 'none' | 'text-queries' | 'pixel-queries';
  decoderInputChannels: number;
  /** Parameters of the fusion head alone. */
  parameters: number;
}

/** A trivial baseline measured on the same eval set. */
export interface BaselineResult {
  name: string;
  metrics: MetricsByThreshold;
}

/** A low-resolution attention map over the image (e.g. the feature-map grid), any non-negative scale. */
export interface AttentionMap {
  width: number;
  height: number;
  /** height * width values, row-major. */
  map: Float32Array;
}

/** One eval example to draw: the image, the instruction, the true mask, each head's probabilities. */
export interface ExampleRow {
  width: number;
  height: number;
  /** CHW RGB in [0, 1], 3 * height * width. */
  image: Float32Array;
  instruction: string;
  kind?: string;
  /** height * width, 0/1. */
  trueMask: Uint8Array;
  /** Per fusion head: foreground probabilities, height * width. */
  predicted: Record<string, Float32Array>;
  /** Per fusion head that returns attention: its map, resized to the image when drawn. */
  attention?: Record<string, AttentionMap>;
}

/** Everything one run reports. */
export interface RunReport {
  title: string;
  /** ISO 8601 time the run started. */
  createdAt: string;
  /** The exact command line. */
  command: string;
  machine: MachineInfo;
  /** Preset, sizes, epochs, learning rate, seed, data source. */
  config: Record<string, unknown>;
  dataset: DatasetInfo;
  fusions: FusionResult[];
  baselines: BaselineResult[];
  examples: ExampleRow[];
  wallSeconds: number;
  notes: string[];
}
