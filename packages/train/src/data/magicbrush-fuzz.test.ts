// Seeded fuzzing of the MagicBrush readers: a parquet shard (truncations, bit flips, splices,
// length-field overwrites, a corrupt footer length) and an edit_sessions.json (the same byte
// mutations plus JSON edits: missing, null or mistyped fields). Every case must read completely
// or fail with an Error naming the file; bounded in count and time. The parquet decoder runs
// behind a time and heap limit (parquet-isolated.ts); a case it cannot finish must say so.
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzReader, type FuzzEdit, type FuzzReport } from '@fusion/tensor/testing';
import { encodePng } from './image.js';
import { openMagicBrush } from './magicbrush.js';
import { writeShard } from './testing/parquet-shard.js';
import { setParquetLimitsForTests } from './parquet-isolated.js';

const dir = mkdtempSync(join(tmpdir(), 'fusion-mb-fuzz-'));
// A corrupt shard can make the decoder loop or grow without bound: small limits keep each such case short.
setParquetLimitsForTests({ timeoutMs: 4000, maxHeapMb: 256 });
afterAll(() => {
  setParquetLimitsForTests(null);
  rmSync(dir, { recursive: true, force: true });
});

const png = (seed: number, channels: 3 | 4 = 3) => encodePng(Uint8Array.from({ length: 8 * 8 * channels }, (_, i) => (i * 13 + seed * 7) & 255), 8, 8);

/** Every case valid or a clear error, and the mutations reached both outcomes. */
function expectOnlyClearErrors(report: FuzzReport): void {
  expect(report.failures).toEqual([]);
  expect(report.ran).toBeGreaterThan(50);
  expect(report.rejected).toBeGreaterThan(report.ran / 4);
  expect(report.valid).toBeGreaterThan(0);
}

async function readAll(path: string): Promise<void> {
  const dataset = await openMagicBrush(path, { size: 4 });
  for await (const sample of dataset) expect(sample.image.length).toBe(3 * 4 * 4);
}

describe('MagicBrush readers under fuzzing', () => {
  it('every mutated parquet shard reads completely or fails with an error naming the file', async () => {
    const valid = join(dir, 'valid.parquet');
    const rows = [0, 1, 2].map((i) => ({ img_id: `${i}`, turn_index: 1, source: png(i), mask: png(i + 10, 4), target: png(i + 20), instruction: `remove the thing ${i}` }));
    writeShard(valid, rows, [], 2);
    const bytes = new Uint8Array(readFileSync(valid));
    const footer: FuzzEdit = (b, r) => {
      const out = b.slice();
      const value = [0xffffffff, 0x7fffffff, b.length, b.length - 7, 0][Math.floor(r() * 5)];
      new DataView(out.buffer).setUint32(out.length - 8, value, true);
      return { name: `footer length set to ${value}`, bytes: out };
    };
    const path = join(dir, 'fuzzed.parquet');
    const report = await fuzzReader({
      seed: 7, inputs: [bytes], cases: 600, budgetMs: 30_000, edits: [footer], fileName: path,
      read: async (mutated) => {
        writeFileSync(path, mutated);
        await readAll(path);
      },
    });
    expectOnlyClearErrors(report);
  }, 120_000);

  it('a shard the decoder cannot finish in time ends in an error naming it, and the next read works', async () => {
    const path = join(dir, 'slow.parquet');
    writeShard(path, [{ img_id: '1', turn_index: 1, source: png(1), mask: png(2, 4), target: png(3), instruction: 'paint it' }]);
    setParquetLimitsForTests({ timeoutMs: 1, maxHeapMb: 256 });
    await expect(readAll(path)).rejects.toThrow(`${path}: not a readable parquet file: reading did not finish within 0.001 s (a corrupt file can make the parquet decoder loop)`);
    setParquetLimitsForTests({ timeoutMs: 4000, maxHeapMb: 256 });
    await readAll(path);
  });

  it('every mutated edit_sessions.json reads completely or fails with an error naming the file', async () => {
    const root = join(dir, 'original');
    for (const id of ['1', '2']) {
      mkdirSync(join(root, 'images', id), { recursive: true });
      writeFileSync(join(root, 'images', id, 'in.png'), png(Number(id)));
      writeFileSync(join(root, 'images', id, 'mask.png'), png(Number(id) + 5, 4));
    }
    const sessions = {
      1: [{ input: 'in.png', mask: 'mask.png', output: 'in.png', instruction: 'make it red' }, { input: 'in.png', mask: 'mask.png', output: 'in.png', instruction: 'and blue' }],
      2: [{ input: 'in.png', mask: 'mask.png', output: 'in.png', instruction: 'remove the dog' }],
    };
    const bytes = new TextEncoder().encode(JSON.stringify(sessions));
    const VALUES = ['null', '42', '""', '[]', '{}', '"../../../etc/passwd"', '"images"', 'true'];
    const fieldEdit: FuzzEdit = (b, r) => {
      const json = new TextDecoder().decode(b);
      const edited = json.replace(/"(input|mask|output|instruction)":("[^"]*")/g, (m, key) => {
        const roll = r();
        if (roll < 0.2) return `"${key}_gone":0`;
        if (roll < 0.4) return `"${key}":${VALUES[Math.floor(r() * VALUES.length)]}`;
        return m;
      });
      return { name: 'fields removed or retyped', bytes: new TextEncoder().encode(edited) };
    };
    const path = join(root, 'edit_sessions.json');
    const report = await fuzzReader({
      seed: 11, inputs: [bytes], cases: 800, budgetMs: 30_000, edits: [fieldEdit, fieldEdit, fieldEdit], fileName: path,
      read: async (mutated) => {
        writeFileSync(path, mutated);
        await readAll(path);
      },
    });
    expectOnlyClearErrors(report);
  }, 120_000);
});
