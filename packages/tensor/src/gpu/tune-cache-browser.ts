/**
 * The tuning cache in a page, picked by the `#tune-cache` import of package.json under the
 * `browser` condition: a page has no cache file, so the variant table runs its heuristics (the
 * tuner, `pnpm bench tune`, writes caches for Dawn in Node only). Same exports and types as
 * `tune-cache-node.ts`: the readers find nothing, the writers say they need Node.
 */
import type * as NodeCache from './tune-cache-node.js';
import { setTuningSource } from './variants.js';

export type { TuneCacheEntry, TuneCacheAdapter, TuneCacheFile } from './tune-cache-node.js';

export const TUNE_CACHE_FORMAT: typeof NodeCache.TUNE_CACHE_FORMAT = 'fusion-tune-cache/1';

function nodeOnly(what: string): never {
  throw new Error(`${what} reads or writes a file: the tuning cache exists in Node only (a page runs the heuristics)`);
}

/** The WebGPU implementation in use: the browser's. */
export const dawnVersion: typeof NodeCache.dawnVersion = () => 'browser';

/** The key of an adapter in a cache file (no cache applies in a page). */
export const tuneCacheKey: typeof NodeCache.tuneCacheKey = (info) => `${info.description} | ${info.vendor} | ${info.architecture} | ${dawnVersion()}`;

/** No cache file in a page. */
export const tuneCachePath: typeof NodeCache.tuneCachePath = () => null;

export const readTuneCacheFile: typeof NodeCache.readTuneCacheFile = () => nodeOnly('readTuneCacheFile');

/** No entries in a page. */
export const readTuneCache: typeof NodeCache.readTuneCache = () => ({ entries: [], message: null });

export const writeTuneCache: typeof NodeCache.writeTuneCache = () => nodeOnly('writeTuneCache');

/** `useTuneCache(null)` (no cache) is the only choice in a page. */
export const useTuneCache: typeof NodeCache.useTuneCache = (path = null) => {
  if (path !== null) nodeOnly(`useTuneCache(${JSON.stringify(path)})`);
  setTuningSource(null);
};
