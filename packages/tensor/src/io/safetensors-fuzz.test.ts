// Seeded fuzzing of the safetensors reader: truncations, bit flips, splices and length-field
// overwrites of valid files (ours and the PyTorch golden file), and header edits (huge or
// negative shapes and offsets, other dtypes, a header length past the file). Every case must
// parse and read completely, or throw an Error naming the file; bounded in count and time.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fuzzReader, type FuzzEdit } from '../testing.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';

const ours = serializeSafetensors(
  {
    'encoder.weight': { shape: [3, 5], dtype: 'f32', data: Float32Array.from({ length: 15 }, (_, i) => i / 7 - 1) },
    'encoder.bias': { shape: [5], dtype: 'f16', data: Float32Array.from({ length: 5 }, (_, i) => i * 0.25) },
    scale: { shape: [], dtype: 'bf16', data: Float32Array.of(1.5) },
    ids: { shape: [2, 2], dtype: 'i32', data: Int32Array.of(1, -2, 3, 4) },
  },
  { format: 'fusion', epoch: '3' },
);
const golden = new Uint8Array(readFileSync(new URL('fixtures/golden.safetensors', import.meta.url)));

/** Replaces the JSON header (keeping the 8-byte length consistent) with an edited copy. */
function withHeader(bytes: Uint8Array, edit: (json: string, r: () => number) => string, r: () => number): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const json = edit(new TextDecoder().decode(bytes.subarray(8, 8 + n)), r);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(bytes.subarray(8 + n), 8 + head.length);
  return out;
}

const NUMBERS = ['0', '-1', '1.5', '4294967296', '9007199254740993', '1e308', '[]', 'null', '"7"', '2147483648'];
const edits: FuzzEdit[] = [
  (b, r) => {
    let count = 0;
    const bytes = withHeader(b, (json) => json.replace(/\d+/g, (m) => (r() < 0.3 ? (count++, NUMBERS[Math.floor(r() * NUMBERS.length)]) : m)), r);
    return { name: `${count} header numbers replaced`, bytes };
  },
  (b, r) => {
    const dtypes = ['F32', 'F16', 'BF16', 'F64', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'f32', ''];
    const bytes = withHeader(b, (json) => json.replace(/"dtype":"[^"]*"/g, (m) => (r() < 0.5 ? `"dtype":"${dtypes[Math.floor(r() * dtypes.length)]}"` : m)), r);
    return { name: 'dtypes swapped', bytes };
  },
  (b, r) => {
    const out = b.slice();
    const value = [2n ** 64n - 1n, 2n ** 53n, BigInt(b.length), BigInt(b.length - 7), 0n][Math.floor(r() * 5)];
    new DataView(out.buffer).setBigUint64(0, value, true);
    return { name: `header length set to ${value}`, bytes: out };
  },
];

describe('safetensors reader under fuzzing', () => {
  it('every mutated file reads completely or fails with an error naming the file', async () => {
    const report = await fuzzReader({
      seed: 1234, inputs: [ours, golden], cases: 3000, budgetMs: 15_000, edits, fileName: 'fuzzed.safetensors',
      read: (bytes, name) => {
        const file = parseSafetensors(bytes, name);
        for (const n of file.names()) file.read(n);
      },
    });
    expect(report.failures).toEqual([]);
    expect(report.ran).toBeGreaterThan(100);
    expect(report.rejected).toBeGreaterThan(report.ran / 4);
    expect(report.valid).toBeGreaterThan(0);
  }, 60_000);
});
