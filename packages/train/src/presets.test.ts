import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '@fusion/tensor';
import { createFusionHead, HEAD_KINDS, parseHeadSpec } from '@fusion/models';
import { FUSION_KINDS, PRESETS, STUDY_HEADS } from './presets.js';

beforeAll(async () => {
  await init();
});

describe('presets', () => {
  it('hand the decoder the same number of channels from every head but outer (whose eq. 3 map has 1)', () => {
    // A head's output channels depend on its options, not on the encoders: small dims keep the heads small.
    const dims = { imageChannels: 6, textDim: 5, featureSize: [2, 2] as const };
    for (const preset of Object.values(PRESETS)) {
      const channels = new Map<string, number>();
      for (const spec of [...HEAD_KINDS, ...STUDY_HEADS]) {
        const head = createFusionHead(preset.model(parseHeadSpec(spec), preset.size, 100).fusion, dims);
        channels.set(spec, head.outChannels);
        head.dispose();
      }
      expect(channels.get('outer'), preset.name).toBe(1);
      const others = new Set([...channels].filter(([spec]) => spec !== 'outer').map(([, c]) => c));
      expect([...others], preset.name).toEqual([preset.name === 'tiny' ? 32 : 256]);
    }
  });

  it('run the study heads by default and leave the other controls and the ablations to --study', () => {
    expect(FUSION_KINDS).toEqual(['concat', 'outer', 'cross-text', 'cross-pixel', 'concat-tiled']);
    for (const kind of HEAD_KINDS) expect(STUDY_HEADS).toContain(kind);
    expect(STUDY_HEADS).toContain('cross-pixel.nocoords');
    expect(STUDY_HEADS).toContain('cross-text.nocoords');
  });

  it('train every head for every epoch (equal budgets) and freeze only the seed preset\'s encoders', () => {
    for (const preset of Object.values(PRESETS)) expect(preset.patience, preset.name).toBe(0);
    expect(PRESETS.seed.freezeEncoders).toBe(true);
    expect(PRESETS.tiny.freezeEncoders).toBe(false);
  });
});
