/**
 * The run's headline numbers per head, as metrics.json's `summary` (what `scripts/study-table.mjs`
 * prints as the README's table, with no metric code of its own): whether the head is ranked by the
 * answer's rules, and at each threshold its mean IoU with the sd over seeds, and with `--holdout`
 * the seen, kind-matched seen and unseen mean IoUs with their sds. Pure function.
 */
import { THRESHOLD_KEYS, type ThresholdKey } from '../metrics/types.js';
import { hasDiverged, neverLeftBackground } from './answer-rules.js';
import { holdoutScores } from './holdout.js';
import { seedCount } from './seeds.js';
import type { RunReport } from './types.js';

/** One head's numbers at one threshold (sd: over seeds, only with several). */
export interface ThresholdSummary {
  meanIoU: number;
  sd?: number;
  holdout?: {
    seen: number; seenSd?: number;
    /** The seen score reweighted to the unseen samples' kind mix (absent when the split cannot give it). */
    seenKindMatched?: number; seenKindMatchedSd?: number;
    unseen: number; unseenSd?: number;
    unseenCount: number;
  };
}

/** One head's line of the summary. */
export interface HeadSummary {
  fusion: string;
  seeds: number;
  /** As the answer treats it at the study threshold: ranked, diverged, or never left background (not ranked). */
  status: 'ranked' | 'diverged' | 'never left background';
  thresholds: Partial<Record<ThresholdKey, ThresholdSummary>>;
}

/** The summary of every head of the report, in report order. */
export function headSummaries(report: RunReport): HeadSummary[] {
  return report.fusions.map((f) => {
    const several = seedCount(f) > 1;
    const thresholds: HeadSummary['thresholds'] = {};
    for (const key of THRESHOLD_KEYS) {
      const m = f.metrics[key];
      if (!m) continue;
      const t: ThresholdSummary = { meanIoU: m.meanIoU };
      const sd = f.seedSpread?.[key]?.meanIoU;
      if (several && sd !== undefined) t.sd = sd;
      const h = holdoutScores(f, key);
      if (h) {
        const seen = f.holdout![key]!.seen;
        const seenSd = f.seedSpread?.[key]?.holdout?.seen;
        t.holdout = {
          seen: seen.meanIoU, ...(several && seenSd !== undefined ? { seenSd } : {}),
          ...(h.matched ? { seenKindMatched: h.seen.meanIoU, ...(h.seenSd !== undefined ? { seenKindMatchedSd: h.seenSd } : {}) } : {}),
          unseen: h.unseen.meanIoU, ...(h.unseenSd !== undefined ? { unseenSd: h.unseenSd } : {}),
          unseenCount: h.unseen.count,
        };
      }
      thresholds[key] = t;
    }
    const diverged = THRESHOLD_KEYS.some((k) => f.metrics[k] && hasDiverged(f, k));
    const status: HeadSummary['status'] = diverged ? 'diverged' : neverLeftBackground(f) ? 'never left background' : 'ranked';
    return { fusion: f.fusion, seeds: seedCount(f), status, thresholds };
  });
}
