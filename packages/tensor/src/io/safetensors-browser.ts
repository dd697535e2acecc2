/**
 * safetensors "files" in a page, picked by the `#safetensors-file` import of package.json under
 * the `browser` condition: a path is a URL, read with `fetch` (relative to the page); writing
 * needs a file system and says so. Same exports and types as `safetensors-node.ts`.
 */
import type * as NodeFiles from './safetensors-node.js';
import { parseSafetensors } from './safetensors.js';

/**
 * Fetches and parses a safetensors file; errors name `path`.
 * @param path URL of the file (absolute, or relative to the page)
 */
export const readSafetensorsFile: typeof NodeFiles.readSafetensorsFile = async (path) => {
  let bytes: Uint8Array;
  try {
    const response = await fetch(path);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new Error(`${path}: cannot fetch safetensors file (${(error as Error).message})`);
  }
  return parseSafetensors(bytes, path);
};

/** Not available in a page: serialize with `serializeSafetensors` and offer the bytes as a download. */
export const writeSafetensorsFile: typeof NodeFiles.writeSafetensorsFile = async (path) => {
  throw new Error(`${path}: writeSafetensorsFile needs a file system (Node); in a page use serializeSafetensors and download the bytes`);
};
