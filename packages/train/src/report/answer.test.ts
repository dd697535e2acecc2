/**
 * The answer's rules on made-up metrics, each in both directions: a sentence appears when the
 * numbers say so and not (or the opposite one does) when they do not.
 */
import { describe, expect, it } from 'vitest';
import type { LabelSplit, Metrics, MetricsByThreshold } from '../metrics/types.js';
import { writeAnswer } from './answer.js';
import { aggregateSeeds } from './seeds.js';
import type { FusionResult, RunReport } from './types.js';

/** Metrics with the given mean IoU (and anything else overridden); s.e. 0.01 unless set. */
function metrics(meanIoU: number, extra: Partial<Metrics> = {}): Metrics {
  return {
    bce: 0.2, pixelAccuracy: 0.9, meanIoU, meanIoUStdError: 0.01, overallIoU: meanIoU, dice: meanIoU,
    precisionAt50: meanIoU, precisionAt70: meanIoU / 2, precisionAt90: meanIoU / 4,
    predictedForeground: 0.08, trueForeground: 0.08, samples: 300, pixels: 300 * 1024, ...extra,
  };
}

const both = (iou07: number, iou05 = iou07, extra: Partial<Metrics> = {}): MetricsByThreshold => ({ '0.5': metrics(iou05, extra), '0.7': metrics(iou07, extra) });
/** Background at every threshold: 0.1% of pixels foreground against 8%. */
const background = (iou = 0.0) => both(iou, iou, { predictedForeground: 0.001 });

function fusion(name: string, m: MetricsByThreshold, extra: Partial<FusionResult> = {}): FusionResult {
  return { fusion: name, parameters: 1000, trainSeconds: 10, imagesPerSecond: 100, epochs: 3, bestEpoch: 3, stoppedEarly: false, metrics: m, lossCurve: [], evalCurve: [], ...extra };
}

/** A head trained once per given 0.7 mean IoU (seeds 0, 1, ...), folded by aggregateSeeds. */
function seeded(name: string, ious: number[], extra: (iou: number, seed: number) => Partial<FusionResult> = () => ({})): FusionResult {
  return aggregateSeeds(ious.map((iou, seed) => fusion(name, both(iou), { seed, ...extra(iou, seed) })));
}

const noEmpty = [{ name: 'all-background', metrics: both(0) }];

function report(fusions: FusionResult[], baselines: RunReport['baselines'] = [{ name: 'all-background', metrics: both(0.05) }], dataset: Partial<RunReport['dataset']> = {}): RunReport {
  return {
    title: 't', createdAt: '2025-01-01', command: 'pnpm train', machine: { adapter: 'a', cpus: 2, os: 'linux' }, config: {},
    dataset: { name: 'synthetic', train: 1000, eval: 300, ...dataset }, fusions, baselines, examples: [], wallSeconds: 1, notes: [],
  };
}

function withKinds(m: MetricsByThreshold, kinds: Record<string, number>, stdError = 0.02): MetricsByThreshold {
  const byLabel: Record<string, LabelSplit> = {};
  for (const [k, v] of Object.entries(kinds)) byLabel[k] = { meanIoU: v, count: 100, meanIoUStdError: stdError };
  return { '0.5': { ...m['0.5'], byLabel }, '0.7': { ...m['0.7'], byLabel } };
}

describe('writeAnswer: ranking and the noise rule', () => {
  it('names the best head, and follows the numbers when they change', () => {
    const a = writeAnswer(report([fusion('concat', both(0.4)), fusion('cross-pixel', both(0.62))]));
    expect(a).toContain('cross-pixel has the highest mean IoU (0.620; u = 0.010)');
    expect(a).toContain('clearly ahead of every other ranked head; the next, concat (0.400), trails by more than the noise (gap 0.220 against a noise level of about 0.028)');
    const b = writeAnswer(report([fusion('concat', both(0.7)), fusion('cross-pixel', both(0.62))]));
    expect(b).toContain('concat has the highest mean IoU (0.700');
    expect(b).toContain('the next, cross-pixel (0.620)');
  });

  it('says when the lead is within noise, and not otherwise', () => {
    const close = writeAnswer(report([fusion('outer', both(0.5, 0.5, { meanIoUStdError: 0.02 })), fusion('cross-text', both(0.49, 0.49, { meanIoUStdError: 0.02 }))]));
    expect(close).toContain('outer has the highest mean IoU');
    expect(close).toContain('Its lead over cross-text (0.490; gap 0.010 against a noise level of about 0.057) is within the noise, so the two are not clearly different.');
    expect(close).not.toContain('clearly ahead');
    const far = writeAnswer(report([fusion('outer', both(0.5)), fusion('cross-text', both(0.3))]));
    expect(far).toContain('clearly ahead');
    expect(far).not.toContain('within the noise');
  });

  it('names every head within noise of the best, not only the second', () => {
    // third: 0.45 with s.e. 0.1 -> noise 2·sqrt(0.01² + 0.1²) = 0.201 > gap 0.15; second: 0.5, noise 0.028 < gap 0.1
    const a = writeAnswer(report([fusion('a', both(0.6)), fusion('b', both(0.5)), fusion('c', both(0.45, 0.45, { meanIoUStdError: 0.1 })), fusion('d', both(0.2))]));
    expect(a).toContain('Its lead over c (0.450; gap 0.150 against a noise level of about 0.201) is within the noise, so the two are not clearly different.');
    expect(a).toContain('It is clearly ahead of the others: 0.500 (b) and 0.200 (d).');
    const four = writeAnswer(report([fusion('a', both(0.6)), fusion('b', both(0.5)), fusion('d', both(0.2))]));
    expect(four).toContain('the next, b (0.500), trails by more than the noise');
    expect(four).toContain('The others reach 0.200 (d).');
  });

  it('lets the spread over seeds decide: the same means are ahead with agreeing seeds, within noise with scattered ones', () => {
    const steady = writeAnswer(report([seeded('cross-pixel', [0.6, 0.6, 0.6]), seeded('concat', [0.5, 0.5, 0.5])]));
    expect(steady).toContain('cross-pixel has the highest mean IoU (0.600 ± 0.000 sd over seeds; u = 0.010)');
    expect(steady).toContain('clearly ahead');
    const scattered = writeAnswer(report([seeded('cross-pixel', [0.4, 0.6, 0.8]), seeded('concat', [0.5, 0.5, 0.5])]));
    // u = sqrt(0.01² + 0.2²/3) = 0.116; noise 2·sqrt(0.116² + 0.01²) = 0.233 > 0.1
    expect(scattered).toContain('cross-pixel has the highest mean IoU (0.600 ± 0.200 sd over seeds; u = 0.116)');
    expect(scattered).toContain('Its lead over concat (0.500 ± 0.000 sd over seeds; gap 0.100 against a noise level of about 0.233) is within the noise');
    expect(scattered).not.toContain('clearly ahead');
  });

  it('says a single-seed run is single-seed, and a several-seed run is not', () => {
    const single = writeAnswer(report([fusion('concat', both(0.4))]));
    expect(single).toMatch(/^This is a single-seed run: each head was trained once/);
    const several = writeAnswer(report([seeded('concat', [0.4, 0.5, 0.45])]));
    expect(several).toMatch(/^Each head was trained 3 times \(different initial weights and data order, the same eval set\)/);
    expect(several).not.toContain('single-seed');
  });
});

describe('writeAnswer: baselines and empty masks', () => {
  it('says "no better than the all-background baseline" exactly when that is true', () => {
    const bg = { name: 'all-background', metrics: both(0.3, 0.3, { meanIoUStdError: 0.03 }) };
    const weak = writeAnswer(report([fusion('concat', both(0.31)), fusion('outer', both(0.28))], [bg]));
    expect(weak).toContain('no better than the all-background baseline');
    expect(weak).toContain('does not show that any fusion learned');
    const strong = writeAnswer(report([fusion('concat', both(0.6)), fusion('outer', both(0.58))], [bg]));
    expect(strong).not.toContain('no better than the all-background');
    expect(strong).toContain('concat beats the all-background baseline (mIoU 0.300');
    const mixed = writeAnswer(report([fusion('concat', both(0.6)), fusion('outer', both(0.31))], [bg]));
    expect(mixed).toContain('Of the other heads, outer is no better than the all-background baseline.');
  });

  it('does not claim the best head beats the baseline when only a steadier head does', () => {
    const bg = { name: 'all-background', metrics: both(0.3, 0.3, { meanIoUStdError: 0.01 }) };
    const a = writeAnswer(report([fusion('shaky', both(0.45, 0.45, { meanIoUStdError: 0.1 })), fusion('steady', both(0.42))], [bg]));
    expect(a).toContain("Against the baselines, shaky's lead over the all-background baseline");
    expect(a).toContain('is within its noise, while steady is clearly above it.');
    expect(a).not.toContain('shaky beats');
  });

  it('compares with the mean-mask prior', () => {
    const baselines = [{ name: 'all-background', metrics: both(0.05) }, { name: 'mean-mask prior', metrics: both(0.3) }];
    expect(writeAnswer(report([fusion('concat', both(0.6))], baselines))).toContain('and the mean-mask prior (0.300) by 0.300');
    expect(writeAnswer(report([fusion('concat', both(0.31))], baselines))).toContain('but not clearly the mean-mask prior (0.300)');
  });

  it('mentions empty masks only when some eval mask is empty', () => {
    const none = writeAnswer(report([fusion('cross-pixel', both(0.5)), fusion('concat', background())], noEmpty, { emptyMasks: 0 }));
    expect(none).toContain('the all-background baseline (mIoU 0.000: no eval mask is empty, so it scores 0)');
    expect(none).toContain('The concat head never left background');
    expect(none).toContain('its mean IoU at 0.7 is 0.000.');
    expect(none).not.toContain('whose mask is empty');
    // 15 of 300 masks empty: the baseline scores exactly those; a background head scores no more
    const bg = [{ name: 'all-background', metrics: both(0.05) }];
    const some = writeAnswer(report([fusion('cross-pixel', both(0.5)), fusion('concat', background(0.05))], bg, { emptyMasks: 15 }));
    expect(some).toContain('(mIoU 0.050: it scores 1 on the 5.0% of eval samples whose mask is empty and 0 elsewhere)');
    expect(some).toContain("its mean IoU at 0.7 (0.050) is not clearly above the all-background baseline's (0.050), which scores only the 5.0% of eval samples whose mask is empty.");
  });
});

describe('writeAnswer: heads that are not ranked', () => {
  it('names a head that never left background and does not rank it', () => {
    const a = writeAnswer(report([fusion('cross-text', both(0.5)), fusion('film', both(0.3)), fusion('outer', background())], noEmpty));
    expect(a).toContain('The outer head never left background: even at threshold 0.5 it predicts almost no foreground (0.1% of pixels against 8.0% in the truth), so it is not ranked');
    expect(a).not.toContain('The cross-text head never left background');
    expect(a).not.toMatch(/\(outer\)|outer \(0/);
    expect(writeAnswer(report([fusion('outer', background()), fusion('concat', background())], noEmpty))).toContain('No head is left to rank');
  });

  it('ranks a head that predicts background only at the study threshold, and says so', () => {
    const onlyAt07: MetricsByThreshold = { '0.5': metrics(0.26, { predictedForeground: 0.056 }), '0.7': metrics(0.004, { predictedForeground: 0.0004 }) };
    const a = writeAnswer(report([fusion('cross-pixel', both(0.4)), fusion('image-only', onlyAt07)], noEmpty));
    expect(a).not.toContain('image-only head never left background');
    expect(a).toContain('At threshold 0.7 the image-only head predicts almost no foreground (0.0% of pixels against 8.0% in the truth) but at 0.5 it does (5.6% of pixels, mean IoU 0.260): its probabilities rarely pass 0.7, so it is ranked by its low score there.');
    expect(a).toContain('the next, image-only (0.004)');
  });

  it('says which seeds of a ranked head never left background, and when all seeds did', () => {
    const stuckSeed = (_iou: number, seed: number) => (seed === 1 ? { metrics: background() } : {});
    const some = writeAnswer(report([seeded('cross-text', [0.5, 0, 0.5], stuckSeed), seeded('film', [0.3, 0.3, 0.3])], noEmpty));
    expect(some).toContain('In 1 of its 3 seeds (seed 1) the cross-text head never left background; its mean and its spread over seeds include that seed.');
    expect(some).not.toContain('the film head never left background');
    const all = writeAnswer(report([seeded('outer', [0, 0, 0], () => ({ metrics: background() })), seeded('film', [0.3, 0.3, 0.3])], noEmpty));
    expect(all).toContain('The outer head never left background in any of its 3 seeds: even at threshold 0.5');
  });

  it('names a diverged head and does not rank it', () => {
    expect(writeAnswer(report([]))).toBe('No fusion head was evaluated, so this run answers nothing yet.');
    const a = writeAnswer(report([fusion('concat', both(0.4)), fusion('film', both(0.3)), fusion('outer', both(0.05, 0.05, { bce: Number.NaN }))]));
    expect(a).toContain('The outer head diverged (its eval BCE or mean IoU is not a finite number), so it is not ranked.');
    expect(a).not.toContain('The concat head diverged');
    expect(a).not.toMatch(/\(outer\)|outer \(0/);
    const flagged = writeAnswer(report([fusion('concat', both(0.4)), fusion('film', both(0.6), { diverged: { step: 40, epoch: 1, reason: 'seed 2: loss is NaN' } })]));
    expect(flagged).toContain('The film head diverged (seed 2: loss is NaN, at step 40, epoch 1), so it is not ranked.');
    expect(flagged).toContain('concat has the highest mean IoU');
  });
});

describe('writeAnswer: kinds, holdout, threshold', () => {
  it('tells which head keeps meaning and position', () => {
    const baselines = [{ name: 'all-background', metrics: withKinds(both(0.05), { meaning: 0.05, position: 0.05 }) }];
    const oneKeepsBoth = writeAnswer(report([
      fusion('concat', withKinds(both(0.45), { meaning: 0.7, position: 0.2 })),
      fusion('cross-pixel', withKinds(both(0.68), { meaning: 0.71, position: 0.65 })),
    ], baselines));
    expect(oneKeepsBoth).toContain('So cross-pixel keeps both meaning and position');
    expect(oneKeepsBoth).toContain('cross-pixel on meaning (0.710; concat within noise; all-background 0.050)');

    const split = writeAnswer(report([
      fusion('concat', withKinds(both(0.5), { meaning: 0.8, position: 0.2 })),
      fusion('cross-pixel', withKinds(both(0.5), { meaning: 0.4, position: 0.6 })),
    ], baselines));
    expect(split).toContain('No single head keeps both: meaning is kept by concat, and position is kept by cross-pixel.');

    const nonePosition = writeAnswer(report([
      fusion('concat', withKinds(both(0.4), { meaning: 0.8, position: 0.06 })),
      fusion('outer', withKinds(both(0.3), { meaning: 0.5, position: 0.07 })),
    ], baselines));
    expect(nonePosition).toContain('no head clearly beats the baselines on position instructions');
  });

  /** A 0.7 holdout split: seen meaning / relational, unseen meaning / relational (unseen is mostly relational). */
  const held = (seenMeaning: number, seenRelational: number, unseenMeaning: number, unseenRelational: number): FusionResult['holdout'] => {
    const s = (meanIoU: number, count: number): LabelSplit => ({ meanIoU, count, meanIoUStdError: 0.01 });
    return { '0.7': {
      seen: s((3 * seenMeaning + seenRelational) / 4, 400), unseen: s((unseenMeaning + 3 * unseenRelational) / 4, 200),
      'seen/meaning': s(seenMeaning, 300), 'seen/relational': s(seenRelational, 100),
      'unseen/meaning': s(unseenMeaning, 50), 'unseen/relational': s(unseenRelational, 150),
    } };
  };

  it('compares unseen with kind-matched seen scores: drops, holds and gains', () => {
    const a = writeAnswer(report([
      fusion('cross-pixel', both(0.5), { holdout: held(0.7, 0.5, 0.5, 0.3) }), // matched seen 0.55, unseen 0.35
      fusion('film', both(0.3), { holdout: held(0.6, 0.2, 0.6, 0.2) }), // raw seen 0.5 vs unseen 0.3, but matched 0.3 = 0.3
      fusion('concat', both(0.2), { holdout: held(0.2, 0.1, 0.3, 0.2) }), // matched 0.125, unseen 0.225
    ], noEmpty));
    expect(a).toContain('On the 200 eval samples whose target combination never appeared in training (held out), cross-pixel is best (0.350).');
    expect(a).toContain('Clearly worse on unseen combinations than on seen combinations of the same kind mix, so partly tied to the combinations they were trained on: cross-pixel (0.550 seen, 0.350 unseen).');
    expect(a).toContain('Within noise of their score on seen combinations of the same kind mix: film.');
    expect(a).toContain('Clearly better on unseen combinations than on seen combinations of the same kind mix: concat (0.125 seen, 0.225 unseen).');
    expect(writeAnswer(report([fusion('cross-pixel', both(0.5))]))).not.toContain('held out');
  });

  it('names the heads within noise of the best on unseen combinations, and says when seen scores are not kind-matched', () => {
    const plain = (seen: number, unseen: number): FusionResult['holdout'] => ({ '0.7': { seen: { meanIoU: seen, count: 400, meanIoUStdError: 0.01 }, unseen: { meanIoU: unseen, count: 200, meanIoUStdError: 0.01 } } });
    const a = writeAnswer(report([fusion('a', both(0.5), { holdout: plain(0.5, 0.4) }), fusion('b', both(0.45), { holdout: plain(0.45, 0.395) })], noEmpty));
    expect(a).toContain('a is best (0.400; b within noise)');
    expect(a).toContain('Clearly worse on unseen combinations than on seen combinations (not matched by instruction kind): a (0.500 seen, 0.400 unseen) and b (0.450 seen, 0.395 unseen).');
    expect(a).not.toContain('partly tied');
  });

  it('says whether the other threshold changes the winner, by the same noise rule', () => {
    const clear = writeAnswer(report([fusion('concat', both(0.5, 0.7)), fusion('cross-pixel', both(0.6, 0.55))]));
    expect(clear).toContain('cross-pixel has the highest mean IoU');
    expect(clear).toContain('At threshold 0.5, concat leads instead (0.700 against 0.550 for cross-pixel), by more than the noise (about 0.028), so the ranking depends on the threshold.');
    const within = writeAnswer(report([fusion('concat', both(0.5, 0.56)), fusion('cross-pixel', both(0.6, 0.55))]));
    expect(within).toContain('At threshold 0.5, concat scores highest (0.560 against 0.550 for cross-pixel), but within the noise (about 0.028), so the threshold does not clearly change the winner.');
    expect(within).not.toContain('depends on the threshold');
    const same = writeAnswer(report([fusion('concat', both(0.5, 0.45)), fusion('cross-pixel', both(0.6, 0.55))]));
    expect(same).toContain('At threshold 0.5 the same head leads (0.550)');
  });
});
