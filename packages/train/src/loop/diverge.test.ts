/**
 * A head whose training loss stops being finite is stopped there and marked diverged, so the
 * report names it and does not rank it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, memory } from '@fusion/tensor';
import { loadTokenizer, DEFAULT_TOKENIZER_PATH, type BertTokenizer } from '@fusion/models';
import { syntheticSource } from './data-source.js';
import { trainFusion, type TrainFusionOutcome } from './train-fusion.js';
import { meanMaskPrior } from './run.js';
import { writeAnswer } from '../report/answer.js';
import type { RunReport } from '../report/types.js';

let tokenizer: BertTokenizer;
beforeAll(async () => {
  await init();
  tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
});

describe('training loop divergence', () => {
  it('stops at the first non-finite loss, marks the result diverged, and the answer does not rank it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-diverge-'));
    const data = syntheticSource({ seed: 3, size: 24, train: 16, validation: 8, eval: 8 });
    const before = memory().liveTensors;
    const lines: string[] = [];
    const outcome = (await trainFusion({
      fusion: 'cross-pixel', dir, data, tokenizer, tokenizerPath: DEFAULT_TOKENIZER_PATH, batch: 4, epochs: 3, lr: 1e30, patience: 0, seed: 1, maxTokens: 12,
      model: {
        imageSize: 24,
        resnet: { layers: [1], widths: [4], stemStride: 1, stemPool: false, outStage: 1 },
        bert: { layers: 1, hidden: 8, heads: 2, intermediate: 16, vocabSize: tokenizer.vocabSize, maxPositions: 16, hiddenDropout: 0, attentionDropout: 0 },
        fusion: { kind: 'cross-pixel', dim: 8, heads: 2 },
        decoderWidths: [4, 4, 4, 4, 4, 4, 4, 4],
      },
      prior: meanMaskPrior(data, 16), examples: [], resume: false, logEvery: 1, log: (l) => lines.push(l),
    })) as TrainFusionOutcome;
    const { result } = outcome;
    expect(result.diverged).toBeDefined();
    expect(result.diverged!.reason).toMatch(/^training loss is (NaN|Infinity|-Infinity)$/);
    // training stopped at that step: the log holds no step after it, and no later epoch ran
    const steps = readFileSync(join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(Math.max(...steps)).toBe(result.diverged!.step);
    expect(result.diverged!.epoch).toBe(0);
    expect(result.trainSamples).toBe(4 * (result.diverged!.step + 1));
    expect(lines.some((l) => l.includes('diverged at step'))).toBe(true);
    expect(memory().liveTensors).toBe(before);

    const report: RunReport = {
      title: 't', createdAt: '2025-01-01', command: 'pnpm train', machine: { adapter: 'a', cpus: 2, os: 'linux' }, config: {},
      dataset: { name: 'synthetic', train: 16, eval: 8 }, fusions: [result], baselines: outcome.evaluation.baselines, examples: [], wallSeconds: 1, notes: [],
    };
    const answer = writeAnswer(report);
    expect(answer).toContain(`The cross-pixel head diverged (training loss is`);
    expect(answer).toContain('so it is not ranked');
    expect(answer).toContain('No head is left to rank');
  });
});
