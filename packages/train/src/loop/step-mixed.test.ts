/**
 * Mixed-precision training through the shared step (step.ts): a few steps of a small MaskModel with
 * f16 GEMM inputs and dynamic loss scaling train (the loss falls); an overflowing scale skips the
 * step (weights untouched) and halves; finite steps grow it; the divergence guard reads the mixed
 * loss (a skipped step is no divergence, a non-finite loss is); the training loop's
 * `precision: 'mixed'` is deterministic and resumes exactly (the scaler's state is checkpointed),
 * and the precision is a run setting `--resume` checks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, Adam, manualSeed, memory, LossScaler, full, copyInto } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH, type BertTokenizer, type MaskModelConfig } from '@fusion/models';
import { syntheticSource } from './data-source.js';
import { batchTensors, disposeBatch } from './batch-tensors.js';
import { lossScalerFor, trainStep } from './step.js';
import { LossLog } from './loss-log.js';
import { DIVERGENCE_LOSS_BOUND } from './divergence.js';
import { trainFusion, type TrainFusionOptions, type TrainFusionOutcome } from './train-fusion.js';
import { changedSettings, meanMaskPrior, pickExamples } from './run.js';

let tokenizer: BertTokenizer;
beforeAll(async () => {
  await init();
  tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
});

const modelConfig = (): MaskModelConfig => ({
  imageSize: 24,
  resnet: { layers: [1], widths: [4], stemStride: 1, stemPool: false, outStage: 1 },
  bert: { layers: 1, hidden: 8, heads: 2, intermediate: 16, vocabSize: tokenizer.vocabSize, maxPositions: 16, hiddenDropout: 0, attentionDropout: 0 },
  fusion: { kind: 'cross-pixel', dim: 8, heads: 2 },
  decoderWidths: [4, 4, 4, 4, 4, 4, 4, 4],
});

describe('mixed precision', () => {
  it('trains (the loss falls), skips an overflowing step and halves the scale, grows it after good steps', async () => {
    const before = memory().liveTensors;
    manualSeed(5);
    const model = new MaskModel(modelConfig());
    const optimizer = new Adam(model.trainableParameters(), { lr: 0.01 });
    const data = syntheticSource({ seed: 2, size: 24, train: 4, validation: 1, eval: 1 });
    const b = batchTensors(data.trainBatch(0, 4), tokenizer, 12);
    const mixed = lossScalerFor('mixed', { initScale: 2 ** 40, growthInterval: 3 })!;
    const step = async () => {
      const r = trainStep(model, optimizer, b, { posWeight: 1, lossScaler: mixed });
      const applied = await r.finish();
      const loss = await r.loss.item();
      r.loss.dispose();
      return { applied, loss };
    };

    // 2^40 times dL/dC overflows f16 when the backward casts dC: the step is skipped, nothing moves
    const weightsBefore = await model.parameters()[0].toArray();
    const first = await step();
    expect(first.applied).toBe(false);
    expect(mixed.state()).toEqual({ scale: 2 ** 39, goodSteps: 0, skippedSteps: 1 });
    expect(Array.from(await model.parameters()[0].toArray())).toEqual(Array.from(weightsBefore));
    expect(optimizer.stepCount).toBe(0);

    // from a scale that fits, three finite steps double it (growthInterval 3)
    mixed.setState({ scale: 2 ** 8, goodSteps: 0, skippedSteps: 1 });
    const losses: number[] = [];
    for (let s = 0; s < 10; s++) {
      const r = await step();
      expect(r.applied).toBe(true);
      expect(Number.isFinite(r.loss)).toBe(true);
      losses.push(r.loss);
      if (s === 1) expect(mixed.state().scale).toBe(2 ** 8);
      if (s === 2) expect(mixed.state()).toEqual({ scale: 2 ** 9, goodSteps: 0, skippedSteps: 1 });
    }
    expect(optimizer.stepCount).toBe(10);
    expect(Array.from(await model.parameters()[0].toArray())).not.toEqual(Array.from(weightsBefore));
    expect(losses[9]).toBeLessThan(0.8 * losses[0]);
    disposeBatch(b);
    optimizer.dispose();
    model.dispose();
    expect(memory().liveTensors).toBe(before);
  });

  it("the training loop with precision 'mixed' is deterministic and resumes exactly (the scaler is checkpointed)", async () => {
    const options = (dir: string, extra: Partial<TrainFusionOptions> = {}): TrainFusionOptions => {
      const data = syntheticSource({ seed: 3, size: 24, train: 16, validation: 8, eval: 8 });
      return {
        fusion: 'cross-pixel', dir, model: modelConfig(), data, tokenizer, tokenizerPath: DEFAULT_TOKENIZER_PATH, batch: 4, epochs: 2, lr: 0.002,
        patience: 0, seed: 1, maxTokens: 12, prior: meanMaskPrior(data, 16), examples: pickExamples(data.evaluation, 1), resume: false, logEvery: 2,
        precision: 'mixed', ...extra,
      };
    };
    const losses = (dir: string) => readFileSync(join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number });
    const a = mkdtempSync(join(tmpdir(), 'fusion-mixed-a-'));
    const c = mkdtempSync(join(tmpdir(), 'fusion-mixed-c-'));
    const full = (await trainFusion(options(a))) as TrainFusionOutcome;
    expect(losses(a).map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(losses(a).every((l) => Number.isFinite(l.loss))).toBe(true);
    expect(await trainFusion(options(c, { stopAfterSteps: 3 }))).toBe('interrupted');
    const checkpoint = JSON.parse(readFileSync(join(c, 'checkpoints', readFileSync(join(c, 'checkpoints', 'LATEST'), 'utf8').trim(), 'state.json'), 'utf8'));
    expect(checkpoint.loop.lossScale.scale).toBeGreaterThan(0);
    const resumed = (await trainFusion(options(c, { resume: true }))) as TrainFusionOutcome;
    expect(losses(c)).toEqual(losses(a));
    expect(resumed.evaluation).toEqual(full.evaluation);
  });

  it('refuses an unknown precision; f32 has no scaler', () => {
    expect(() => lossScalerFor('bf16' as never)).toThrow(/precision must be one of f32, mixed, got 'bf16'/);
    expect(lossScalerFor('f32')).toBeNull();
    expect(lossScalerFor('mixed')).toBeInstanceOf(LossScaler);
  });

  it('the divergence guard reads the mixed loss: a skipped step is no divergence, a non-finite loss is', async () => {
    const before = memory().liveTensors;
    const dir = mkdtempSync(join(tmpdir(), 'fusion-mixed-guard-'));
    manualSeed(6);
    const model = new MaskModel(modelConfig());
    const optimizer = new Adam(model.trainableParameters(), { lr: 0.01 });
    const data = syntheticSource({ seed: 4, size: 24, train: 4, validation: 1, eval: 1 });
    const scaler = new LossScaler({ initScale: 2 ** 40 });
    const log = new LossLog(join(dir, 'train.jsonl'), 0, DIVERGENCE_LOSS_BOUND);
    try {
      // step 0: the scaled gradients overflow f16, the scaler skips the step; its loss is finite
      const b = batchTensors(data.trainBatch(0, 4), tokenizer, 12);
      const skipped = trainStep(model, optimizer, b, { posWeight: 1, lossScaler: scaler });
      log.push(0, skipped.loss);
      expect(await skipped.finish()).toBe(false);
      const first = await log.flush(0);
      expect(Number.isFinite(first.losses[0].loss)).toBe(true);
      expect(first.diverged).toBeNull();
      // step 1: weights gone NaN (a real divergence): the unscaled loss is NaN, and the guard stops there
      for (const p of model.parameters()) {
        const nan = full(p.shape, NaN);
        copyInto(p, nan);
        nan.dispose();
      }
      const bad = trainStep(model, optimizer, b, { posWeight: 1, lossScaler: scaler });
      log.push(1, bad.loss);
      expect(await bad.finish()).toBe(false);
      disposeBatch(b);
      const second = await log.flush(0);
      expect(Number.isFinite(second.losses[0].loss)).toBe(false);
      expect(second.diverged).toEqual({ step: 1, loss: second.losses[0].loss });
      expect(scaler.state()).toEqual({ scale: 2 ** 38, goodSteps: 0, skippedSteps: 2 });
      expect(optimizer.stepCount).toBe(0);
    } finally {
      log.dispose();
      optimizer.dispose();
      model.dispose();
    }
    expect(memory().liveTensors).toBe(before);
  });

  it('is a run setting: run.json keeps it and --resume refuses another (a run.json without it ran in f32)', () => {
    expect(changedSettings({ lr: 0.002 }, { lr: 0.002, precision: 'f32' })).toEqual([]);
    expect(changedSettings({ lr: 0.002 }, { lr: 0.002, precision: 'mixed' })).toEqual(['precision: "f32" -> "mixed"']);
    expect(changedSettings({ lr: 0.002, precision: 'mixed' }, { lr: 0.002, precision: 'f32' })).toEqual(['precision: "mixed" -> "f32"']);
  });
});
