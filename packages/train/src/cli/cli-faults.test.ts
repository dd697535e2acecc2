/**
 * `pnpm train` under faults, as a user meets them: Ctrl-C (SIGINT) and SIGTERM mid-epoch leave a
 * checkpoint at the current step, print the exact resume command and exit 130 / 143, and that
 * command finishes the run; a learning rate that diverges gives a non-zero exit with every head
 * marked diverged in metrics.json and the report; a batch too large for the adapter's buffers
 * gives one message naming the tensor, the limit and the flags, with no device error dump.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../../..');
const script = join(root, 'packages/train/src/cli/train.ts');
// As `pnpm train` runs it: node with tsx's loader, so signals reach the training process itself
// (the tsx CLI's own process would relay them and kill a busy child after 60 ms).
const node = [process.execPath, '--import', 'tsx', '--conditions=source', script];
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
const dir = mkdtempSync(join(tmpdir(), 'fusion-faults-'));
// 20 steps of 2 images at 24x24 in one epoch, one head: long enough to be interrupted mid-epoch.
const small = ['--fusion', 'cross-pixel', '--size', '24', '--batch', '2', '--train', '40', '--validation', '2', '--eval', '2', '--epochs', '1', '--log-every', '1', '--quiet'];

const train = (args: string[]) => spawnSync(node[0], [...node.slice(1), ...args], { cwd: root, encoding: 'utf8', env });

/** Starts a run, sends `signal` once its train.jsonl has a few steps, and returns the exit code and output. */
function interrupted(out: string, signal: 'SIGINT' | 'SIGTERM'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(node[0], [...node.slice(1), ...small, '--out', out], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const jsonl = join(out, 'cross-pixel', 'train.jsonl');
    const poll = setInterval(() => {
      if (existsSync(jsonl) && readFileSync(jsonl, 'utf8').split('\n').length > 3) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 200);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearInterval(poll);
      done({ code, stdout, stderr });
    });
  });
}

describe('pnpm train under faults', () => {
  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s mid-epoch: a checkpoint at the current step, the resume command, exit %i; resuming finishes', async (signal, code) => {
    const out = join(dir, signal);
    const r = await interrupted(out, signal);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toContain(`${signal}: stopping after this step with a checkpoint`);
    expect(r.stdout).toContain(`stopped by ${signal}: each unfinished head continues from its last checkpoint (written at the step it reached) with: pnpm train --resume --out ${out}`);
    const latest = readFileSync(join(out, 'cross-pixel', 'checkpoints', 'LATEST'), 'utf8').trim();
    const step = Number(latest.replace('ckpt-', ''));
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(20);
    expect(existsSync(join(out, 'cross-pixel', 'result.json'))).toBe(false);
    const resumed = train(['--resume', '--out', out, '--quiet']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`cross-pixel: resumed from ${join(out, 'cross-pixel', 'checkpoints', latest)} (step ${step}, epoch 0)`);
    const steps = readFileSync(join(out, 'cross-pixel', 'train.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i));
  }, 300_000);

  it('a diverging learning rate: every head marked diverged, the report says so, exit 1', () => {
    const out = join(dir, 'diverged');
    const r = train([...small, '--train', '8', '--lr', '1e30', '--schedule', 'constant', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/cross-pixel: training diverged: training loss \S+ at step \d+ \(epoch 1\); this head stops, no weights were kept \(none were finite\), and is reported as diverged \(not ranked\)\. Try a lower --lr \(now 1e\+30\)\./);
    expect(r.stderr).toContain('pnpm train: every head diverged (cross-pixel): nothing trained; try a lower --lr');
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.fusions[0].diverged.reason).toMatch(/^training loss/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/The cross-pixel head diverged \(training loss .* at step \d+, epoch 1\), so it is not ranked\./);
    expect(existsSync(join(out, 'cross-pixel', 'best.safetensors'))).toBe(false);
    const predict = spawnSync(node[0], [...node.slice(1, 4), join(root, 'packages/train/src/cli/predict.ts'), '--checkpoint', join(out, 'cross-pixel'), '--image', join(root, 'README.md'), '--text', 'x', '--out', join(dir, 'p.png')], { cwd: root, encoding: 'utf8', env });
    expect(predict.status).toBe(1);
    expect(predict.stderr).toMatch(/best\.safetensors: no kept weights \(the head diverged: training loss .*\); nothing to predict with/);
  }, 300_000);

  it('a batch past the adapter\'s binding limit: one message naming the tensor, the limit and the flags, no device error dump', () => {
    const r = train(['--fusion', 'concat', '--batch', '2000', '--size', '64', '--train', '2000', '--validation', '2', '--eval', '2', '--epochs', '1', '--quiet', '--out', join(dir, 'big')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/pnpm train: tensor \(2000(, \d+)+\) f32 \(made by [^)]+\) takes [\d.]+ MiB, more than this adapter's maxStorageBufferBindingSize \([\d.]+ MiB\), and kernel \S+ binds it whole as "\w+" \(this kernel cannot split its work\)\. This adapter cannot hold it: lower --batch \(now 2000\) or --size \(now 64\)/);
    expect(r.stderr).not.toMatch(/Binding size|While validating|Invalid BindGroup/);
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('Warning: max')).length).toBe(1);
  }, 300_000);
});
