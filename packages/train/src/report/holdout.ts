/**
 * Seen against unseen combinations (`--holdout`), compared like for like. The unseen eval samples
 * do not have the seen ones' mix of instruction kinds (a held-out relation occurs only in
 * relational instructions, a held-out position phrase only in position ones), and the kinds differ
 * in difficulty, so a raw seen − unseen gap mixes generalisation with kind mix. The kind-matched
 * seen score reweights the seen samples' per-kind mean IoUs to the unseen samples' kind counts:
 *   seen* = Σ_k w_k · seen_k  with  w_k = n_unseen,k / n_unseen,   s.e.(seen*) = sqrt(Σ_k w_k² se_k²).
 * Split labels (evaluate.ts): `seen`, `unseen`, and per kind `seen/<kind>`, `unseen/<kind>`.
 * Without per-kind labels (or with an unseen kind that has no seen sample) the raw seen score is
 * used and marked as not matched. Pure functions.
 */
import type { LabelSplit, ThresholdKey } from '../metrics/types.js';
import { meanAndSd, seedCount } from './seeds.js';
import type { FusionResult } from './types.js';

/** The split label of a sample that is `seen` or `unseen` and of instruction kind `kind`. */
export function holdoutKindLabel(holdout: string, kind: string): string {
  return `${holdout}/${kind}`;
}

/** The seen score reweighted to the unseen samples' kind mix, or undefined when the split cannot give it. */
export function kindMatchedSeen(split: Record<string, LabelSplit>): LabelSplit | undefined {
  const unseen = Object.entries(split).filter(([label]) => label.startsWith('unseen/'));
  const total = unseen.reduce((s, [, v]) => s + v.count, 0);
  if (unseen.length === 0 || total === 0) return undefined;
  let meanIoU = 0;
  let variance = 0;
  let count = 0;
  for (const [label, u] of unseen) {
    const seen = split[holdoutKindLabel('seen', label.slice('unseen/'.length))];
    if (!seen || seen.count === 0 || Number.isNaN(seen.meanIoU)) return undefined;
    const w = u.count / total;
    meanIoU += w * seen.meanIoU;
    variance += w * w * (seen.meanIoUStdError ?? 0.5 / Math.sqrt(seen.count)) ** 2;
    count += seen.count;
  }
  return { meanIoU, count, meanIoUStdError: Math.sqrt(variance) };
}

/** A head's seen and unseen scores at one threshold, with their sd over seeds when it has several. */
export interface HoldoutScores {
  /** Kind-matched when `matched`, else the raw seen score. */
  seen: LabelSplit;
  unseen: LabelSplit;
  matched: boolean;
  seenSd?: number;
  unseenSd?: number;
}

/** The seen (kind-matched where possible) and unseen scores of a head at `key`, or undefined without a split. */
export function holdoutScores(f: FusionResult, key: ThresholdKey): HoldoutScores | undefined {
  const split = f.holdout?.[key];
  if (!split?.seen || !split.unseen) return undefined;
  const matched = kindMatchedSeen(split);
  const several = seedCount(f) > 1;
  const spread = f.seedSpread?.[key]?.holdout;
  let seenSd = several ? spread?.seen : undefined;
  if (matched && several) {
    const perSeed = (f.seeds ?? []).map((r) => (r.holdout?.[key] ? kindMatchedSeen(r.holdout[key]!) : undefined));
    seenSd = perSeed.every((s) => s !== undefined) ? meanAndSd(perSeed.map((s) => s!.meanIoU)).sd : undefined;
  }
  return {
    seen: matched ?? split.seen, unseen: split.unseen, matched: matched !== undefined,
    ...(seenSd !== undefined ? { seenSd } : {}), ...(several && spread?.unseen !== undefined ? { unseenSd: spread.unseen } : {}),
  };
}
