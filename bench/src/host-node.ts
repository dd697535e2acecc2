/**
 * The machine and file system of a benchmark run in Node, picked by the `#bench-host` import of
 * package.json (a page gets host-browser.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';

/** CPU count and memory in bytes of this machine. */
export function hostMachine(): { cpus: number; memory: number } {
  return { cpus: cpus().length, memory: totalmem() };
}

/** Writes `text` to `path`, creating its folder. */
export function writeTextFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** `path`, or `path` with `-2`, `-3`, ... before `.json` when a file is there already (results are never overwritten). */
export function unusedPath(path: string): string {
  let candidate = path;
  for (let n = 2; existsSync(candidate); n++) candidate = path.replace(/(\.json)?$/, `-${n}$1`);
  return candidate;
}
