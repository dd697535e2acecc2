import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  init, noGrad, tensor, parseSafetensors, serializeSafetensors, writeSafetensorsFile, f16ArrayToF32, f32ArrayToF16, type HostTensor, type SerializableTensor,
} from '@fusion/tensor';
import { Bert, type BertConfig } from './bert.js';
import { ResNet, type ResNetConfig } from './resnet.js';
import { loadBertWeights, loadResNetWeights, mapHuggingFaceBertName } from './weights.js';
import { compareWithTorch, loadFixture } from './testing/parity.js';

beforeAll(async () => {
  await init();
});

/** A safetensors file by hand, for dtypes the serializer does not write (I64). */
function rawSafetensors(entries: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [at, at + e.bytes.length] };
    at += e.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let p = 8 + json.length;
  for (const e of entries) {
    out.set(e.bytes, p);
    p += e.bytes.length;
  }
  return out;
}

function serializable(t: HostTensor): SerializableTensor {
  return t.data instanceof Int32Array ? { shape: [...t.shape], dtype: 'i32', data: t.data } : { shape: [...t.shape], dtype: 'f32', data: t.data };
}

async function sameState(model: { stateDict(): Map<string, { toArray(): Promise<Float32Array | Int32Array> }> }, expected: Map<string, HostTensor>, skip: (n: string) => boolean = () => false): Promise<number> {
  let n = 0;
  for (const [name, t] of model.stateDict()) {
    if (skip(name)) continue;
    const want = expected.get(name)!;
    expect(Array.from(await t.toArray()), name).toEqual(Array.from(want.data));
    n++;
  }
  return n;
}

describe('BERT weights (Hugging Face names)', () => {
  const fx = loadFixture('bert_tiny');
  const params = fx.group('param');

  it('loads a BertForPreTraining-style file: bert. prefix, LayerNorm gamma/beta, position_ids, cls.* heads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-weights-'));
    try {
      const tensors: Record<string, SerializableTensor> = {};
      for (const [name, t] of params) {
        const hfName = 'bert.' + name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
        tensors[hfName] = serializable(t);
      }
      tensors['bert.embeddings.position_ids'] = { shape: [1, 16], dtype: 'i32', data: Int32Array.from({ length: 16 }, (_, i) => i) };
      tensors['cls.predictions.bias'] = { shape: [100], dtype: 'f32', data: new Float32Array(100) };
      tensors['cls.seq_relationship.weight'] = { shape: [2, 32], dtype: 'f32', data: new Float32Array(64) };
      const path = join(dir, 'bert.safetensors');
      await writeSafetensorsFile(path, tensors);

      const model = new Bert(fx.config as BertConfig);
      await expect(loadBertWeights(model, path)).rejects.toThrow(/unexpected keys: cls\.predictions\.bias, cls\.seq_relationship\.weight.*strict: false to ignore them/);
      const report = await loadBertWeights(model, path, { strict: false });
      expect(report.missing).toEqual([]);
      expect(report.unexpected).toEqual([]);
      expect(report.mismatched).toEqual([]);
      expect(report.ignored.sort()).toEqual(['bert.embeddings.position_ids', 'cls.predictions.bias', 'cls.seq_relationship.weight']);
      expect(report.notes.some((n) => n.startsWith('cls.*: the pre-training heads'))).toBe(true);
      expect(report.loaded.length).toBe(params.size);
      expect(await sameState(model, params)).toBe(params.size);
      // and it computes what torch computed
      model.eval();
      const i = fx.group('input');
      const out = noGrad(() => model.forward({ inputIds: tensor(i.get('input_ids')!.data, [2, 7], 'i32'), attentionMask: tensor(i.get('attention_mask')!.data, [2, 7], 'i32'), tokenTypeIds: tensor(i.get('token_type_ids')!.data, [2, 7], 'i32') }));
      compareWithTorch(await out.lastHiddenState.toArray(), fx.read('eval.output.last_hidden_state'), 'last_hidden_state');
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads BertModel names strictly from host tensors, and lists every problem in strict mode', async () => {
    const model = new Bert(fx.config as BertConfig);
    const report = await loadBertWeights(model, params);
    expect(report.loaded.length).toBe(params.size);
    const broken = new Map(params);
    broken.delete('pooler.dense.bias');
    broken.set('encoder.layer.0.output.dense.weight', { shape: [64, 32], data: new Float32Array(64 * 32) });
    broken.set('encoder.layer.9.output.dense.weight', { shape: [32, 64], data: new Float32Array(64 * 32) });
    await expect(loadBertWeights(model, broken)).rejects.toThrow(
      'Bert weights from <state dict>: missing keys: pooler.dense.bias; unexpected keys: encoder.layer.9.output.dense.weight; shape mismatches: encoder.layer.0.output.dense.weight expected [32, 64] got [64, 32]',
    );
    const partial = await loadBertWeights(model, broken, { strict: false });
    expect(partial.missing).toEqual(['pooler.dense.bias']);
    expect(partial.unexpected).toEqual(['encoder.layer.9.output.dense.weight']);
    expect(partial.mismatched.map((m) => m.name)).toEqual(['encoder.layer.0.output.dense.weight']);
    expect(partial.loaded.length).toBe(params.size - 2);
    model.dispose();
  });

  it('reads f16 checkpoints as f32 (values rounded to f16)', async () => {
    const tensors: Record<string, SerializableTensor> = {};
    for (const [name, t] of params) tensors[name] = { shape: [...t.shape], dtype: 'f16', data: t.data as Float32Array };
    const file = parseSafetensors(serializeSafetensors(tensors), 'bert-f16.safetensors');
    const model = new Bert(fx.config as BertConfig);
    await loadBertWeights(model, file);
    const q = params.get('encoder.layer.1.attention.self.query.weight')!.data as Float32Array;
    const got = await model.encoder.layer.items[1].attention.self.query.weight.toArray();
    expect(Array.from(got)).toEqual(Array.from(f16ArrayToF32(f32ArrayToF16(q))));
    expect(Array.from(got)).not.toEqual(Array.from(q));
    model.dispose();
  });

  it('maps names as Hugging Face does', () => {
    expect(mapHuggingFaceBertName('bert.encoder.layer.3.attention.output.LayerNorm.gamma', true)).toEqual({ name: 'encoder.layer.3.attention.output.LayerNorm.weight' });
    expect(mapHuggingFaceBertName('embeddings.LayerNorm.beta', true)).toEqual({ name: 'embeddings.LayerNorm.bias' });
    expect(mapHuggingFaceBertName('bert.pooler.dense.weight', true)).toEqual({ name: 'pooler.dense.weight' });
    expect(mapHuggingFaceBertName('cls.predictions.transform.dense.weight', true)).toEqual({ name: 'cls.predictions.transform.dense.weight' });
    expect('ignore' in mapHuggingFaceBertName('cls.predictions.transform.dense.weight', false)).toBe(true);
    expect('ignore' in mapHuggingFaceBertName('embeddings.token_type_ids', true)).toBe(true);
  });
});

describe('ResNet weights (torchvision names)', () => {
  const fx = loadFixture('resnet_tiny');
  const params = fx.group('param');

  it('loads a torchvision state dict with int64 num_batches_tracked from safetensors', async () => {
    const entries = [...params].map(([name, t]) => {
      if (name.endsWith('num_batches_tracked')) {
        const b = new BigInt64Array([BigInt(t.data[0])]);
        return { name, dtype: 'I64', shape: [...t.shape], bytes: new Uint8Array(b.buffer) };
      }
      return { name, dtype: 'F32', shape: [...t.shape], bytes: new Uint8Array(Float32Array.from(t.data).buffer) };
    });
    const file = parseSafetensors(rawSafetensors(entries), 'resnet.safetensors');
    expect(file.info('bn1.num_batches_tracked').dtype).toBe('I64');
    const model = new ResNet(fx.config as ResNetConfig);
    const report = await loadResNetWeights(model, file);
    expect(report.loaded.length).toBe(params.size);
    expect(await sameState(model, params)).toBe(params.size);
    expect(await model.bn1.numBatchesTracked!.item()).toBe(3);
    model.dispose();
  });

  it('sets a missing num_batches_tracked to 0 (old checkpoints), as PyTorch does', async () => {
    const old = new Map([...params].filter(([n]) => !n.endsWith('num_batches_tracked')));
    const model = new ResNet(fx.config as ResNetConfig);
    const report = await loadResNetWeights(model, old);
    expect(report.defaulted.length).toBe(params.size - old.size);
    expect(report.defaulted.every((n) => n.endsWith('num_batches_tracked'))).toBe(true);
    expect(await model.bn1.numBatchesTracked!.item()).toBe(0);
    expect(await sameState(model, params, (n) => n.endsWith('num_batches_tracked'))).toBe(old.size);
    model.dispose();
  });

  it('reports a checkpoint with fc into a model without one', async () => {
    const { numClasses: _, ...noFc } = fx.config as ResNetConfig;
    const model = new ResNet(noFc);
    await expect(loadResNetWeights(model, params)).rejects.toThrow('ResNet weights from <state dict>: unexpected keys: fc.weight, fc.bias');
    const report = await loadResNetWeights(model, params, { strict: false });
    expect(report.unexpected).toEqual(['fc.weight', 'fc.bias']);
    expect(report.missing).toEqual([]);
    model.dispose();
  });
});
