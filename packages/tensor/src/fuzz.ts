/**
 * Seeded fuzzing of file readers (test support, exported from '@fusion/tensor/testing'): random
 * truncations, bit flips, byte overwrites, splices and 32-bit length-field overwrites of valid
 * files, plus format-specific header edits a test supplies. `fuzzReader` runs a reader on each
 * case, bounded in count and in time, and collects every case that ends in anything but a valid
 * result or a clear error: an error that is not an Error, does not name the file, or is the
 * engine's allocation or stack failure (a corrupt length driving an allocation). Deterministic
 * for a seed; a failure names the case so it can be replayed.
 */
import { hostRng } from './testing.js';

/** One mutated input and how it was made (for replaying a failure). */
export interface FuzzCase {
  name: string;
  bytes: Uint8Array;
}

/** A format-specific edit: a mutated copy of `bytes`, or null when it does not apply. */
export type FuzzEdit = (bytes: Uint8Array, random: () => number) => FuzzCase | null;

const LENGTHS = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0x00ffffff, 0];

/** The generic mutations of one valid input. */
const GENERIC: FuzzEdit[] = [
  (b, r) => {
    const n = Math.floor(r() * b.length);
    return { name: `truncated to ${n} bytes`, bytes: b.slice(0, n) };
  },
  (b, r) => {
    const out = b.slice();
    const flips = 1 + Math.floor(r() * 8);
    const at: number[] = [];
    for (let k = 0; k < flips; k++) {
      const bit = Math.floor(r() * out.length * 8);
      out[bit >> 3] ^= 1 << (bit & 7);
      at.push(bit);
    }
    return { name: `bits flipped at ${at.join(', ')}`, bytes: out };
  },
  (b, r) => {
    const out = b.slice();
    const start = Math.floor(r() * out.length);
    const len = 1 + Math.floor(r() * 16);
    const value = [0, 0xff, Math.floor(r() * 256)][Math.floor(r() * 3)];
    out.fill(value, start, start + len);
    return { name: `bytes ${start}..${start + len} set to ${value}`, bytes: out };
  },
  (b, r) => {
    const start = Math.floor(r() * b.length);
    const len = Math.floor(r() * 64);
    if (r() < 0.5) {
      const out = new Uint8Array(b.length - Math.min(len, b.length - start));
      out.set(b.subarray(0, start));
      out.set(b.subarray(start + len), start);
      return { name: `bytes ${start}..${start + len} removed`, bytes: out };
    }
    const junk = Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
    const out = new Uint8Array(b.length + len);
    out.set(b.subarray(0, start));
    out.set(junk, start);
    out.set(b.subarray(start), start + len);
    return { name: `${len} random bytes inserted at ${start}`, bytes: out };
  },
  (b, r) => {
    if (b.length < 4) return null;
    const out = b.slice();
    const at = Math.floor(r() * (out.length - 3));
    const value = LENGTHS[Math.floor(r() * LENGTHS.length)];
    const view = new DataView(out.buffer);
    const bigEndian = r() < 0.5;
    view.setUint32(at, value, !bigEndian);
    return { name: `u32 ${bigEndian ? 'BE' : 'LE'} ${value} written at ${at}`, bytes: out };
  },
];

export interface FuzzOptions {
  seed: number;
  /** Valid inputs to mutate (each case picks one). */
  inputs: readonly Uint8Array[];
  /** Most cases to run. */
  cases: number;
  /** Stop after this many milliseconds even if fewer cases ran. */
  budgetMs: number;
  /** Format-specific edits, tried as often as each generic mutation. */
  edits?: readonly FuzzEdit[];
  /** The name the reader is given; every error must contain it. */
  fileName: string;
  /** Reads one input completely (throws on bad input). */
  read: (bytes: Uint8Array, fileName: string) => unknown | Promise<unknown>;
}

export interface FuzzReport {
  ran: number;
  /** Cases that read as valid. */
  valid: number;
  /** Cases rejected with a clear error. */
  rejected: number;
  /** Cases that ended otherwise, with the case's name and what happened. */
  failures: string[];
}

/**
 * Engine failures that mean a corrupt length reached an allocation or a recursion unchecked (a
 * reader's own bounds check would have named the field instead), even when wrapped with the file.
 */
const ENGINE_FAILURE = /allocation failed|Invalid array length|Array buffer allocation|Maximum call stack|out of memory/i;

/** Runs the reader on seeded mutations of the inputs; see the module comment. */
export async function fuzzReader(o: FuzzOptions): Promise<FuzzReport> {
  const random = hostRng(o.seed);
  const edits = [...GENERIC, ...(o.edits ?? [])];
  const report: FuzzReport = { ran: 0, valid: 0, rejected: 0, failures: [] };
  const start = performance.now();
  while (report.ran < o.cases && performance.now() - start < o.budgetMs) {
    const input = o.inputs[Math.floor(random() * o.inputs.length)];
    const made = edits[Math.floor(random() * edits.length)](input, random);
    if (!made) continue;
    report.ran++;
    try {
      await o.read(made.bytes, o.fileName);
      report.valid++;
    } catch (error) {
      const message = error instanceof Error ? error.message : `a thrown ${typeof error}: ${String(error)}`;
      if (!(error instanceof Error) || !message.includes(o.fileName) || ENGINE_FAILURE.test(message)) {
        report.failures.push(`case ${report.ran} (${made.name}): ${error instanceof Error ? `${error.name}: ` : ''}${message.slice(0, 300)}`);
      } else {
        report.rejected++;
      }
    }
  }
  return report;
}
