/**
 * Opens a MagicBrush dataset in either of its two layouts and yields Samples:
 * - Hugging Face parquet: a folder (searched recursively) of `*.parquet` shards, read in sorted path
 *   order (see magicbrush-parquet.ts);
 * - original release: a folder holding `edit_sessions.json` and `images/<img_id>/` (see
 *   magicbrush-original.ts), or the path of that JSON itself.
 * Images are resized to `size` x `size` (bilinear), masks by nearest-neighbour; the mask convention
 * (alpha < 128 for RGBA masks, all channels >= 200 otherwise) is documented in magicbrush-turn.ts.
 *
 * Bad input: a missing path, a folder with neither layout, an unreadable shard or JSON always throws,
 * naming the path. A bad row (missing column, missing or corrupt image, empty instruction, mask size
 * different from the source's, malformed entry) throws an Error naming the file and the row (row
 * index and img_id + turn), unless `skipBad` is set: then the row is skipped and counted by reason in
 * `skipped` (a shard missing a column counts all its rows).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { openOriginalSessions, readOriginalTurns, type OriginalSessions } from './magicbrush-original.js';
import { MAGICBRUSH_COLUMNS, openParquetShard, readParquetTurns, type ParquetShard } from './magicbrush-parquet.js';
import { MagicBrushRowError, turnToSample, type MagicBrushSkipReason } from './magicbrush-turn.js';
import type { Sample } from './types.js';

export { MagicBrushRowError, maskFromImage, type MagicBrushSkipReason } from './magicbrush-turn.js';

/** How to read a MagicBrush dataset. */
export interface MagicBrushOptions {
  /** Side of the square samples, in pixels. */
  size: number;
  /** Skip bad rows and count them in `skipped` instead of throwing (default false). */
  skipBad?: boolean;
  /** Also decode the edited image into `Sample.target` (default false: it costs a third decode). */
  withTarget?: boolean;
  /**
   * Keep only files of this split (e.g. 'train', 'dev'): parquet shards whose name starts with
   * `<split>-`, `<split>_` or `<split>.`, or any file under a folder named `<split>`.
   */
  split?: string;
}

/** An opened dataset: iterate it (as often as needed) with `for await`. */
export interface MagicBrushDataset extends AsyncIterable<Sample> {
  readonly layout: 'parquet' | 'original';
  /** Turns (rows) in the dataset, bad ones included. */
  readonly count: number;
  /** Rows skipped so far in the current or latest pass, by reason (keys: MagicBrushSkipReason). */
  readonly skipped: Record<string, number>;
  /** The files the dataset reads: parquet shards, or the one edit_sessions.json. */
  readonly files: readonly string[];
}

function matchesSplit(relative: string, split: string | undefined): boolean {
  if (split === undefined) return true;
  const parts = relative.split(sep);
  const name = parts[parts.length - 1];
  return parts.slice(0, -1).includes(split) || [`${split}-`, `${split}_`, `${split}.`].some((p) => name.startsWith(p));
}

/** Which layout `path` holds and its files; throws naming `path` when it holds neither. */
async function detectLayout(path: string, split: string | undefined): Promise<{ layout: 'parquet' | 'original'; files: string[] }> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`MagicBrush: ${path} does not exist`);
  if (info.isFile()) {
    if (path.endsWith('.parquet')) return { layout: 'parquet', files: [path] };
    if (path.endsWith('.json')) return { layout: 'original', files: [path] };
    throw new Error(`MagicBrush: ${path} is neither a .parquet shard, an edit_sessions.json nor a folder`);
  }
  const entries = (await readdir(path, { recursive: true })).filter((e) => matchesSplit(e, split));
  entries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const shards = entries.filter((e) => e.endsWith('.parquet')).map((e) => join(path, e));
  const sessions = entries.filter((e) => basename(e) === 'edit_sessions.json').map((e) => join(path, e));
  const splitNote = split === undefined ? '' : ` for split '${split}'`;
  if (shards.length > 0 && sessions.length > 0) {
    throw new Error(`MagicBrush: ${path} holds both parquet shards and ${sessions.join(', ')}${splitNote}; point at one layout`);
  }
  if (shards.length > 0) return { layout: 'parquet', files: shards };
  if (sessions.length > 1) {
    throw new Error(`MagicBrush: ${path} holds several edit_sessions.json${splitNote} (${sessions.join(', ')}); set 'split' or point at one`);
  }
  if (sessions.length === 1) return { layout: 'original', files: sessions };
  throw new Error(`MagicBrush: ${path} holds no *.parquet shard and no edit_sessions.json${splitNote} (searched recursively)`);
}

/**
 * Opens the dataset at `path` (a folder, a shard, or an edit_sessions.json). Reads parquet footers or
 * the session JSON now; images are read while iterating, one row group or turn at a time.
 * Shape of each sample: image (3, size, size) float32 in [0, 1], mask (size, size) 0/1.
 */
export async function openMagicBrush(path: string, options: MagicBrushOptions): Promise<MagicBrushDataset> {
  const { size, skipBad = false, withTarget = false, split } = options;
  if (!Number.isInteger(size) || size < 1) throw new Error(`openMagicBrush: 'size' must be a positive integer, got ${size}`);
  const { layout, files } = await detectLayout(path, split);
  const shards: ParquetShard[] = [];
  let sessions: OriginalSessions | undefined;
  if (layout === 'parquet') {
    const columns = withTarget ? [...MAGICBRUSH_COLUMNS, 'target_img'] : [...MAGICBRUSH_COLUMNS];
    for (const file of files) {
      const shard = await openParquetShard(file, columns);
      if (shard.missingColumns.length > 0 && !skipBad) {
        throw new Error(`${file}: missing column(s) ${shard.missingColumns.join(', ')} (has ${shard.columns.join(', ')})`);
      }
      shards.push(shard);
    }
  } else {
    sessions = await openOriginalSessions(files[0]);
  }
  const count = layout === 'parquet' ? shards.reduce((n, s) => n + s.rows, 0) : sessions!.turns.length;
  const skipped: Record<string, number> = {};

  function handle(error: MagicBrushRowError, rows: number): void {
    if (!skipBad) throw error;
    const reason: MagicBrushSkipReason = error.reason;
    skipped[reason] = (skipped[reason] ?? 0) + rows;
  }

  async function* samples(): AsyncGenerator<Sample> {
    for (const key of Object.keys(skipped)) delete skipped[key];
    const turns = layout === 'parquet' ? readParquetTurns(shards, withTarget) : readOriginalTurns(sessions!, withTarget);
    for await (const item of turns) {
      if ('error' in item) {
        handle(item.error, item.rows);
        continue;
      }
      let sample: Sample;
      try {
        sample = turnToSample(item, size);
      } catch (error) {
        if (!(error instanceof MagicBrushRowError)) throw error;
        handle(error, 1);
        continue;
      }
      yield sample;
    }
  }

  return { layout, count, skipped, files, [Symbol.asyncIterator]: samples };
}
