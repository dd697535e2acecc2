import { beforeAll, describe, expect, it } from 'vitest';
import { init, tensor, zeros, noGrad, type Tensor } from '@fusion/tensor';
import { assertClose, gradcheck, randomArray } from '@fusion/tensor/testing';
import { MaskDecoder, decoderPlan, STUDY_DECODER_WIDTHS } from './decoder.js';
import { bilinearMatrix, resizeBilinear } from './resize.js';
import { checkParity, formatParity, loadFixture } from './testing/parity.js';

beforeAll(async () => {
  await init();
});

describe('decoderPlan', () => {
  it('places log2(out / in) upsamplings evenly and late, before blocks ceil((i + 1) * blocks / n) - 1', () => {
    expect(decoderPlan([7, 7], [224, 224], 8)).toEqual({ upsampleBefore: [1, 3, 4, 6, 7], reached: [224, 224], resize: false });
    expect(decoderPlan([3, 4], [12, 16], 8)).toEqual({ upsampleBefore: [3, 7], reached: [12, 16], resize: false });
    expect(decoderPlan([1, 1], [256, 256], 8).upsampleBefore).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(decoderPlan([7, 7], [7, 7], 8)).toEqual({ upsampleBefore: [], reached: [7, 7], resize: false });
    expect(decoderPlan([16, 16], [256, 256], 8).upsampleBefore).toEqual([1, 3, 5, 7]);
  });

  it('finishes with a bilinear resize when the ratio is not a power of two, and caps at one per block', () => {
    expect(decoderPlan([3, 4], [13, 19], 8)).toEqual({ upsampleBefore: [3, 7], reached: [12, 16], resize: true });
    expect(decoderPlan([7, 7], [100, 100], 8)).toEqual({ upsampleBefore: [2, 5, 7], reached: [56, 56], resize: true });
    expect(decoderPlan([1, 1], [1024, 1024], 8)).toEqual({ upsampleBefore: [0, 1, 2, 3, 4, 5, 6, 7], reached: [256, 256], resize: true });
    expect(decoderPlan([1, 1], [64, 64], 3)).toEqual({ upsampleBefore: [0, 1, 2], reached: [8, 8], resize: true });
    expect(decoderPlan([8, 8], [4, 4], 8)).toEqual({ upsampleBefore: [], reached: [8, 8], resize: true });
  });
});

describe('resizeBilinear', () => {
  it('is the identity at the same size and interpolates as PyTorch (align_corners = false)', async () => {
    const eye = bilinearMatrix(5, 5);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(eye[i * 5 + j]).toBe(i === j ? 1 : 0);
    // F.interpolate(torch.arange(4.).view(1,1,1,4), size=(1,6), mode='bilinear', align_corners=False)
    const x = tensor([0, 1, 2, 3], [1, 1, 1, 4]);
    const y = noGrad(() => resizeBilinear(x, [1, 6]));
    assertClose(await y.toArray(), [0, 0.5, 1.1666666, 1.8333333, 2.5, 3], { rtol: 1e-6, atol: 1e-6 });
    // every row of an interpolation matrix sums to 1
    const m = bilinearMatrix(7, 13);
    for (let r = 0; r < 13; r++) expect(m.slice(r * 7, r * 7 + 7).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    x.dispose();
    y.dispose();
  });

  it('gradient matches finite differences', async () => {
    await gradcheck((x: Tensor) => resizeBilinear(x, [5, 7]), [{ data: randomArray(2 * 3 * 3 * 4, 3), shape: [2, 3, 3, 4] }]);
  });
});

describe('MaskDecoder', () => {
  for (const name of ['decoder_pow2', 'decoder_resize']) {
    it(`${name} matches PyTorch in train (batch statistics) and eval mode`, async () => {
      const fx = loadFixture(name);
      const { inChannels, widths, outputSize } = fx.config as { inChannels: number; widths: number[]; outputSize: [number, number] };
      const m = new MaskDecoder({ inChannels, widths });
      try {
        const r = await checkParity({ fixture: fx, module: m, run: (d, i) => ({ logits: d.forward(i.x, outputSize) }) });
        console.log(formatParity(name, r));
      } finally {
        m.dispose();
      }
    });
  }

  it('names its layers and defaults to the study widths', () => {
    const m = new MaskDecoder({ inChannels: 3 });
    expect(m.widths).toEqual(STUDY_DECODER_WIDTHS);
    expect(m.blocks.length).toBe(8);
    const names = m.namedParameters().map(([n]) => n);
    expect(names.slice(0, 3)).toEqual(['blocks.0.conv.weight', 'blocks.0.bn.weight', 'blocks.0.bn.bias']);
    expect(names.slice(-2)).toEqual(['head.weight', 'head.bias']);
    expect(m.namedBuffers().slice(0, 3).map(([n]) => n)).toEqual(['blocks.0.bn.running_mean', 'blocks.0.bn.running_var', 'blocks.0.bn.num_batches_tracked']);
    m.dispose();
  });

  it('rejects an input with the wrong channel count', () => {
    const m = new MaskDecoder({ inChannels: 4, widths: [2, 2] });
    const x = zeros([1, 3, 2, 2]);
    expect(() => m.forward(x, [8, 8])).toThrow('MaskDecoder: expected (B, 4, h, w), got [1, 3, 2, 2]');
    expect(() => new MaskDecoder({ inChannels: 4, widths: [] })).toThrow('MaskDecoder: widths must be positive integers, got []');
    x.dispose();
    m.dispose();
  });
});
