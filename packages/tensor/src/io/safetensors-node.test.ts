import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSafetensorsFile, writeSafetensorsFile } from './safetensors-node.js';
import { serializeSafetensors, type SerializableTensor } from './safetensors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusion-safetensors-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tensors: Record<string, SerializableTensor> = {
  weight: { shape: [2, 2], dtype: 'f32', data: new Float32Array([1, 2, 3, 4]) },
  half: { shape: [2], dtype: 'f16', data: new Float32Array([0.5, -0]) },
  ids: { shape: [3], dtype: 'i32', data: new Int32Array([-1, 0, 1]) },
};

describe('writeSafetensorsFile / readSafetensorsFile', () => {
  it('writes the serialized bytes, reads them back and leaves no temporary file', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensorsFile(path, tensors, { step: '3' });
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    expect(new Uint8Array(await readFile(path))).toEqual(serializeSafetensors(tensors, { step: '3' }));
    const file = await readSafetensorsFile(path);
    expect(file.fileName).toBe(path);
    expect(file.metadata).toEqual({ step: '3' });
    expect([...file.read('weight').data]).toEqual([1, 2, 3, 4]);
    expect(Object.is(file.read('half').data[1], -0)).toBe(true);
    expect([...file.read('ids').data]).toEqual([-1, 0, 1]);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, 'old contents');
    await writeSafetensorsFile(path, { x: { shape: [1], dtype: 'f32', data: new Float32Array([9]) } });
    expect([...(await readSafetensorsFile(path)).read('x').data]).toEqual([9]);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('throws naming the path when the directory is missing, creating nothing', async () => {
    const path = join(dir, 'missing', 'model.safetensors');
    await expect(writeSafetensorsFile(path, tensors)).rejects.toThrow(`${path}: cannot write safetensors file`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps the old file and removes the temporary file when the final rename fails', async () => {
    // The target is a non-empty directory: writing the temporary file succeeds, renaming over it fails.
    const path = join(dir, 'model.safetensors');
    await mkdir(path);
    await writeFile(join(path, 'keep.txt'), 'still here');
    await expect(writeSafetensorsFile(path, tensors)).rejects.toThrow(`${path}: cannot write safetensors file`);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    expect(await readFile(join(path, 'keep.txt'), 'utf8')).toBe('still here');
  });

  it('does not touch the old file when serialization fails', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensorsFile(path, tensors);
    const before = await readFile(path);
    const broken = { w: { shape: [5], dtype: 'f32', data: new Float32Array(2) } } as Record<string, SerializableTensor>;
    await expect(writeSafetensorsFile(path, broken)).rejects.toThrow(/tensor "w": shape \[5\] has 5 elements, data has 2/);
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('names the path when reading a missing or corrupt file', async () => {
    const missing = join(dir, 'nope.safetensors');
    await expect(readSafetensorsFile(missing)).rejects.toThrow(`${missing}: cannot read safetensors file`);
    const corrupt = join(dir, 'corrupt.safetensors');
    await writeFile(corrupt, new Uint8Array([255, 0, 0, 0, 0, 0, 0, 0, 123]));
    await expect(readSafetensorsFile(corrupt)).rejects.toThrow(`${corrupt}: header length 255 is larger than the file`);
  });
});
