// Split sizes checked before training: a MagicBrush folder of 4 pairs gives `--train 3
// --validation 1` exactly (it used to make a 0-sample validation split and fail after an epoch),
// a batch larger than the folder's training pairs is refused before any image is decoded, an
// empty split is refused, shrunk splits and skipped rows are reported, and instructions past the
// token limit are counted.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, DEFAULT_TOKENIZER_PATH } from '@fusion/models';
import { encodePng } from '../data/index.js';
import { writeShard } from '../data/testing/parquet-shard.js';
import { magicBrushSource, syntheticSource, type DataSource } from '../loop/data-source.js';
import { checkSplits, truncationNote } from './checks.js';

const png = (seed: number, channels: 3 | 4 = 3) => encodePng(Uint8Array.from({ length: 8 * 8 * channels }, (_, i) => (i * 13 + seed * 7) & 255), 8, 8);
const dir = mkdtempSync(join(tmpdir(), 'fusion-checks-'));
const shard = join(dir, 'train-0.parquet');
writeShard(shard, [0, 1, 2, 3, 4, 5].map((i) => ({ img_id: `${i}`, turn_index: 1, source: png(i), mask: png(i + 9, 4), target: png(i), instruction: `make ${i} red` })));

describe('split sizes before training', () => {
  it('gives --train 3 --validation 1 exactly from a small folder, and refuses a batch past its training pairs before decoding', async () => {
    const data = await magicBrushSource({ path: shard, seed: 0, size: 8, train: 3, validation: 1, eval: 2, skipBad: false, batch: 2 });
    expect([data.trainPerEpoch, data.validation.length, data.evaluation.length]).toEqual([3, 1, 2]);
    expect(checkSplits(data, { train: 3, validation: 1, eval: 2 }, 2)).toEqual([]);
    await expect(magicBrushSource({ path: shard, seed: 0, size: 8, train: 100, validation: 1, eval: 2, skipBad: false, batch: 64 })).rejects.toThrow(
      `--batch 64 is larger than the training set: ${shard} holds 6 train-split rows and --train asks for 100; lower --batch`,
    );
  });

  it('refuses an empty split and reports shrunk splits and skipped rows', () => {
    const base = syntheticSource({ seed: 1, size: 24, train: 8, validation: 2, eval: 2 });
    const noValidation: DataSource = { ...base, validation: [] };
    expect(() => checkSplits(noValidation, { train: 8, validation: 2, eval: 2 }, 4)).toThrow('synthetic: the validation split is empty (asked --validation 2; 8 training pairs)');
    expect(() => checkSplits({ ...base, evaluation: [] }, { train: 8, validation: 2, eval: 2 }, 4)).toThrow('synthetic: the evaluation split is empty (asked --eval 2)');
    expect(() => checkSplits(base, { train: 8, validation: 2, eval: 2 }, 9)).toThrow('--batch 9 is larger than the 8 training samples synthetic gives per epoch: lower --batch');
    const shrunk: DataSource = { ...base, skipped: { 'corrupt-image': 2, 'empty-instruction': 1 } };
    expect(checkSplits(shrunk, { train: 8, validation: 4, eval: 2 }, 4)).toEqual([
      'data: validation: 4 asked, 2 used (the data has no more)',
      'data: skipped 3 bad rows (--skip-bad): corrupt-image 2, empty-instruction 1',
    ]);
  });

  it('counts instructions past the token limit, with the limit and the longest', async () => {
    const tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_PATH);
    const long = Array.from({ length: 40 }, () => 'red').join(' ');
    expect(truncationNote(tokenizer, ['remove the red circle', long], 16, 'data')).toBe(
      'data: 1 of 2 instructions are longer than the model\'s 16-token limit (longest: 42 tokens) and are cut to their first 16 tokens',
    );
    expect(truncationNote(tokenizer, ['remove the red circle'], 16, 'data')).toBeNull();
  });
});
