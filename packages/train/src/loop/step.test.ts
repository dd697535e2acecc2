import { afterAll, describe, expect, it } from 'vitest';
import { init, manualSeed, memory, Adam, destroyDevice } from '@fusion/tensor';
import { MaskModel, loadTokenizer, DEFAULT_TOKENIZER_PATH } from '@fusion/models';
import { PRESETS } from '../presets.js';
import { syntheticSource } from './synthetic-source.js';
import { batchTensors, disposeBatch } from './batch-tensors.js';
import { learningRateAt, trainStep } from './step.js';

afterAll(() => destroyDevice());

describe('the training step shared by pnpm train and the page', () => {
  it('decays the learning rate on a half cosine, or keeps it', () => {
    expect(learningRateAt('constant', 0.002, 7, 10)).toBe(0.002);
    expect(learningRateAt('cosine', 0.002, 0, 10)).toBe(0.002);
    expect(learningRateAt('cosine', 0.002, 5, 10)).toBeCloseTo(0.001, 12);
    expect(learningRateAt('cosine', 0.002, 10, 10)).toBeCloseTo(0, 12);
  });

  it('lowers the loss on a batch it steps on, and frees everything but the loss', async () => {
    await init();
    const tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
    manualSeed(1);
    const model = new MaskModel(PRESETS.tiny.model('cross-pixel', 32, tokenizer.vocabSize));
    const optimizer = new Adam(model.trainableParameters(), { lr: 0.002 });
    const data = syntheticSource({ seed: 1, size: 32, train: 8, validation: 1, eval: 0 });
    const batch = batchTensors(data.trainBatch(0, 4), tokenizer, 16);
    const losses: number[] = [];
    for (let s = 0; s < 6; s++) {
      const live = memory().liveTensors;
      const loss = trainStep(model, optimizer, batch, { posWeight: 3 });
      expect(memory().liveTensors - live, 'tensors a step leaves: the loss (and optimizer state on the first step)').toBeLessThanOrEqual(s === 0 ? 1 + 2 * model.trainableParameters().length : 1);
      expect(loss.shape).toEqual([]);
      losses.push((await loss.toArray())[0]);
      loss.dispose();
    }
    expect(losses[5], losses.join(' ')).toBeLessThan(losses[0] * 0.9);
    for (const g of model.trainableParameters()) expect(g.grad ?? null).toBeNull();
    disposeBatch(batch);
    optimizer.dispose();
    model.dispose();
  });
});
