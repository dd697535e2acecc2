/**
 * Reads MagicBrush as published on Hugging Face: parquet shards with columns `img_id` (string),
 * `turn_index` (int), `source_img`, `mask_img`, `target_img` (structs `{bytes, path}`) and
 * `instruction` (string). Shard footers are read when opening; rows are then read one row group at a
 * time, only the needed columns, so a multi-gigabyte dataset never sits in memory at once. The
 * decoding runs in a worker with a time and heap limit (parquet-isolated.ts), so a corrupt shard
 * ends in an error naming it rather than a hang.
 * Shards compressed with snappy, zstd, gzip, brotli or lz4 are readable (hyparquet and hyparquet-compressors).
 */
import { openShard, readRows } from './parquet-isolated.js';
import { MagicBrushRowError, type EncodedImage, type RawTurn, type TurnProblem } from './magicbrush-turn.js';

/** Columns every shard must have (plus `target_img` when targets are loaded). */
export const MAGICBRUSH_COLUMNS = ['img_id', 'turn_index', 'source_img', 'mask_img', 'instruction'] as const;

/** One opened shard: its row count, row-group sizes, and the required columns it lacks. */
export interface ParquetShard {
  path: string;
  rows: number;
  /** Rows of each row group, in order. */
  rowGroups: number[];
  /** Top-level column names the shard has. */
  columns: string[];
  missingColumns: string[];
}

/** Opens a shard's footer and checks its columns; throws naming the file when it is not parquet. */
export async function openParquetShard(path: string, columns: readonly string[]): Promise<ParquetShard> {
  let footer;
  try {
    footer = await openShard(path);
  } catch (error) {
    throw new Error(`${path}: not a readable parquet file: ${(error as Error).message}`);
  }
  const missingColumns = columns.filter((c) => !footer.columns.includes(c));
  return { path, rows: footer.rows, rowGroups: footer.rowGroups, columns: footer.columns, missingColumns };
}

function imageCell(value: unknown, column: string, label: string): EncodedImage {
  const cell = value as { bytes?: unknown; path?: unknown } | null | undefined;
  const bytes = cell?.bytes;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new MagicBrushRowError('missing-image', `${label}: ${column} has no image bytes`);
  }
  const name = typeof cell?.path === 'string' && cell.path.length > 0 ? `${column} (${cell.path})` : column;
  return { bytes, name };
}

const utf8 = new TextDecoder();

/** Strings as they are; unannotated byte arrays decoded as UTF-8 (shards written without string types). */
function text(value: unknown): unknown {
  return value instanceof Uint8Array ? utf8.decode(value) : value;
}

function rowToTurn(row: Record<string, unknown>, path: string, rowIndex: number, withTarget: boolean): RawTurn {
  const imgId = text(row.img_id);
  const turnIndex = row.turn_index;
  const where = `${path} row ${rowIndex}`;
  if ((typeof imgId !== 'string' && typeof imgId !== 'number') || String(imgId).length === 0) {
    throw new MagicBrushRowError('malformed-row', `${where}: img_id is ${JSON.stringify(imgId)}, not a string`);
  }
  if (typeof turnIndex !== 'number' && typeof turnIndex !== 'bigint') {
    throw new MagicBrushRowError('malformed-row', `${where} (img_id ${imgId}): turn_index is ${String(turnIndex)}, not an integer`);
  }
  const turn = Number(turnIndex);
  const label = `${where} (img_id ${imgId}, turn ${turn})`;
  const instruction = text(row.instruction);
  if (instruction === null || instruction === undefined) throw new MagicBrushRowError('malformed-row', `${label}: instruction is missing (null)`);
  if (typeof instruction !== 'string') throw new MagicBrushRowError('malformed-row', `${label}: instruction is ${String(instruction)}, not a string`);
  return {
    id: `${imgId}/${turn}`,
    label,
    source: imageCell(row.source_img, 'source_img', label),
    mask: imageCell(row.mask_img, 'mask_img', label),
    target: withTarget ? imageCell(row.target_img, 'target_img', label) : undefined,
    instruction,
  };
}

/**
 * The turns of `shards` in order, reading one row group at a time. Bad rows (and shards missing a
 * column) come out as TurnProblem values, so the caller decides to throw or to skip and count.
 */
export async function* readParquetTurns(shards: readonly ParquetShard[], withTarget: boolean): AsyncGenerator<RawTurn | TurnProblem> {
  const columns: string[] = [...MAGICBRUSH_COLUMNS];
  if (withTarget) columns.push('target_img');
  for (const shard of shards) {
    if (shard.missingColumns.length > 0) {
      const error = new MagicBrushRowError('missing-column', `${shard.path}: missing column(s) ${shard.missingColumns.join(', ')} (has ${shard.columns.join(', ')})`);
      yield { error, rows: shard.rows };
      continue;
    }
    let rowStart = 0;
    for (const groupRows of shard.rowGroups) {
      const rowEnd = rowStart + groupRows;
      let rows: Record<string, unknown>[];
      try {
        // hyparquet reads snappy itself; hyparquet-compressors adds zstd, gzip, brotli and lz4 shards.
        rows = await readRows(shard.path, columns, rowStart, rowEnd);
      } catch (error) {
        throw new Error(`${shard.path} rows ${rowStart}..${rowEnd - 1}: cannot read row group (corrupt or truncated shard): ${(error as Error).message}`);
      }
      for (let i = 0; i < rows.length; i++) {
        let item: RawTurn | TurnProblem;
        try {
          item = rowToTurn(rows[i], shard.path, rowStart + i, withTarget);
        } catch (error) {
          if (!(error instanceof MagicBrushRowError)) throw error;
          item = { error, rows: 1 };
        }
        yield item;
      }
      rowStart = rowEnd;
    }
  }
}
