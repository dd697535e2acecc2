/**
 * PyTorch CPU as the peer of a training step (`pnpm bench:step --vs-torch`): runs
 * bench/torch/step.py with Debian's /usr/bin/python3 (or the interpreter given) on the same model
 * configuration and step settings, and returns its ms per step, or why it was skipped (no such
 * interpreter, or no torch/torchvision for it). Never needed by tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_TORCH_PYTHON = '/usr/bin/python3';
export const TORCH_STEP_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'torch', 'step.py');

export interface TorchStepConfig {
  /** The preset's model configuration, in Fusion's option names. */
  model: unknown;
  batch: number;
  size: number;
  maxTokens: number;
  lr: number;
  posWeight: number;
  threads: number;
  warmup: number;
  steps: number;
}

export type TorchStepResult = { msPerStep: number; torch: string; threads: number } | { skipped: string };

/** One timed run of the PyTorch step; throws (with its stderr) only when the script itself fails. */
export function runTorchStep(python: string, config: TorchStepConfig): TorchStepResult {
  if (!existsSync(python)) return { skipped: `${python} does not exist (the PyTorch CPU peer runs Debian's /usr/bin/python3 with python3-torch; --python PATH picks another)` };
  const dir = mkdtempSync(join(tmpdir(), 'fusion-torch-'));
  try {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify(config));
    const run = spawnSync(python, [TORCH_STEP_SCRIPT, '--config', path], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, OMP_NUM_THREADS: String(config.threads) } });
    if (run.error) return { skipped: `${python} could not be run: ${run.error.message}` };
    const last = run.stdout.trim().split('\n').pop() ?? '';
    let out: Record<string, unknown> = {};
    try {
      out = JSON.parse(last);
    } catch {
      // not JSON: reported below with stderr
    }
    if (typeof out.skipped === 'string') return { skipped: out.skipped };
    if (run.status !== 0 || typeof out.msPerStep !== 'number') {
      throw new Error(`${python} ${TORCH_STEP_SCRIPT} failed (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-5).join('\n')}`);
    }
    return { msPerStep: out.msPerStep, torch: String(out.torch), threads: Number(out.threads) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
