/**
 * The run folder of `pnpm train` (--out), decided before anything is built or written:
 *   - a new or empty folder starts a run;
 *   - a folder holding a run (run.json) is continued with --resume (its flags are read back
 *     from run.json, so the user retypes nothing; flags given beside --resume override them and
 *     must agree with the run's settings, except --epochs, which may be raised) or overwritten
 *     with --force; without either, the run is refused, naming both;
 *   - a non-empty folder that holds no run is refused unless --force; a file is refused;
 *   - --resume on a folder without run.json is refused (it would silently start fresh).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, type ParsedFlags } from './args.js';

/** Flags that describe one invocation, not the run: never stored in or read from run.json. */
const INVOCATION_FLAGS = new Set(['resume', 'force', 'out', 'help']);

/** The flags to store in run.json (the run's settings as given). */
export function runFlags(flags: ParsedFlags): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([k]) => !INVOCATION_FLAGS.has(k)));
}

/**
 * Checks `out` against --resume / --force and returns the flags the run goes on with: for
 * --resume, run.json's stored flags overridden by the given ones; otherwise the given flags.
 */
export function prepareRunFolder(out: string, given: ParsedFlags): ParsedFlags {
  const runFile = join(out, 'run.json');
  if (given.resume && given.force) throw new UsageError('--resume continues a run and --force overwrites it: give one');
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file; --out names the run's folder`);
  if (given.resume) {
    if (!existsSync(runFile)) throw new UsageError(`--resume: ${out} holds no run (no run.json); drop --resume to start a new run there`);
    let stored: Record<string, unknown> | null;
    try {
      stored = (JSON.parse(readFileSync(runFile, 'utf8')) as { flags?: Record<string, unknown> | null }).flags ?? null;
    } catch (e) {
      throw new Error(`${runFile}: cannot read the run's settings (${(e as Error).message})`);
    }
    // Runs written before run.json stored flags: the given flags are compared with its config instead.
    return { ...((stored ?? {}) as ParsedFlags), ...given };
  }
  if (given.force || !existsSync(out)) return given;
  if (existsSync(runFile)) throw new UsageError(`--out ${out} holds a run (run.json): continue it with --resume, or overwrite it with --force`);
  if (readdirSync(out).length > 0) throw new UsageError(`--out ${out} is not empty and holds no run: choose a new or empty folder, or pass --force to write into it`);
  return given;
}
