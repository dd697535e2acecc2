/**
 * The CLIs end to end, as a user runs them: `pnpm train` on a MagicBrush folder in the original
 * release layout (written here from synthetic scenes, with one corrupt row skipped by --skip-bad),
 * `--resume` of the finished run with only --out (flags from run.json) and with --epochs raised,
 * `pnpm predict` with the trained head moved elsewhere, and the refusals that protect user files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateBatch, encodePng, decodeImage } from '../data/index.js';

const root = resolve(import.meta.dirname, '../../../..');
const tsx = join(root, 'node_modules/.bin/tsx');
/** Runs a CLI and returns its exit code and output (for the runs expected to fail). */
const attempt = (script: string, args: string[]) => {
  const r = spawnSync(tsx, ['--conditions=source', join(root, 'packages/train/src/cli', script), ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const run = (script: string, args: string[]) => {
  try {
    return execFileSync(tsx, ['--conditions=source', join(root, 'packages/train/src/cli', script), ...args], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`${script} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
};

/** RGB bytes (HWC) of a CHW float image. */
function rgbBytes(chw: Float32Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) out[3 * i + c] = Math.round(chw[c * w * h + i] * 255);
  return out;
}

let dir: string;
let data: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fusion-cli-'));
  data = join(dir, 'magicbrush');
  const samples = generateBatch({ seed: 9, size: 32 }, 0, 14);
  const sessions: Record<string, { input: string; mask: string; output: string; instruction: string }[]> = {};
  samples.forEach((s, i) => {
    const id = `${100 + i}`;
    mkdirSync(join(data, 'images', id), { recursive: true });
    writeFileSync(join(data, 'images', id, 'source.png'), encodePng(rgbBytes(s.image, 32, 32), 32, 32));
    // RGB mask: the edit region is near-white (no alpha channel).
    const mask = new Uint8Array(32 * 32 * 3);
    s.mask.forEach((m, p) => mask.fill(m ? 255 : 0, 3 * p, 3 * p + 3));
    writeFileSync(join(data, 'images', id, 'mask.png'), encodePng(mask, 32, 32));
    writeFileSync(join(data, 'images', id, 'target.png'), encodePng(rgbBytes(s.target!, 32, 32), 32, 32));
    sessions[id] = [{ input: 'source.png', mask: 'mask.png', output: 'target.png', instruction: s.instruction }];
  });
  // One corrupt row, read first (integer-like keys come first, in ascending order): --skip-bad counts it.
  mkdirSync(join(data, 'images', '99'), { recursive: true });
  writeFileSync(join(data, 'images', '99', 'source.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]));
  sessions['99'] = [{ input: 'source.png', mask: 'source.png', output: 'source.png', instruction: 'remove it' }];
  writeFileSync(join(data, 'edit_sessions.json'), JSON.stringify(sessions));
});

describe('pnpm train and pnpm predict', () => {
  it('trains on a MagicBrush folder, resumes the finished run, and predicts a mask', () => {
    const out = join(dir, 'run');
    const args = ['--data', data, '--fusion', 'cross-pixel', '--epochs', '1', '--train', '8', '--validation', '2', '--eval', '4', '--batch', '4', '--skip-bad', '--out', out, '--quiet'];
    const log = run('train.ts', args);
    expect(log).toMatch(/data: MagicBrush .*: 8 training samples per epoch, 2 validation, 4 evaluation/);
    expect(log).toContain('data: skipped 1 bad row (--skip-bad): corrupt-image 1');
    for (const f of ['report.md', 'report.html', 'metrics.json', 'loss-curves.svg', 'examples.png', 'cross-pixel/best.safetensors', 'cross-pixel/model.json', 'cross-pixel/train.jsonl']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.fusions.map((f: { fusion: string }) => f.fusion)).toEqual(['cross-pixel']);
    expect(metrics.dataset.eval).toBe(4);
    expect(metrics.baselines.map((b: { name: string }) => b.name)).toEqual(['all-background', 'mean-mask prior']);
    expect(readFileSync(join(out, 'cross-pixel/train.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);

    // The same run again without --resume is refused, naming both ways on.
    const again = attempt('train.ts', args);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`pnpm train: --out ${out} holds a run (run.json): continue it with --resume, or overwrite it with --force`);
    // --resume with only --out reads every flag from run.json; a flag given beside it must agree.
    expect(run('train.ts', ['--resume', '--out', out, '--quiet'])).toMatch(/cross-pixel: finished earlier/);
    const other = attempt('train.ts', ['--resume', '--out', out, '--lr', '0.5', '--quiet']);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/--resume: .*run\.json was made with other settings \(lr: 0\.002 -> 0\.5\); give the same flags, or none/);
    // --epochs may be raised: the finished head trains one more epoch from its checkpoint.
    expect(run('train.ts', ['--resume', '--out', out, '--epochs', '2', '--quiet'])).toMatch(/cross-pixel: resumed from .*ckpt-00000002 \(step 2, epoch 1\)/);
    expect(readFileSync(join(out, 'cross-pixel/train.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).fusions[0].epochs).toBe(2);

    // model.json names its tokenizer relative to the head's folder: a moved head still predicts.
    const moved = join(dir, 'moved-head');
    cpSync(join(out, 'cross-pixel'), moved, { recursive: true });
    expect(JSON.parse(readFileSync(join(moved, 'model.json'), 'utf8')).tokenizer).toBe('tokenizer.json');
    const mask = join(dir, 'mask.png');
    const image = join(data, 'images', '100', 'source.png');
    const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const predicted = attempt('predict.ts', ['--checkpoint', moved, '--image', image, '--text', long, '--out', mask]);
    expect(predicted.status, predicted.stderr).toBe(0);
    expect(predicted.stdout).toMatch(/mask: /);
    expect(predicted.stderr).toMatch(/--text has \d+ tokens; this head reads the first \d+ \(its limit\) and ignores the rest/);
    const decoded = decodeImage(new Uint8Array(readFileSync(mask)), mask);
    expect([decoded.width, decoded.height]).toEqual([32, 32]);
    expect(new Set(decoded.data).size).toBeLessThanOrEqual(2);
    expect(existsSync(join(dir, 'mask.overlay.png'))).toBe(true);

    // Outputs never overwrite an input, nor an existing file without --force.
    const predict = (extra: string[]) => attempt('predict.ts', ['--checkpoint', moved, '--text', 'remove it', ...extra]);
    const photo = join(dir, 'photo.png');
    cpSync(image, photo);
    const before = readFileSync(photo);
    const onPhoto = predict(['--image', photo, '--out', photo]);
    expect(onPhoto.status).toBe(2);
    expect(onPhoto.stderr).toContain(`--out ${photo} is the input --image; writing it would destroy that file: choose another --out`);
    expect(readFileSync(photo)).toEqual(before);
    expect(predict(['--image', photo, '--out', join(moved, 'best.safetensors')]).stderr).toContain('is the input --checkpoint');
    expect(predict(['--image', photo, '--out', mask]).stderr).toContain(`--out ${mask} exists; pass --force to overwrite it`);
    expect(predict(['--image', photo, '--out', mask, '--force']).status).toBe(0);
    expect(predict(['--image', dir, '--out', join(dir, 'x.png')]).stderr).toContain(`--image ${dir} is a folder; give a file`);
    expect(predict(['--image', photo, '--out', join(dir, 'y.png'), '--threshold', '5']).stderr).toContain('--threshold must be at most 1, got 5');
  }, 600_000);

  it('refuses --out that is a file or a non-empty folder, --resume without a run, and sizes the data cannot give, before any work', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'user data');
    const asFile = attempt('train.ts', ['--out', file]);
    expect(asFile.status).toBe(2);
    expect(asFile.stderr).toContain(`--out ${file} is a file; --out names the run's folder`);
    expect(readFileSync(file, 'utf8')).toBe('user data');
    expect(attempt('train.ts', ['--out', data]).stderr).toContain(`--out ${data} is not empty and holds no run: choose a new or empty folder, or pass --force to write into it`);
    const fresh = join(dir, 'fresh');
    expect(attempt('train.ts', ['--resume', '--out', fresh]).stderr).toContain(`--resume: ${fresh} holds no run (no run.json); drop --resume to start a new run there`);
    const small = attempt('train.ts', ['--size', '16', '--out', join(dir, 'small')]);
    expect(small.status).toBe(2);
    expect(small.stderr).toContain('--size 16: synthetic scenes are drawn at 24 to 4096 pixels');
    expect(attempt('train.ts', ['--batch', '300', '--train', '100', '--out', join(dir, 'big')]).stderr).toContain('--batch 300 is larger than the training set (100 samples per epoch, --train): lower --batch or raise --train');
    expect(existsSync(join(dir, 'big'))).toBe(false);
  }, 120_000);

  it('stops with a usage error naming the flag', () => {
    expect(() => run('train.ts', ['--epoch', '3'])).toThrow(/unknown flag --epoch \(did you mean --epochs\?\)/);
    expect(() => run('train.ts', ['--fusion', 'concat,late'])).toThrow(/--fusion: head spec "late": unknown kind "late"/);
    expect(() => run('train.ts', ['--fusion', 'cross-pixel,cross-pixel'])).toThrow(/--fusion: "cross-pixel" names the same head as "cross-pixel"/);
    expect(() => run('predict.ts', ['--image', 'x.png'])).toThrow(/--checkpoint is required/);
  }, 120_000);
});
