/**
 * The synthetic data source of a run (Node-free: `pnpm train` and the page's Train tab share it).
 * Three disjoint streams: training batches, a validation set (model selection) and the evaluation
 * set the reported metrics are computed on. Training sample i of step s is index s*B + i of the
 * training seed (fresh samples every step, a pure function of the step, so a resumed run sees the
 * same data); validation and evaluation use their own seeds. `withTrainSeed` gives the same
 * validation and evaluation sets with another training stream (`--seeds`).
 */
import { generateBatch, type Holdout, type SyntheticOptions } from '../data/synthetic.js';
import type { Sample } from '../data/types.js';

export interface DataSource {
  name: string;
  /** Training samples per epoch. */
  trainPerEpoch: number;
  validation: Sample[];
  evaluation: Sample[];
  /** The training batch of `step` (global step index; epoch = floor(step / stepsPerEpoch)). */
  trainBatch(step: number, batch: number): Sample[];
  /** Masks of up to `n` training samples, for the mean-mask prior baseline. */
  priorSamples(n: number): Sample[];
  /** Counts of skipped rows by reason (MagicBrush with skipBad). */
  skipped: Record<string, number>;
  /** The same validation and evaluation sets with the training stream of `seed`. */
  withTrainSeed(seed: number): DataSource;
  /** The held-out split, when the evaluation samples are labelled seen / unseen. */
  holdout?: Holdout;
}

export interface SyntheticSourceOptions {
  seed: number;
  size: number;
  train: number;
  validation: number;
  eval: number;
  synthetic?: Partial<SyntheticOptions>;
  /** Held-out combinations: never in training or validation targets; eval samples labelled seen / unseen. */
  holdout?: Holdout;
}

/** Seeds of the three synthetic streams, derived from the run seed. */
export function syntheticSeeds(seed: number): { train: number; validation: number; evaluation: number } {
  return { train: seed * 3 + 1, validation: seed * 3 + 2, evaluation: seed * 3 + 3 };
}

export function syntheticSource(o: SyntheticSourceOptions): DataSource {
  const seeds = syntheticSeeds(o.seed);
  const opts = (seed: number, role: 'exclude' | 'label'): SyntheticOptions => ({
    ...o.synthetic, seed, size: o.size, ...(o.holdout ? { holdout: { split: o.holdout, role } } : {}),
  });
  const validation = generateBatch(opts(seeds.validation, 'exclude'), 0, o.validation);
  const evaluation = generateBatch(opts(seeds.evaluation, 'label'), 0, o.eval);
  const source = (trainSeed: number): DataSource => ({
    name: o.holdout ? 'synthetic (holdout split)' : 'synthetic',
    trainPerEpoch: o.train,
    validation,
    evaluation,
    trainBatch: (step, batch) => generateBatch(opts(trainSeed, 'exclude'), step * batch, batch),
    priorSamples: (n) => generateBatch(opts(trainSeed, 'exclude'), 0, n),
    skipped: {},
    withTrainSeed: (seed) => source(syntheticSeeds(seed).train),
    ...(o.holdout ? { holdout: o.holdout } : {}),
  });
  return source(seeds.train);
}

