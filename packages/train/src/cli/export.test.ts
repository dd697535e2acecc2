/**
 * `pnpm export` end to end: a head's folder of a `pnpm train` run becomes one `.fusion` file that
 * `pnpm predict` reads and predicts the same mask from as from the folder; `--half` halves it;
 * an existing file is replaced only with `--force`; a wrong folder is named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { init, manualSeed, writeSafetensorsFile, destroyDevice } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH } from '@fusion/models';
import { PRESETS } from '../presets.js';
import { generateSample } from '../data/synthetic.js';
import { encodePng, toHwcBytes } from '../data/image.js';
import { hostTensors } from '../loop/host-tensors.js';
import { parseHead } from '../predict/head-file.js';

const root = resolve(import.meta.dirname, '../../../..');
const tsx = join(root, 'node_modules/.bin/tsx');
function run(script: string, args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(tsx, ['--conditions=source', join(root, 'packages/train/src/cli', script), ...args], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

let dir: string;
let head: string;
let image: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fusion-export-'));
  head = join(dir, 'run', 'cross-pixel');
  mkdirSync(head, { recursive: true });
  await init();
  const tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
  const model = { ...PRESETS.tiny.model('cross-pixel', 32, tokenizer.vocabSize), freezeEncoders: false };
  manualSeed(4);
  const m = new MaskModel(model);
  await writeSafetensorsFile(join(head, 'best.safetensors'), await hostTensors(m.stateDict()), { fusion: 'cross-pixel', epoch: '3' });
  m.dispose();
  writeFileSync(join(head, 'model.json'), JSON.stringify({ fusion: 'cross-pixel', model, tokenizer: DEFAULT_TOKENIZER_PATH, maxTokens: 16 }));
  const s = generateSample({ seed: 2, size: 40 }, 1);
  image = join(dir, 'scene.png');
  writeFileSync(image, encodePng(toHwcBytes(s.image, 40, 40), 40, 40));
  destroyDevice();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pnpm export', () => {
  it('writes one file that pnpm predict reads, with the mask the folder gives', () => {
    const file = join(dir, 'head.fusion');
    const exported = run('export.ts', ['--checkpoint', head, '--out', file]);
    expect(exported.out).toMatch(/head: .*head\.fusion \(cross-pixel, \d+ KiB\)/);
    const parsed = parseHead(new Uint8Array(readFileSync(file)), file);
    expect([parsed.fusion, parsed.maxTokens, parsed.epoch, parsed.source]).toEqual(['cross-pixel', 16, '3', head]);
    expect(JSON.parse(parsed.tokenizer)).toEqual(JSON.parse(readFileSync(DEFAULT_TOKENIZER_PATH, 'utf8')));

    const fromFile = join(dir, 'file-mask.png');
    const fromFolder = join(dir, 'folder-mask.png');
    expect(run('predict.ts', ['--checkpoint', file, '--image', image, '--text', 'remove the red circle', '--out', fromFile]).out).toMatch(/mask: /);
    expect(run('predict.ts', ['--checkpoint', head, '--image', image, '--text', 'remove the red circle', '--out', fromFolder]).out).toMatch(/mask: /);
    expect(readFileSync(fromFile).equals(readFileSync(fromFolder))).toBe(true);
    expect(readFileSync(fromFile.replace('.png', '.overlay.png')).equals(readFileSync(fromFolder.replace('.png', '.overlay.png')))).toBe(true);

    const refused = run('export.ts', ['--checkpoint', head, '--out', file, '--half']);
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/--out .*head\.fusion exists; pass --force to replace it/);
    const before = statSync(file).size;
    expect(run('export.ts', ['--checkpoint', head, '--out', file, '--half', '--force']).out).toMatch(/f16 weights/);
    expect(statSync(file).size).toBeLessThan(0.75 * before);
  }, 300_000);

  it('names what is missing', () => {
    const missing = run('export.ts', ['--checkpoint', join(dir, 'nowhere'), '--out', join(dir, 'x.fusion')]);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/nowhere\/model\.json: cannot read the model config .*--checkpoint must be a head's folder of a pnpm train run/);
    expect(run('export.ts', ['--out', 'x.fusion']).out).toMatch(/--checkpoint is required/);
  }, 120_000);
});
