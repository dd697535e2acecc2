/**
 * The run's selection criterion and training budget in words, for the report's notes and the cost
 * table (so the criterion is stated where the kept epochs are shown): which validation score picks
 * the kept weights (`config.select`), whether early stopping can cut a head short
 * (`config.patience`), and whether every head saw the same number of training samples (from each
 * seed's `trainSamples`). Pure functions.
 */
import { formatCount } from './format.js';
import type { FusionResult, RunReport } from './types.js';

/** Which weights are kept and whether training stops early, from the run's config; undefined when the config does not say. */
export function selectionCriterion(config: RunReport['config']): string | undefined {
  const select = config.select;
  if (select !== 'bce' && select !== 'miou') return undefined;
  const score = select === 'bce' ? 'validation BCE' : 'validation mean IoU';
  const kept = select === 'bce'
    ? 'the kept weights are those of the epoch with the lowest validation BCE (plain BCE, threshold-free, so a head still at mIoU 0 is selected by how close it is)'
    : 'the kept weights are those of the epoch with the best validation mean IoU at threshold 0.5 (ties broken by BCE)';
  const patience = typeof config.patience === 'number' ? config.patience : 0;
  const stopping = patience > 0
    ? `early stopping after ${patience} epochs without a better ${score}, so heads may see different numbers of training samples`
    : 'no early stopping, so every head trains every epoch';
  return `Selection (--select ${select}): ${kept}; ${stopping}.`;
}

/** Whether every head saw the same number of training samples per seed, in one sentence; undefined when unknown. */
export function budgetSentence(fusions: readonly FusionResult[]): string | undefined {
  const samples = fusions.flatMap((f) => (f.seeds && f.seeds.length > 0 ? f.seeds : [f]).map((r) => r.trainSamples));
  if (samples.length === 0 || samples.some((s) => s === undefined)) return undefined;
  const distinct = [...new Set(samples)];
  return distinct.length === 1
    ? `Every head saw ${formatCount(distinct[0]!)} training samples per seed: equal budgets.`
    : `Budgets differ: heads saw between ${formatCount(Math.min(...(samples as number[])))} and ${formatCount(Math.max(...(samples as number[])))} training samples per seed.`;
}
