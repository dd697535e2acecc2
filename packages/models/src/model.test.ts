import { beforeAll, describe, expect, it } from 'vitest';
import { init, tensor, tidy, mean, memory, manualSeed, bceWithLogits, Adam, noGrad, type Tensor } from '@fusion/tensor';
import { randomArray } from '@fusion/tensor/testing';
import { MaskModel, type MaskModelConfig } from './model.js';
import { fusionConfigFor, parseHeadSpec, HEAD_KINDS, type FusionConfig } from './fusion/index.js';
import { checkParity, formatParity, loadFixture } from './testing/parity.js';

beforeAll(async () => {
  await init();
});

/** A tiny study model: 32 x 32 images -> 8 x 8 feature map (stage 3, stem stride 1, no pool). */
function tinyConfig(fusion: FusionConfig, freezeEncoders = false): MaskModelConfig {
  return {
    imageSize: 32,
    resnet: { layers: [1, 1, 1], widths: [4, 4, 8], stemStride: 1, stemPool: false, outStage: 3 },
    bert: { layers: 1, hidden: 16, heads: 2, intermediate: 32, vocabSize: 50, maxPositions: 8 },
    fusion,
    decoderWidths: [4, 4, 4, 4],
    freezeEncoders,
  };
}

const FUSIONS: FusionConfig[] = [
  { kind: 'concat', dim: 8, channels: 4 },
  { kind: 'outer' },
  { kind: 'cross-text', dim: 8, heads: 2 },
  { kind: 'cross-pixel', dim: 8, heads: 2 },
  { kind: 'cross-text', dim: 8, heads: 2, coords: false },
  { kind: 'concat-tiled', dim: 8 },
  { kind: 'film', dim: 8 },
  { kind: 'image-only', dim: 8 },
  { kind: 'outer-patches', dim: 8 },
];

function batch() {
  return {
    images: tensor(randomArray(2 * 3 * 32 * 32, 1), [2, 3, 32, 32]),
    inputIds: tensor(new Int32Array([2, 7, 9, 11, 13, 3, 2, 8, 4, 3, 0, 0]), [2, 6], 'i32'),
    attentionMask: tensor(new Int32Array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]), [2, 6], 'i32'),
    tokenTypeIds: tensor(new Int32Array(12), [2, 6], 'i32'),
  };
}

function disposeAll(o: Record<string, Tensor>): void {
  for (const t of Object.values(o)) t.dispose();
}

describe('MaskModel', () => {
  it('matches PyTorch end to end (cross-pixel head, training mode: BatchNorm batch statistics, all gradients)', async () => {
    const fx = loadFixture('mask_model');
    const m = new MaskModel(fx.config as unknown as MaskModelConfig);
    try {
      const r = await checkParity({
        fixture: fx, module: m,
        run: (model, i) => ({ logits: model.forward({ images: i.images, inputIds: i.input_ids, attentionMask: i.attention_mask, tokenTypeIds: i.token_type_ids }).logits }),
      });
      console.log(formatParity('mask_model', r));
    } finally {
      m.dispose();
    }
  });

  for (const fusion of FUSIONS) {
    it(`${fusion.kind}${'coords' in fusion && fusion.coords === false ? '.nocoords' : ''}: logits (B, 1, H, W), every parameter it uses gets a gradient, counts add up`, async () => {
      manualSeed(1);
      const m = new MaskModel(tinyConfig(fusion));
      const b = batch();
      const out = m.forward({ ...b, returnAttention: true });
      expect(out.logits.shape).toEqual([2, 1, 32, 32]);
      if (fusion.kind.startsWith('cross')) expect(out.attention!.shape).toEqual([2, 6, 8, 8]);
      else expect(out.attention).toBeUndefined();
      expect((await out.logits.toArray()).every((x) => Number.isFinite(x))).toBe(true);
      const loss = mean(out.logits);
      loss.backward();
      const without = m.namedParameters().filter(([, p]) => !p.grad).map(([n]) => n);
      // the attention heads read the token states, not BERT's pooled vector; image-only reads no text
      const textEncoder = m.textEncoder.namedParameters('text_encoder.').map(([n]) => n);
      if (fusion.kind === 'image-only') expect(without).toEqual(textEncoder);
      else expect(without).toEqual(fusion.kind.startsWith('cross') ? ['text_encoder.pooler.dense.weight', 'text_encoder.pooler.dense.bias'] : []);
      const c = m.parameterCounts();
      expect(c.total).toBe(m.parameterCount());
      expect(c.trainable).toBe(fusion.kind === 'image-only' ? c.total - c.textEncoder : c.total);
      expect(c.imageEncoder + c.textEncoder + c.fusion + c.decoder).toBe(c.total);
      expect(m.describeParameters()).toContain(`fusion (${fusion.kind})`);
      for (const t of [loss, out.logits, out.attention]) t?.dispose();
      disposeAll(b);
      m.dispose();
    });
  }

  it('image-only: the instruction does not change the logits, the text encoder is not run and not trainable', async () => {
    manualSeed(4);
    const m = new MaskModel(tinyConfig({ kind: 'image-only', dim: 8 })).eval();
    expect(m.usesText).toBe(false);
    expect(m.textEncoder.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(m.trainableParameters().length).toBe(m.parameters().length - m.textEncoder.parameters().length);
    expect(m.describeParameters()).toContain('(not used by this head)');
    const b = batch();
    const otherIds = tensor(new Int32Array([2, 30, 31, 32, 33, 3, 2, 40, 41, 42, 43, 3]), [2, 6], 'i32');
    const otherMask = tensor(new Int32Array(12).fill(1), [2, 6], 'i32');
    const a = noGrad(() => m.forward(b).logits);
    const c = noGrad(() => m.forward({ ...b, inputIds: otherIds, attentionMask: otherMask }).logits);
    expect(Array.from(await c.toArray())).toEqual(Array.from(await a.toArray()));
    // the same check fails for a head that reads the text
    const film = new MaskModel(tinyConfig({ kind: 'film', dim: 8 })).eval();
    const fa = noGrad(() => film.forward(b).logits);
    const fc = noGrad(() => film.forward({ ...b, inputIds: otherIds, attentionMask: otherMask }).logits);
    expect(Array.from(await fc.toArray())).not.toEqual(Array.from(await fa.toArray()));
    for (const t of [a, c, fa, fc, otherIds, otherMask]) t.dispose();
    disposeAll(b);
    m.dispose();
    film.dispose();
  });

  it('builds every head kind from a spec at one width: equal decoder input channels but outer', () => {
    for (const kind of HEAD_KINDS) {
      for (const spec of kind === 'concat' || kind === 'outer' ? [kind] : [kind, `${kind}.nocoords`]) {
        const m = new MaskModel(tinyConfig(fusionConfigFor(parseHeadSpec(spec), { dim: 8, heads: 2 })));
        expect(m.fusion.kind).toBe(kind);
        expect(m.fusion.coords).toBe(!spec.endsWith('.nocoords') && kind !== 'concat' && kind !== 'outer');
        expect(m.decoder.inChannels).toBe(kind === 'outer' ? 1 : 8);
        m.dispose();
      }
    }
  });

  it('freezeEncoders: encoders get no gradient, keep their BatchNorm statistics and stay in eval mode', async () => {
    manualSeed(2);
    const m = new MaskModel(tinyConfig({ kind: 'cross-pixel', dim: 8, heads: 2 }, true));
    m.train();
    expect(m.training).toBe(true);
    expect(m.imageEncoder.training).toBe(false);
    expect(m.textEncoder.training).toBe(false);
    expect(m.decoder.training).toBe(true);
    const before = await m.imageEncoder.bn1.runningMean!.toArray();
    const b = batch();
    const out = m.forward(b);
    const loss = mean(out.logits);
    loss.backward();
    expect([...m.imageEncoder.parameters(), ...m.textEncoder.parameters()].every((p) => p.grad === null && !p.requiresGrad)).toBe(true);
    expect(m.trainableParameters().every((p) => p.grad !== null)).toBe(true);
    expect(Array.from(await m.imageEncoder.bn1.runningMean!.toArray())).toEqual(Array.from(before));
    expect(await m.imageEncoder.bn1.numBatchesTracked!.item()).toBe(0);
    const c = m.parameterCounts();
    expect(c.trainable).toBe(c.fusion + c.decoder);
    expect(m.describeParameters()).toContain('(frozen)');
    for (const t of [loss, out.logits]) t.dispose();
    disposeAll(b);
    m.dispose();
  });

  it('trains: Adam on BCE lowers the loss of a fixed batch, without leaking tensors or memory', async () => {
    manualSeed(3);
    const m = new MaskModel(tinyConfig({ kind: 'cross-text', dim: 8, heads: 2 }));
    const opt = new Adam(m.trainableParameters(), { lr: 3e-3 });
    const b = batch();
    const target = tensor(Float32Array.from({ length: 2 * 32 * 32 }, (_, i) => ((i % 32) < 16 ? 1 : 0)), [2, 1, 32, 32]);
    const step = async () => {
      const loss = tidy(() => {
        const l = bceWithLogits(m.forward(b).logits, target);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l;
      });
      const v = await loss.item();
      loss.dispose();
      return v;
    };
    const first = await step();
    await step();
    const before = memory();
    let last = first;
    for (let i = 0; i < 6; i++) last = await step();
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(last).toBeLessThan(first);
    const probe = noGrad(() => m.eval().forward(b).logits);
    expect(probe.shape).toEqual([2, 1, 32, 32]);
    probe.dispose();
    opt.dispose();
    target.dispose();
    disposeAll(b);
    m.dispose();
  });

  it('rejects mismatched inputs', () => {
    const m = new MaskModel(tinyConfig({ kind: 'outer' }));
    const b = batch();
    const ids = tensor(new Int32Array(6), [1, 6], 'i32');
    expect(() => m.forward({ ...b, inputIds: ids })).toThrow('MaskModel: inputIds [1, 6] do not match images [2, 3, 32, 32] (batch)');
    const gray = tensor(new Float32Array(2 * 32 * 32), [2, 1, 32, 32]);
    expect(() => m.forward({ ...b, images: gray })).toThrow('MaskModel: expected images (B, 3, H, W), got [2, 1, 32, 32]');
    gray.dispose();
    ids.dispose();
    disposeAll(b);
    m.dispose();
  });
});
