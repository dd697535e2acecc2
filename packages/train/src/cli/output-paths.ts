/**
 * Files a CLI reads and writes, checked before any work: an input must be a readable file (a
 * folder or a missing path is named with its flag), an output must not be any input (writing the
 * mask over the photo it was computed from), and an existing output is replaced only with --force.
 * Paths are compared by identity (device and inode) when both exist, so links and `./` spellings
 * of the same file are caught.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './args.js';

/** Whether two paths name the same file. */
export function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  if (!existsSync(a) || !existsSync(b)) return false;
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

/** Throws naming `flag` unless `path` is an existing regular file. */
export function checkInputFile(path: string, flag: string): void {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UsageError(`${flag} ${path} is a folder; give a file`);
}

/**
 * Throws unless each output may be written: it is not one of the inputs (by flag), it is not a
 * folder, and it does not exist yet unless `force`.
 */
export function checkOutputs(outputs: readonly { path: string; what: string }[], inputs: readonly { path: string; flag: string }[], force: boolean): void {
  for (const out of outputs) {
    const input = inputs.find((i) => sameFile(out.path, i.path));
    if (input) throw new UsageError(`${out.what} ${out.path} is the input ${input.flag}; writing it would destroy that file: choose another --out`);
    if (existsSync(out.path) && statSync(out.path).isDirectory()) throw new UsageError(`${out.what} ${out.path} is a folder; --out names a PNG file`);
    if (existsSync(out.path) && !force) throw new UsageError(`${out.what} ${out.path} exists; pass --force to overwrite it`);
  }
}
