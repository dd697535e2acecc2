/**
 * The tuning cache on disk (Node only): the tuner's winners per adapter, read by the variant table
 * when a device is acquired. One JSON file holds several adapters, each keyed by the adapter's
 * description, vendor and architecture and the Dawn build (npm `webgpu` version), so a cache made
 * on another adapter or Dawn is never applied.
 * Path: `FUSION_TUNE_CACHE` (a file; `off` disables the cache), else
 * `$XDG_CACHE_HOME/fusion/tune.json`, else `~/.cache/fusion/tune.json`.
 * A missing file means heuristics, silently; an unreadable or malformed file, or one without this
 * adapter, means heuristics with a message (printed once per device by the variant table).
 * Importing this module installs it as the variant table's tuning source.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DeviceInfo } from './device.js';
import { setTuningSource, VARIANT_KERNELS, type TunedVariant, type VariantKernel } from './variants.js';

export const TUNE_CACHE_FORMAT = 'fusion-tune-cache/1';

/** One tuned (kernel, shape class): the winner, and what the tuner measured. */
export interface TuneCacheEntry extends TunedVariant {
  /** Readable shape class (`describeShapeClass`). */
  shape: string;
  /** The sizes the winner was measured at. */
  sizes: number[];
  ms: number;
  heuristic: { variant: string; ms: number };
}

export interface TuneCacheAdapter {
  adapter: { description: string; vendor: string; architecture: string };
  dawn: string;
  date: string;
  entries: TuneCacheEntry[];
}

export interface TuneCacheFile {
  format: typeof TUNE_CACHE_FORMAT;
  adapters: Record<string, TuneCacheAdapter>;
}

/** The Dawn build in use: the version of the npm `webgpu` package. */
export function dawnVersion(): string {
  const require = createRequire(import.meta.url);
  return `webgpu@${(require('webgpu/package.json') as { version: string }).version}`;
}

/** The key of an adapter in the cache: description, vendor, architecture and Dawn build. */
export function tuneCacheKey(info: Pick<DeviceInfo, 'description' | 'vendor' | 'architecture'>): string {
  return `${info.description} | ${info.vendor} | ${info.architecture} | ${dawnVersion()}`;
}

/** The cache file in effect (see the module comment), or null when disabled. */
export function tuneCachePath(env: Record<string, string | undefined> = process.env): string | null {
  const forced = env.FUSION_TUNE_CACHE;
  if (forced === 'off') return null;
  if (forced) return forced;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fusion', 'tune.json');
}

/** Why `data` is not a tuning cache, or null when it is one. */
function invalidReason(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return 'not a JSON object';
  const file = data as Partial<TuneCacheFile>;
  if (file.format !== TUNE_CACHE_FORMAT) return `format is ${JSON.stringify(file.format)}, expected "${TUNE_CACHE_FORMAT}"`;
  if (typeof file.adapters !== 'object' || file.adapters === null) return 'no "adapters" object';
  for (const [key, a] of Object.entries(file.adapters)) {
    if (!a || !Array.isArray(a.entries)) return `adapter "${key}" has no "entries" list`;
    for (const [i, e] of a.entries.entries()) {
      const bad = typeof e?.kernel !== 'string' || !(e.kernel in VARIANT_KERNELS) || typeof e.variant !== 'string' || !Number.isInteger(e.shapeClass)
        || (e.constants !== undefined && (typeof e.constants !== 'object' || Object.values(e.constants).some((v) => typeof v !== 'number')));
      if (bad) return `adapter "${key}" entry ${i} is not { kernel, shapeClass, variant, constants? }`;
    }
  }
  return null;
}

/** Reads a cache file, throwing an error naming the file and what is wrong with it. */
export function readTuneCacheFile(path: string): TuneCacheFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`tuning cache ${path} is unreadable: ${(e as Error).message}`);
  }
  const why = invalidReason(data);
  if (why) throw new Error(`tuning cache ${path} is not a Fusion tuning cache: ${why}`);
  return data as TuneCacheFile;
}

/**
 * The tuned entries of this adapter in the cache at `path`, and a message when the file was
 * ignored (malformed, or made on another adapter or Dawn build). A missing file gives no entries
 * and no message.
 */
export function readTuneCache(path: string, info: Pick<DeviceInfo, 'description' | 'vendor' | 'architecture'>): { entries: TunedVariant[]; message: string | null } {
  if (!existsSync(path)) return { entries: [], message: null };
  let file: TuneCacheFile;
  try {
    file = readTuneCacheFile(path);
  } catch (e) {
    return { entries: [], message: `${(e as Error).message}; ignoring it (kernel variants by heuristics)` };
  }
  const key = tuneCacheKey(info);
  const mine = file.adapters[key];
  if (!mine) {
    const held = Object.keys(file.adapters);
    return {
      entries: [],
      message: `tuning cache ${path} has no entry for this adapter and Dawn build (${key}); it holds ${held.length ? held.join('; ') : 'none'}; kernel variants by heuristics (run pnpm bench tune)`,
    };
  }
  return { entries: mine.entries.map((e) => ({ kernel: e.kernel as VariantKernel, shapeClass: e.shapeClass, variant: e.variant, ...(e.constants ? { constants: e.constants } : {}) })), message: null };
}

/**
 * Writes this adapter's entries into the cache at `path`, keeping the other adapters' entries.
 * An existing file that is not a tuning cache is replaced only with `force`.
 */
export function writeTuneCache(path: string, info: Pick<DeviceInfo, 'description' | 'vendor' | 'architecture'>, entries: TuneCacheEntry[], force = false): void {
  let file: TuneCacheFile = { format: TUNE_CACHE_FORMAT, adapters: {} };
  if (existsSync(path)) {
    try {
      file = readTuneCacheFile(path);
    } catch (e) {
      if (!force) throw new Error(`${(e as Error).message}; not overwriting it (pass --force to replace it)`);
    }
  }
  file.adapters[tuneCacheKey(info)] = {
    adapter: { description: info.description, vendor: info.vendor, architecture: info.architecture },
    dawn: dawnVersion(),
    date: new Date().toISOString(),
    entries,
  };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(tmp, path);
}

/**
 * Makes the variant table read its tuning from `path` (default: `tuneCachePath()`; null: no
 * cache) for the current and later devices.
 */
export function useTuneCache(path: string | null = tuneCachePath()): void {
  setTuningSource(path === null ? null : (info) => readTuneCache(path, info));
}

useTuneCache();
