/**
 * safetensors files on disk (Node only: uses node:fs). Reading loads the whole file and parses
 * its header (tensors are still converted lazily on `read`). Writing is atomic: the bytes go to
 * `<path>.tmp-<pid>-<random>` in the same directory, are fsynced, then renamed over `path`, so a
 * reader sees either the old file or the new one, and a failure leaves the old file untouched and
 * no temporary file behind.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type SafetensorsReadOptions, type SerializableTensor } from './safetensors.js';

/**
 * Reads and parses a safetensors file; errors name `path`.
 * @param path file to read
 * @param options `allowNonFinite` lets `read` return NaN and infinite values (rejected by default)
 */
export async function readSafetensorsFile(path: string, options: SafetensorsReadOptions = {}): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`${path}: cannot read safetensors file (${(error as Error).message})`);
  }
  return parseSafetensors(bytes, path, options);
}

/**
 * Serializes tensors and writes them to `path` atomically (temp file, fsync, rename).
 * @param path target file; its directory must exist
 * @param tensors name -> tensor, as for `serializeSafetensors`
 * @param metadata optional `__metadata__` string map
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, SerializableTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata); // may throw before anything touches the disk
  const tempPath = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(tempPath, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, path);
  } catch (error) {
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw new Error(`${path}: cannot write safetensors file (${(error as Error).message})`);
  }
  await syncDirectory(dirname(path));
}

/** Makes the rename durable where the platform allows fsync on a directory (best effort). */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported everywhere (e.g. Windows); the data itself was already fsynced.
  }
}
