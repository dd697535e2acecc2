/**
 * The parquet decoder (hyparquet) behind a wall: it runs in a worker thread with a time limit
 * per request and a heap limit, because a corrupt shard can make it loop or allocate without
 * bound (a run-length count or a value count read from the file drives an array's length; found
 * by the MagicBrush fuzz test). A request that does not finish in time, or a decoder that runs out
 * of its heap, ends in an Error naming what was being read, the worker is replaced, and the
 * process goes on. The worker loads hyparquet and hyparquet-compressors from the same installs
 * this module resolves; it is unref'd while idle, so it never keeps the process alive.
 *   openShard(path)                             -> row count, row-group sizes, top-level columns
 *   readRows(path, columns, rowStart, rowEnd)   -> the rows as objects (bytes as Uint8Array, utf8: false)
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

/** How long one request may take and how much heap the decoder may use. */
export interface ParquetLimits {
  timeoutMs: number;
  maxHeapMb: number;
}

const DEFAULT_LIMITS: ParquetLimits = { timeoutMs: 300_000, maxHeapMb: 2048 };
let limits: ParquetLimits = { ...DEFAULT_LIMITS };

/** Test hook: other limits (null: the defaults, 300 s per request and 2 GB of heap). */
export function setParquetLimitsForTests(l: Partial<ParquetLimits> | null): void {
  limits = { ...DEFAULT_LIMITS, ...l };
  current?.stop();
}

/** What `openShard` reports about a shard's footer. */
export interface ShardFooter {
  rows: number;
  rowGroups: number[];
  columns: string[];
}

// The worker (CommonJS, evaluated): hyparquet's own reader, after checks of the sizes the file
// declares that drive its allocations (row counts, page sizes, value counts), each bounded by the
// bytes that could back it (deflate-like codecs expand at most about 1032:1; a value takes at
// least a bit unless run-length coded, and a run-length page holds at most a row group's rows).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const modules = Promise.all([import(workerData.hyparquet), import(workerData.compressors), import(workerData.column)]);
const files = new Map();
const MAX_RATIO = 1032;

function checkRowGroups(md, fileBytes) {
  md.row_groups.forEach((g, i) => {
    const rows = Number(g.num_rows);
    const bytes = Number(g.total_byte_size ?? fileBytes);
    if (!(rows >= 0) || rows > 8 * Math.max(bytes, fileBytes) + 1024) {
      throw new Error('row group ' + i + ' declares ' + rows + ' rows, more than a ' + fileBytes + '-byte file can hold');
    }
  });
}

async function checkPages(column, entry, m) {
  let start = 0;
  let group = null;
  for (const g of entry.metadata.row_groups) {
    const n = Number(g.num_rows);
    if (m.rowStart >= start && m.rowStart < start + n) { group = g; break; }
    start += n;
  }
  if (!group) return;
  const rows = Number(group.num_rows);
  for (const chunk of group.columns) {
    const meta = chunk.meta_data;
    if (!meta || !m.columns.includes(meta.path_in_schema[0])) continue;
    const name = meta.path_in_schema.join('.');
    const begin = Number(meta.dictionary_page_offset || meta.data_page_offset);
    const size = Number(meta.total_compressed_size);
    if (!(begin >= 0 && size >= 0) || begin + size > entry.file.byteLength) {
      throw new Error('column ' + name + ': its pages [' + begin + ', ' + (begin + size) + ') lie outside the ' + entry.file.byteLength + '-byte file');
    }
    const bytes = await entry.file.slice(begin, begin + size);
    const reader = { view: new DataView(bytes), offset: 0 };
    while (reader.offset < size - 1) {
      const h = column.parquetHeader(reader);
      const c = h.compressed_page_size;
      const u = h.uncompressed_page_size;
      if (!(c >= 0) || reader.offset + c > size) throw new Error('column ' + name + ': a page of ' + c + ' bytes runs past its column chunk');
      if (!(u >= 0) || u > MAX_RATIO * c + 65536) throw new Error('column ' + name + ': a page declares ' + u + ' bytes uncompressed from ' + c + ' compressed');
      const page = h.data_page_header || h.data_page_header_v2 || h.dictionary_page_header;
      const values = page ? page.num_values : 0;
      if (!(values >= 0) || values > rows + 8 * u + 1024) throw new Error('column ' + name + ': a page declares ' + values + ' values in a row group of ' + rows + ' rows');
      reader.offset += c;
    }
  }
}

parentPort.on('message', async (m) => {
  try {
    const [hp, hc, column] = await modules;
    let entry = files.get(m.path);
    if (!entry) {
      const file = await hp.asyncBufferFromFile(m.path);
      const metadata = await hp.parquetMetadataAsync(file);
      checkRowGroups(metadata, file.byteLength);
      entry = { file, metadata };
      files.set(m.path, entry);
    }
    if (m.op === 'open') {
      const md = entry.metadata;
      parentPort.postMessage({ id: m.id, ok: true, value: {
        rows: Number(md.num_rows), rowGroups: md.row_groups.map((g) => Number(g.num_rows)),
        columns: hp.parquetSchema(md).children.map((c) => c.element.name),
      } });
    } else {
      await checkPages(column, entry, m);
      const rows = await hp.parquetReadObjects({
        file: entry.file, metadata: entry.metadata, columns: m.columns, rowStart: m.rowStart, rowEnd: m.rowEnd,
        utf8: false, compressors: hc.compressors,
      });
      parentPort.postMessage({ id: m.id, ok: true, value: rows });
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, message: String((e && e.message) || e) });
  }
});
`;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  what: string;
  timer: NodeJS.Timeout;
}

class DecoderWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;

  constructor() {
    const require = createRequire(import.meta.url);
    const hyparquet = require.resolve('hyparquet');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        hyparquet: pathToFileURL(hyparquet).href,
        compressors: pathToFileURL(require.resolve('hyparquet-compressors')).href,
        // the page-header parser is not exported; its module sits beside the entry point
        column: pathToFileURL(join(dirname(hyparquet), 'column.js')).href,
      },
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb },
    });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; ok: boolean; value?: unknown; message?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.settle(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.message));
    });
    this.worker.on('error', (e: Error & { code?: string }) => {
      const why = e.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? `the parquet decoder needed more than ${limits.maxHeapMb} MB (a corrupt length in the file?)`
        : `the parquet decoder failed: ${e.message}`;
      this.fail(why);
    });
    this.worker.on('exit', () => this.fail('the parquet decoder stopped'));
  }

  request(message: Record<string, unknown>, what: string): Promise<unknown> {
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(`reading did not finish within ${limits.timeoutMs / 1000} s (a corrupt file can make the parquet decoder loop)`);
      }, limits.timeoutMs);
      this.pending.set(id, { resolve, reject, what, timer });
      this.worker.postMessage({ ...message, id });
    });
  }

  private settle(id: number): void {
    clearTimeout(this.pending.get(id)!.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  /** Rejects every pending request with `why` and retires this worker. */
  private fail(why: string): void {
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(new Error(why));
    }
    this.stop();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (current === this) current = null;
    void this.worker.terminate();
  }
}

let current: DecoderWorker | null = null;

function decoder(): DecoderWorker {
  current ??= new DecoderWorker();
  return current;
}

/** A shard's row count, row-group sizes and top-level columns; errors carry the decoder's reason. */
export async function openShard(path: string): Promise<ShardFooter> {
  return (await decoder().request({ op: 'open', path }, path)) as ShardFooter;
}

/** Rows rowStart..rowEnd-1 of a shard (one row group), only `columns`. */
export async function readRows(path: string, columns: readonly string[], rowStart: number, rowEnd: number): Promise<Record<string, unknown>[]> {
  return (await decoder().request({ op: 'read', path, columns: [...columns], rowStart, rowEnd }, path)) as Record<string, unknown>[];
}
