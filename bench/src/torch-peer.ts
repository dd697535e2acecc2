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

/**
 * Runs a Python script that prints one JSON object as its last stdout line, or `{"skipped": reason}`
 * where it cannot run (no torch, no CUDA). Returns the object, or why it was skipped (also: no such
 * interpreter); throws (with its stderr) when the script fails or prints no JSON.
 */
export function runPythonJson(python: string, args: readonly string[], options: { timeoutMs: number; env?: Record<string, string> }): { json: Record<string, unknown> } | { skipped: string } {
  const run = spawnSync(python, args, { encoding: 'utf8', timeout: options.timeoutMs, env: { ...process.env, ...options.env }, maxBuffer: 64 << 20 });
  if (run.error) return { skipped: `${python} could not be run: ${run.error.message}` };
  const last = run.stdout.trim().split('\n').pop() ?? '';
  let out: Record<string, unknown> = {};
  try {
    out = JSON.parse(last);
  } catch {
    // not JSON: reported below with stderr
  }
  if (typeof out.skipped === 'string') return { skipped: out.skipped };
  if (run.status !== 0 || last === '' || Object.keys(out).length === 0) {
    const why = run.signal ? `killed by ${run.signal}${run.signal === 'SIGTERM' ? ` after ${options.timeoutMs / 1000} s` : ''}` : `exit ${run.status}`;
    throw new Error(`${python} ${args[0]} failed (${why}): ${run.stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
  return { json: out };
}

/** One timed run of the PyTorch step; throws (with its stderr) only when the script itself fails. */
export function runTorchStep(python: string, config: TorchStepConfig): TorchStepResult {
  if (!existsSync(python)) return { skipped: `${python} does not exist (the PyTorch CPU peer runs Debian's /usr/bin/python3 with python3-torch; --python PATH picks another)` };
  const dir = mkdtempSync(join(tmpdir(), 'fusion-torch-'));
  try {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify(config));
    const run = runPythonJson(python, [TORCH_STEP_SCRIPT, '--config', path], { timeoutMs: 600_000, env: { OMP_NUM_THREADS: String(config.threads) } });
    if ('skipped' in run) return run;
    const out = run.json;
    if (typeof out.msPerStep !== 'number') throw new Error(`${python} ${TORCH_STEP_SCRIPT} printed no msPerStep: ${JSON.stringify(out).slice(0, 200)}`);
    return { msPerStep: out.msPerStep, torch: String(out.torch), threads: Number(out.threads) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
