/**
 * Determinism and resumability of the training loop: the same seed gives the same losses, and a
 * run interrupted mid-epoch and resumed from its checkpoint reaches exactly the metrics of an
 * uninterrupted run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, memory } from '@fusion/tensor';
import { loadTokenizer, DEFAULT_TOKENIZER_PATH, type BertTokenizer, type MaskModelConfig } from '@fusion/models';
import { syntheticSource } from './data-source.js';
import { trainFusion, type TrainFusionOptions, type TrainFusionOutcome } from './train-fusion.js';
import { meanMaskPrior, pickExamples } from './run.js';

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
});
