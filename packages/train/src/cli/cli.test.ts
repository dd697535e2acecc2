/**
 * The CLIs end to end, as a user runs them: `pnpm train` on a MagicBrush folder in the original
 * release layout (written here from synthetic scenes), `--resume` of the finished run, and
 * `pnpm predict` with the trained head.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateBatch, encodePng, decodeImage } from '../data/index.js';

const root = resolve(import.meta.dirname, '../../../..');
const tsx = join(root, 'node_modules/.bin/tsx');
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
  writeFileSync(join(data, 'edit_sessions.json'), JSON.stringify(sessions));
});

describe('pnpm train and pnpm predict', () => {
  it('trains on a MagicBrush folder, resumes the finished run, and predicts a mask', () => {
    const out = join(dir, 'run');
    const args = ['--data', data, '--fusion', 'cross-pixel', '--epochs', '1', '--train', '8', '--validation', '2', '--eval', '4', '--batch', '4', '--out', out, '--quiet'];
    const log = run('train.ts', args);
    expect(log).toMatch(/data: MagicBrush .*: 8 training samples per epoch, 2 validation, 4 evaluation/);
    for (const f of ['report.md', 'report.html', 'metrics.json', 'loss-curves.svg', 'examples.png', 'cross-pixel/best.safetensors', 'cross-pixel/model.json', 'cross-pixel/train.jsonl']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.fusions.map((f: { fusion: string }) => f.fusion)).toEqual(['cross-pixel']);
    expect(metrics.dataset.eval).toBe(4);
    expect(metrics.baselines.map((b: { name: string }) => b.name)).toEqual(['all-background', 'mean-mask prior']);
    expect(readFileSync(join(out, 'cross-pixel/train.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);

    expect(run('train.ts', [...args, '--resume'])).toMatch(/cross-pixel: finished earlier/);

    const mask = join(dir, 'mask.png');
    const image = join(data, 'images', '100', 'source.png');
    expect(run('predict.ts', ['--checkpoint', join(out, 'cross-pixel'), '--image', image, '--text', 'remove the red circle', '--out', mask])).toMatch(/mask: /);
    const decoded = decodeImage(new Uint8Array(readFileSync(mask)), mask);
    expect([decoded.width, decoded.height]).toEqual([32, 32]);
    expect(new Set(decoded.data).size).toBeLessThanOrEqual(2);
    expect(existsSync(join(dir, 'mask.overlay.png'))).toBe(true);
  }, 300_000);

  it('stops with a usage error naming the flag', () => {
    expect(() => run('train.ts', ['--epoch', '3'])).toThrow(/unknown flag --epoch \(did you mean --epochs\?\)/);
    expect(() => run('train.ts', ['--fusion', 'concat,late'])).toThrow(/--fusion: head spec "late": unknown kind "late"/);
    expect(() => run('predict.ts', ['--image', 'x.png'])).toThrow(/--checkpoint is required/);
  }, 120_000);
});
