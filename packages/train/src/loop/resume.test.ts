/**
 * Determinism and resumability of the training loop: the same seed gives the same losses, and a
 * run interrupted mid-epoch (or whose device was lost) and resumed from its checkpoint reaches
 * exactly the metrics of an uninterrupted run. A diverging run stops, is marked diverged, and
 * keeps no non-finite weights; weights of another head are refused naming the file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { readSafetensorsFile, runtime } from '@fusion/tensor';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, memory } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH, type BertTokenizer, type MaskModelConfig } from '@fusion/models';
import { syntheticSource } from './data-source.js';
import { trainFusion, type TrainFusionOptions, type TrainFusionOutcome } from './train-fusion.js';
import { meanMaskPrior, pickExamples } from './run.js';
import { loadWeights } from './checkpoint.js';
import { ResumableError } from './stop.js';

let tokenizer: BertTokenizer;
beforeAll(async () => {
  await init();
  tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
});

function options(dir: string, extra: Partial<TrainFusionOptions> = {}): TrainFusionOptions {
  const data = syntheticSource({ seed: 3, size: 24, train: 16, validation: 8, eval: 8 });
  const model: MaskModelConfig = {
    imageSize: 24,
    resnet: { layers: [1], widths: [4], stemStride: 1, stemPool: false, outStage: 1 },
    bert: { layers: 1, hidden: 8, heads: 2, intermediate: 16, vocabSize: tokenizer.vocabSize, maxPositions: 16, hiddenDropout: 0.1, attentionDropout: 0 },
    fusion: { kind: 'cross-pixel', dim: 8, heads: 2 },
    decoderWidths: [4, 4, 4, 4, 4, 4, 4, 4],
  };
  return {
    fusion: 'cross-pixel', dir, model, data, tokenizer, tokenizerPath: DEFAULT_TOKENIZER_PATH, batch: 4, epochs: 2, lr: 0.002,
    patience: 5, seed: 1, maxTokens: 12, prior: meanMaskPrior(data, 16), examples: pickExamples(data.evaluation, 2), resume: false,
    logEvery: 2, ...extra,
  };
}

const losses = (dir: string) => readFileSync(join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number });

describe('training loop', () => {
  it('is deterministic, and a resumed run matches an uninterrupted one exactly', async () => {
    const a = mkdtempSync(join(tmpdir(), 'fusion-a-'));
    const b = mkdtempSync(join(tmpdir(), 'fusion-b-'));
    const c = mkdtempSync(join(tmpdir(), 'fusion-c-'));
    const before = memory().liveTensors;
    const full = (await trainFusion(options(a))) as TrainFusionOutcome;
    expect(full).not.toBe('interrupted');
    expect(memory().liveTensors).toBe(before);
    const again = (await trainFusion(options(b))) as TrainFusionOutcome;
    expect(losses(b)).toEqual(losses(a));
    expect(again.result.metrics).toEqual(full.result.metrics);

    // 3 steps (mid-epoch 1), then resume to the end.
    expect(await trainFusion(options(c, { stopAfterSteps: 3 }))).toBe('interrupted');
    expect(existsSync(join(c, 'checkpoints', 'LATEST'))).toBe(true);
    expect(existsSync(join(c, 'result.json'))).toBe(false);
    expect(readdirSync(join(c, 'checkpoints')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const resumed = (await trainFusion(options(c, { resume: true }))) as TrainFusionOutcome;
    expect(losses(c)).toEqual(losses(a));
    expect(losses(a).map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(resumed.result.lossCurve).toEqual(full.result.lossCurve);
    expect(resumed.result.evalCurve).toEqual(full.result.evalCurve);
    expect(resumed.evaluation).toEqual(full.evaluation);
    expect(memory().liveTensors).toBe(before);
  });

  it('stops a diverging head at the first non-finite loss, marks it diverged, and never keeps non-finite weights', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fusion-diverge-'));
    const before = memory().liveTensors;
    const outcome = (await trainFusion(options(d, { lr: 1e30, logEvery: 3 }))) as TrainFusionOutcome;
    const diverged = outcome.result.diverged!;
    expect(diverged).toBeDefined();
    expect(diverged.epoch).toBe(1);
    expect(diverged.reason).toMatch(/^training loss (NaN|-?Infinity|[\d.e+]+, past the bound 1e\+4) at step \d+$/);
    const logged = losses(d);
    // The guard names the first bad step of those read back; training stopped at that readback.
    expect(logged.length).toBeLessThanOrEqual(diverged.step + 3);
    expect(logged.slice(0, diverged.step).every((l) => Number.isFinite(l.loss))).toBe(true);
    expect(outcome.result.evalCurve).toEqual([]);
    expect(existsSync(join(d, 'best.safetensors'))).toBe(false);
    expect(existsSync(join(d, 'checkpoints', 'LATEST'))).toBe(false);
    expect(JSON.parse(readFileSync(join(d, 'result.json'), 'utf8')).result.diverged).toEqual(diverged);
    expect(memory().liveTensors).toBe(before);
  });

  it('a lost device stops the head naming the intact checkpoint, and --resume finishes the run exactly', async () => {
    const full = mkdtempSync(join(tmpdir(), 'fusion-full-'));
    const lost = mkdtempSync(join(tmpdir(), 'fusion-lost-'));
    const reference = (await trainFusion(options(full))) as TrainFusionOutcome;
    // Steps 0..3 are epoch 1 (checkpoint at step 4); the device goes at step 6.
    const run = trainFusion(options(lost, { afterStep: (step) => step === 6 && runtime().device.destroy() }));
    await expect(run).rejects.toThrow(ResumableError);
    await expect(run).rejects.toThrow(new RegExp(`^cross-pixel: the WebGPU device was lost \\(destroyed: .*\\); GPU work recorded since the last readback did not run at step \\d+; the last checkpoint \\(${join(lost, 'checkpoints', 'ckpt-00000004')}\\) is intact$`));
    await init();
    const resumed = (await trainFusion(options(lost, { resume: true }))) as TrainFusionOutcome;
    expect(losses(lost)).toEqual(losses(full));
    expect(resumed.evaluation).toEqual(reference.evaluation);
  });

  it('refuses weights of another head, naming the file and the head that wrote them', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fusion-other-'));
    await trainFusion(options(d, { epochs: 1 }));
    const concat = new MaskModel({ ...options(d).model, fusion: { kind: 'concat', dim: 8, channels: 4 } });
    const file = join(d, 'best.safetensors');
    expect((await readSafetensorsFile(file)).metadata.fusion).toBe('cross-pixel');
    await expect(loadWeights(concat, file, 'head concat')).rejects.toThrow(new RegExp(`^${file} \\(written by head cross-pixel, epoch 1\\): these weights do not fit head concat: `));
    concat.dispose();
  });
});
