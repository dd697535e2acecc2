import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { init, writeSafetensorsFile, readSafetensorsFile, type SerializableTensor, type HostTensor } from '@fusion/tensor';
import { forwardCommand, parseForwardArgs } from './forward.js';
import { compareWithTorch, loadFixture } from '../testing/parity.js';

beforeAll(async () => {
  await init();
});

const ROOT = resolve(import.meta.dirname, '../../../..');

function serializable(entries: Map<string, HostTensor>, rename: (n: string) => string = (n) => n): Record<string, SerializableTensor> {
  const out: Record<string, SerializableTensor> = {};
  for (const [name, t] of entries) out[rename(name)] = t.data instanceof Int32Array ? { shape: [...t.shape], dtype: 'i32', data: t.data } : { shape: [...t.shape], dtype: 'f32', data: t.data };
  return out;
}

/** Writes a fixture's weights (renamed) and inputs to dir; returns the paths. */
async function writeCase(dir: string, fixture: string, rename?: (n: string) => string) {
  const fx = loadFixture(fixture);
  const weights = join(dir, `${fixture}-weights.safetensors`);
  const inputs = join(dir, `${fixture}-inputs.safetensors`);
  await writeSafetensorsFile(weights, serializable(fx.group('param'), rename));
  await writeSafetensorsFile(inputs, serializable(fx.group('input')));
  return { fx, weights, inputs, out: join(dir, `${fixture}-out.safetensors`) };
}

async function expectOutputs(path: string, fx: ReturnType<typeof loadFixture>, names: Record<string, string>) {
  const file = await readSafetensorsFile(path);
  expect(file.names().sort()).toEqual(Object.keys(names).sort());
  for (const [ours, torch] of Object.entries(names)) {
    const t = file.read(ours);
    expect(t.dtype).toBe('f32');
    compareWithTorch(t.data, fx.read(`eval.output.${torch}`), `${ours} from ${path}`);
  }
}

describe('pnpm fusion forward', () => {
  it('parses options and names what is missing or wrong', () => {
    expect(parseForwardArgs(['--arch', 'bert', '--config', '{"layers":2}', '--weights', 'w', '--inputs=x', '--out', 'y'])).toEqual({ arch: 'bert', config: { layers: 2 }, weights: 'w', inputs: 'x', out: 'y' });
    expect(() => parseForwardArgs(['--arch', 'bert', '--inputs', 'x', '--out', 'y'])).toThrow('missing option --weights');
    expect(() => parseForwardArgs(['--arch', 'vgg', '--weights', 'w', '--inputs', 'x', '--out', 'y'])).toThrow('--arch vgg: expected one of resnet50, bert-base, resnet, bert');
    expect(() => parseForwardArgs(['--arch', 'bert', '--config', '{layers', '--weights', 'w', '--inputs', 'x', '--out', 'y'])).toThrow('--config is not valid JSON');
    expect(() => parseForwardArgs(['--arch', 'bert', '--weights', 'w', '--inputs', 'x.safetensors', '--out', './x.safetensors'])).toThrow('--out ./x.safetensors is the --inputs file; writing it would destroy that file: choose another --out');
    expect(() => parseForwardArgs(['--arch', 'bert', '--weigths', 'w'])).toThrow('unknown option --weigths');
  });

  it('runs a tiny ResNet from torchvision-named weights and writes feature_map, pooled, logits as torch computes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-forward-'));
    try {
      const c = await writeCase(dir, 'resnet_tiny');
      const log = await forwardCommand({ arch: 'resnet', config: c.fx.config, weights: c.weights, inputs: c.inputs, out: c.out });
      expect(log[0]).toMatch(/^loaded \d+ tensors/);
      await expectOutputs(c.out, c.fx, { feature_map: 'feature_map', pooled: 'pooled', logits: 'logits' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a tiny BERT from HF weights with the bert. prefix and writes last_hidden_state, pooler_output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-forward-'));
    try {
      const c = await writeCase(dir, 'bert_tiny', (n) => `bert.${n}`);
      await forwardCommand({ arch: 'bert', config: c.fx.config, weights: c.weights, inputs: c.inputs, out: c.out });
      await expectOutputs(c.out, c.fx, { last_hidden_state: 'last_hidden_state', pooler_output: 'pooler_output' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('errors name the missing input and the missing weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-forward-'));
    try {
      const c = await writeCase(dir, 'bert_tiny');
      await expect(forwardCommand({ arch: 'resnet', config: { layers: [1], widths: [4], outStage: 1 }, weights: c.weights, inputs: c.inputs, out: c.out })).rejects.toThrow(/missing keys: conv1\.weight/);
      const r = await writeCase(dir, 'resnet_tiny');
      await expect(forwardCommand({ arch: 'bert', config: c.fx.config, weights: c.weights, inputs: r.inputs, out: c.out })).rejects.toThrow(`${r.inputs}: missing input "input_ids" (the file has: pixel_values)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works as a command: pnpm fusion forward (tsx, a fresh process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-forward-'));
    try {
      const c = await writeCase(dir, 'bert_tiny', (n) => `bert.${n}`);
      const stdout = execFileSync(join(ROOT, 'node_modules/.bin/tsx'), ['--conditions=source', 'packages/models/src/cli/fusion.ts', 'forward', '--arch', 'bert', '--config', JSON.stringify(c.fx.config), '--weights', c.weights, '--inputs', c.inputs, '--out', c.out], {
        cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
      });
      expect(stdout).toMatch(/loaded \d+ tensors/);
      expect(stdout).toContain(`wrote last_hidden_state [2, 7, 32], pooler_output [2, 32] to ${c.out}`);
      await expectOutputs(c.out, c.fx, { last_hidden_state: 'last_hidden_state', pooler_output: 'pooler_output' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
