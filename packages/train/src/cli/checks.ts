/**
 * Checks of a training run's sizes and data, made before anything large is built and before any
 * GPU work, each naming the flag to change:
 *   - the image side against what the data source can give (synthetic scenes need 24 pixels);
 *   - the batch against the training set (a batch larger than the data is refused up front);
 *   - the splits the data source actually made (a 0-sample validation or evaluation set is
 *     refused; a split smaller than asked, and rows skipped with --skip-bad, are printed);
 *   - instructions longer than the token limit (counted and printed, with the limit);
 * and the hint added to a DeviceLimitError (a tensor too large for this adapter): which flags
 * size the tensors.
 */
import type { BertTokenizer } from '@fusion/models';
import { formatBytes, type DeviceLimitError } from '@fusion/tensor';
import { SYNTHETIC_SIZE_RANGE } from '../data/index.js';
import type { DataSource } from '../loop/data-source.js';
import { UsageError } from './args.js';

/** Refuses an image side synthetic scenes cannot be drawn at. */
export function checkSyntheticSize(size: number): void {
  const [min, max] = SYNTHETIC_SIZE_RANGE;
  if (size < min || size > max) throw new UsageError(`--size ${size}: synthetic scenes are drawn at ${min} to ${max} pixels (smaller, the shapes blur into one another)`);
}

/** Refuses a batch larger than the training samples of an epoch (before any sample is built). */
export function checkBatch(batch: number, train: number): void {
  if (batch > train) throw new UsageError(`--batch ${batch} is larger than the training set (${train} samples per epoch, --train): lower --batch or raise --train`);
}

/** The split sizes asked for on the command line (or by the preset). */
export interface AskedCounts {
  train: number;
  validation: number;
  eval: number;
}

/**
 * Checks the splits a data source made against what was asked and the batch; returns console
 * lines for splits smaller than asked and for skipped rows, and throws for an unusable split.
 */
export function checkSplits(data: DataSource, asked: AskedCounts, batch: number): string[] {
  const got = { train: data.trainPerEpoch, validation: data.validation.length, eval: data.evaluation.length };
  if (got.validation === 0) throw new Error(`${data.name}: the validation split is empty (asked --validation ${asked.validation}; ${got.train} training pairs): give more data or fewer --train pairs`);
  if (got.eval === 0) throw new Error(`${data.name}: the evaluation split is empty (asked --eval ${asked.eval}): give more data or fewer --train / --validation pairs`);
  if (batch > got.train) throw new UsageError(`--batch ${batch} is larger than the ${got.train} training samples ${data.name} gives per epoch: lower --batch`);
  const lines: string[] = [];
  for (const key of ['train', 'validation', 'eval'] as const) {
    if (got[key] < asked[key]) lines.push(`data: ${key === 'eval' ? 'evaluation' : key}: ${asked[key]} asked, ${got[key]} used (the data has no more)`);
  }
  const skipped = Object.entries(data.skipped);
  if (skipped.length) {
    const total = skipped.reduce((n, [, v]) => n + v, 0);
    lines.push(`data: skipped ${total} bad row${total > 1 ? 's' : ''} (--skip-bad): ${skipped.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return lines;
}

/** Tokens of `text` with the special tokens (what the model's limit counts). */
export function tokenCount(tokenizer: BertTokenizer, text: string): number {
  return tokenizer.encode(text).ids.length;
}

/** A console line when some instructions are longer than the model's token limit, else null. */
export function truncationNote(tokenizer: BertTokenizer, texts: readonly string[], maxTokens: number, what: string): string | null {
  let cut = 0;
  let longest = 0;
  for (const t of texts) {
    const n = tokenCount(tokenizer, t);
    if (n > maxTokens) cut++;
    longest = Math.max(longest, n);
  }
  if (cut === 0) return null;
  return `${what}: ${cut} of ${texts.length} instructions are longer than the model's ${maxTokens}-token limit (longest: ${longest} tokens) and are cut to their first ${maxTokens} tokens`;
}

/** The message of a DeviceLimitError with the flags that size the tensors. */
export function limitHint(e: DeviceLimitError, batch: number, size: number): string {
  return `${e.message}. This adapter cannot hold it: lower --batch (now ${batch}) or --size (now ${size}); the limit is ${formatBytes(e.limitBytes)} (${e.limit})`;
}
