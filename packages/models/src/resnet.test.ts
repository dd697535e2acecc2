import { beforeAll, describe, expect, it } from 'vitest';
import { init, zeros, manualSeed } from '@fusion/tensor';
import { ResNet, resnet50, type ResNetConfig, type ResNetOutput } from './resnet.js';
import { checkParity, formatParity, loadFixture, readJsonFixture } from './testing/parity.js';

beforeAll(async () => {
  await init();
});

interface NamesJson {
  parameterCount: number;
  parameters: Record<string, number[]>;
  buffers: Record<string, number[]>;
}

function outputsOf(r: ResNetOutput) {
  return { feature_map: r.featureMap, pooled: r.pooled, ...(r.logits ? { logits: r.logits } : {}) };
}

describe('ResNet', () => {
  it("resnet50() has torchvision's names, shapes, order and 25,557,032 parameters", () => {
    const expected = readJsonFixture<NamesJson>('resnet50_names.json');
    const m = resnet50();
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual(Object.entries(expected.parameters));
    expect(Object.fromEntries(m.namedBuffers().map(([n, b]) => [n, b.shape]))).toEqual(expected.buffers);
    expect(m.parameterCount()).toBe(25_557_032);
    expect(expected.parameterCount).toBe(25_557_032);
    expect(m.outChannels).toBe(2048);
    expect(m.featureSize(224, 224)).toEqual([7, 7]);
    m.dispose();
  });

  for (const name of ['resnet_tiny', 'resnet_tiny_s1']) {
    it(`${name} matches PyTorch in train (batch statistics, running-stat update) and eval mode`, async () => {
      const fx = loadFixture(name);
      const m = new ResNet(fx.config as ResNetConfig);
      try {
        const r = await checkParity({ fixture: fx, module: m, run: (model, i) => outputsOf(model.forward(i.pixel_values)) });
        console.log(formatParity(`${name} ${JSON.stringify(fx.config)}`, r));
        expect(m.featureSize(fx.read('input.pixel_values').shape[2], fx.read('input.pixel_values').shape[3])).toEqual(fx.read(`${fx.modes[0]}.output.feature_map`).shape.slice(2));
      } finally {
        m.dispose();
      }
    });
  }

  it('initialises as torchvision: kaiming_normal(fan_out) convs, BatchNorm 1 / 0, zeroInitResidual', async () => {
    manualSeed(7);
    const m = new ResNet({ layers: [2, 1, 1, 1], widths: [16, 16, 16, 16], zeroInitResidual: true });
    const w = Array.from(await m.stages[0].items[0].conv2.weight.toArray()); // (16, 16, 3, 3): fan_out = 144
    const std = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length);
    expect(std).toBeGreaterThan(0.9 * Math.sqrt(2 / 144));
    expect(std).toBeLessThan(1.1 * Math.sqrt(2 / 144));
    expect(Array.from(await m.bn1.weight!.toArray()).every((x) => x === 1)).toBe(true);
    expect(Array.from(await m.bn1.bias!.toArray()).every((x) => x === 0)).toBe(true);
    for (const block of m.stages.flatMap((s) => s.items)) expect(Array.from(await block.bn3.weight!.toArray()).every((x) => x === 0)).toBe(true);
    expect(Array.from(await m.stages[0].items[0].bn2.weight!.toArray()).every((x) => x === 1)).toBe(true);
    // downsample where the stride or the channel count changes, not elsewhere
    expect(m.stages.map((s) => s.items.map((b) => b.downsample !== null))).toEqual([[true, false], [true], [true], [true]]);
    expect(m.fc).toBeNull();
    m.dispose();
  });

  it('builds only up to outStage and says why a bad config or input is rejected', () => {
    const m = new ResNet({ layers: [1, 1], widths: [4, 8], outStage: 2, numClasses: 3 });
    expect(m.namedParameters().some(([n]) => n.startsWith('layer3'))).toBe(false);
    expect(m.outChannels).toBe(32);
    expect(m.fc!.inFeatures).toBe(32);
    const x = zeros([1, 1, 8, 8]);
    expect(() => m.forward(x)).toThrow('ResNet: expected images (B, 3, H, W), got [1, 1, 8, 8]');
    expect(() => new ResNet({ layers: [1, 1], outStage: 3 })).toThrow('ResNet: outStage 3 needs 3 entries in layers [1, 1]');
    expect(() => new ResNet({ stemStride: 3 as 2 })).toThrow('ResNet: stemStride must be 1 or 2, got 3');
    x.dispose();
    m.dispose();
  });
});
