/**
 * Checkpoints of a training run, written so that nothing the user had is lost:
 *   <dir>/ckpt-<step>/model.safetensors      parameters and buffers (BatchNorm statistics)
 *   <dir>/ckpt-<step>/optimizer.safetensors  optimizer moments
 *   <dir>/ckpt-<step>/state.json             epoch, step, optimizer step count, RNG states, curves, early stopping
 *   <dir>/LATEST                             the name of the newest complete checkpoint
 * A checkpoint is written into `ckpt-<step>.tmp`, renamed when complete, and only then does
 * LATEST (itself replaced by rename) point at it; older checkpoints are removed after that. A
 * crash at any moment leaves LATEST naming a complete checkpoint.
 */
import { mkdir, readFile, rename, rm, readdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeSafetensorsFile, readSafetensorsFile, writeTensor, type Module, type Optimizer, type SerializableTensor } from '@fusion/tensor';
import { hostTensors } from './host-tensors.js';

export { hostTensors } from './host-tensors.js';

export interface CheckpointState {
  version: 1;
  /** Training step count (batches) completed. */
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** Arbitrary JSON the loop needs to continue exactly (RNG states, curves, early stopping). */
  loop: Record<string, unknown>;
}

async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(tmp, 'wx');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/**
 * Loads a module's parameters and buffers (strictly) from a safetensors file written here. Errors
 * name the file; weights of another model (another head's) say which head wrote them, and
 * `expected` (e.g. `head cross-pixel`) which model they were loaded into. Non-finite weights are
 * refused by the reader.
 */
export async function loadWeights(model: Module, path: string, expected?: string): Promise<void> {
  const file = await readSafetensorsFile(path);
  const tensors = new Map(file.names().map((n) => [n, file.read(n)]));
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    const writer = file.metadata.fusion ? ` (written by head ${file.metadata.fusion}${file.metadata.epoch ? `, epoch ${file.metadata.epoch}` : ''})` : '';
    throw new Error(`${path}${writer}: these weights do not fit ${expected ?? 'this model'}: ${(e as Error).message}`);
  }
}

/**
 * Writes a complete checkpoint of model, optimizer and loop state; returns its directory.
 * `weights`: the model's host tensors when the caller already read them back.
 */
export async function saveCheckpoint(
  dir: string, model: Module, optimizer: Optimizer, state: CheckpointState, weights?: Record<string, SerializableTensor>,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = `ckpt-${String(state.step).padStart(8, '0')}`;
  const tmp = join(dir, `${name}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  await writeSafetensorsFile(join(tmp, 'model.safetensors'), weights ?? (await hostTensors(model.stateDict())), { format: 'fusion' });
  await writeSafetensorsFile(join(tmp, 'optimizer.safetensors'), await hostTensors(optimizer.stateTensors()), { step_count: String(optimizer.stepCount) });
  await writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(state));
  const final = join(dir, name);
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  await writeFileAtomic(join(dir, 'LATEST'), name);
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('ckpt-') && entry !== name) await rm(join(dir, entry), { recursive: true, force: true });
  }
  return final;
}

/** The newest complete checkpoint's directory, or null when there is none. */
export async function latestCheckpoint(dir: string): Promise<string | null> {
  let name: string;
  try {
    name = (await readFile(join(dir, 'LATEST'), 'utf8')).trim();
  } catch {
    return null;
  }
  return name ? join(dir, name) : null;
}

/** Restores model, optimizer and returns the loop state of a checkpoint directory. */
export async function loadCheckpoint(path: string, model: Module, optimizer: Optimizer): Promise<CheckpointState> {
  const state = JSON.parse(await readFile(join(path, 'state.json'), 'utf8')) as CheckpointState;
  if (state.version !== 1) throw new Error(`${path}/state.json: unsupported checkpoint version ${String(state.version)}`);
  await loadWeights(model, join(path, 'model.safetensors'));
  const opt = await readSafetensorsFile(join(path, 'optimizer.safetensors'));
  const stepCount = Number(opt.metadata.step_count);
  if (!Number.isInteger(stepCount)) throw new Error(`${path}/optimizer.safetensors: missing step_count metadata`);
  optimizer.loadState(stepCount, (name) => (opt.has(name) ? (opt.read(name).data as Float32Array) : undefined), (t, data) => writeTensor(t, data));
  return state;
}

/** Writes a small JSON file atomically (run-level status files). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2));
}

