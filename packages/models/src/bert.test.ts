import { beforeAll, describe, expect, it } from 'vitest';
import { init, tensor, noGrad, tidy, sum, manualSeed, type Tensor } from '@fusion/tensor';
import { Bert, bertBaseUncased, setBertAttentionPath, type BertConfig } from './bert.js';
import { checkParity, formatParity, loadFixture, readJsonFixture } from './testing/parity.js';

beforeAll(async () => {
  await init();
});

interface NamesJson {
  parameterCount: number;
  parameters: Record<string, number[]>;
  buffers: Record<string, number[]>;
}

function runBert(m: Bert, i: Record<string, Tensor>): Record<string, Tensor> {
  const r = m.forward({ inputIds: i.input_ids, attentionMask: i.attention_mask, tokenTypeIds: i.token_type_ids });
  return { last_hidden_state: r.lastHiddenState, pooler_output: r.pooled };
}

describe('Bert', () => {
  it('bertBaseUncased() has Hugging Face BertModel names, shapes and 109,482,240 parameters', () => {
    const expected = readJsonFixture<NamesJson>('bert_base_names.json');
    const m = bertBaseUncased();
    expect(Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.shape]))).toEqual(expected.parameters);
    expect(m.namedParameters().map(([n]) => n)).toEqual(Object.keys(expected.parameters));
    expect(m.namedBuffers()).toEqual([]);
    expect(m.parameterCount()).toBe(109_482_240);
    expect(expected.parameterCount).toBe(109_482_240);
    m.dispose();
  });

  for (const path of ['fused', 'composed'] as const) {
    it(`tiny BERT matches PyTorch (eval mode, outputs and gradients), ${path} attention`, async () => {
      const fx = loadFixture('bert_tiny');
      setBertAttentionPath(path);
      const m = new Bert(fx.config as BertConfig);
      try {
        const r = await checkParity({ fixture: fx, module: m, run: runBert });
        console.log(formatParity(`bert_tiny (${path} attention)`, r));
        // padding_idx: the [PAD] row of the word embedding gets no gradient (as torch's is 0).
        const g = (await m.embeddings.word_embeddings.weight.grad!.toArray()).slice(0, 32);
        expect(g.every((x) => x === 0)).toBe(true);
      } finally {
        setBertAttentionPath(null);
        m.dispose();
      }
    });
  }

  it('initialises as Hugging Face: N(0, 0.02) weights, zero biases, [PAD] row 0, LayerNorm 1 / 0', async () => {
    manualSeed(3);
    const m = new Bert({ layers: 1, hidden: 64, heads: 4, intermediate: 128, vocabSize: 300, maxPositions: 32 });
    const q = await m.encoder.layer.items[0].attention.self.query.weight.toArray();
    const values = Array.from(q);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    expect(Array.from(await m.encoder.layer.items[0].attention.self.query.bias!.toArray()).every((x) => x === 0)).toBe(true);
    const word = await m.embeddings.word_embeddings.weight.toArray();
    expect(Array.from(word.slice(0, 64)).every((x) => x === 0)).toBe(true);
    expect(Array.from(word.slice(64, 128)).some((x) => x !== 0)).toBe(true);
    expect(Array.from(await m.embeddings.LayerNorm.weight!.toArray()).every((x) => x === 1)).toBe(true);
    m.dispose();
  });

  it('defaults the mask to ones and token types to zeros, and masks padded keys', async () => {
    manualSeed(4);
    const m = new Bert({ layers: 2, hidden: 16, heads: 2, intermediate: 32, vocabSize: 50, maxPositions: 8 }).eval();
    const ids = tensor(new Int32Array([5, 7, 9, 11]), [1, 4], 'i32');
    const full = noGrad(() => m.forward({ inputIds: ids }));
    const explicit = noGrad(() => m.forward({ inputIds: ids, attentionMask: tensor(new Int32Array([1, 1, 1, 1]), [1, 4], 'i32'), tokenTypeIds: tensor(new Int32Array(4), [1, 4], 'i32') }));
    expect(Array.from(await full.lastHiddenState.toArray())).toEqual(Array.from(await explicit.lastHiddenState.toArray()));
    // Whatever sits at a padded position does not change the other positions' states.
    const a = noGrad(() => m.forward({ inputIds: tensor(new Int32Array([5, 7, 9, 11]), [1, 4], 'i32'), attentionMask: tensor(new Int32Array([1, 1, 0, 1]), [1, 4], 'i32') }));
    const b = noGrad(() => m.forward({ inputIds: tensor(new Int32Array([5, 7, 42, 11]), [1, 4], 'i32'), attentionMask: tensor(new Int32Array([1, 1, 0, 1]), [1, 4], 'i32') }));
    const ha = await a.lastHiddenState.toArray();
    const hb = await b.lastHiddenState.toArray();
    for (const pos of [0, 1, 3]) for (let d = 0; d < 16; d++) expect(ha[pos * 16 + d]).toBeCloseTo(hb[pos * 16 + d], 5);
    expect(Array.from(ha.slice(32, 48))).not.toEqual(Array.from(hb.slice(32, 48)));
    m.dispose();
  });

  it('applies hidden dropout in training mode only', async () => {
    manualSeed(5);
    const m = new Bert({ layers: 1, hidden: 16, heads: 2, intermediate: 32, vocabSize: 50, maxPositions: 8, attentionDropout: 0 });
    const ids = tensor(new Int32Array([1, 2, 3]), [1, 3], 'i32');
    const run = async () => tidy(() => m.forward({ inputIds: ids }).lastHiddenState).toArray();
    m.eval();
    const e1 = await run();
    const e2 = await run();
    m.train();
    const t1 = await run();
    expect(Array.from(e1)).toEqual(Array.from(e2));
    expect(Array.from(t1)).not.toEqual(Array.from(e1));
    m.dispose();
  });

  it('rejects bad inputs with both shapes in the message', () => {
    const m = new Bert({ layers: 1, hidden: 8, heads: 2, intermediate: 16, vocabSize: 20, maxPositions: 4 });
    const ids = tensor(new Int32Array(10), [2, 5], 'i32');
    expect(() => m.forward({ inputIds: ids })).toThrow('Bert: sequence length 5 exceeds maxPositions 4 (inputIds [2, 5])');
    const ids3 = tensor(new Int32Array(6), [2, 3], 'i32');
    expect(() => m.forward({ inputIds: ids3, attentionMask: tensor(new Int32Array(3), [1, 3], 'i32') })).toThrow('Bert: attentionMask [1, 3] does not match inputIds [2, 3]');
    expect(() => m.forward({ inputIds: tensor([[1, 2]]) })).toThrow('Bert: inputIds must be i32 (B, L), got f32 [1, 2]');
    expect(() => new Bert({ hidden: 10, heads: 3 })).toThrow('Bert: hidden 10 is not divisible by heads 3');
    m.dispose();
  });
});
