/**
 * Presets of `pnpm train`. `seed` reproduces the study's setup (ResNet50 + BERT-base + the 8-layer
 * decoder, 512x512, Adam lr 0.002, 1000 train / 200 eval, 50 epochs, BCE, mask threshold 0.7
 * reported beside 0.5); it is meant for a GPU. It freezes the encoders: the study used pretrained
 * ones, and Adam at 0.002 on BERT-base / ResNet50 would wash their pretraining out in a few
 * hundred steps (fine-tuning uses ~2e-5); frozen, every head is compared on the same features.
 * Both presets train every head for all epochs (no early stopping: equal budgets) and keep the
 * weights of the epoch with the lowest validation BCE. `tiny` (the default) is sized so
 * that every fusion head trains and is evaluated in minutes on a 2-core CPU with lavapipe.
 *
 * The tiny image encoder keeps torchvision's Bottleneck ResNet with narrow widths, two stages
 * and no stem max pool, so a 32x32 image gives an 8x8 fusion map: position can only be learned
 * if the fusion map keeps space (>= 8x8). The tiny preset also weights the positive (mask)
 * pixels 3x in the BCE (the masks cover ~8% of a scene; plain BCE first learns "all background"
 * for thousands of samples) and decays the learning rate on a cosine. Both apply to every head
 * alike. Its encoders are random and small, so they are trained, not frozen. Every head is built
 * at the preset's one width (`fusionConfigFor`: tiny 32, seed 256), so all decoders start from the
 * same number of channels except outer's 1-channel map (eq. 3).
 * Sizes were chosen with a PyTorch mirror of these models (make_fixtures.py's modules):
 * see the closing note of the training issue.
 */
import { fusionConfigFor, parseHeadSpec, type MaskModelConfig, type FusionKind, type HeadSpec } from '@fusion/models';

export type PresetName = 'tiny' | 'seed';
/** The heads `pnpm train` runs by default: the study's four and the concat-tiled control. */
export const FUSION_KINDS: readonly FusionKind[] = ['concat', 'outer', 'cross-text', 'cross-pixel', 'concat-tiled'];
/**
 * The heads `--study` runs: the four, the controls (concat-tiled, film, image-only, outer-patches)
 * and the coordinate ablations of the two attention heads.
 */
export const STUDY_HEADS: readonly string[] = [
  'concat', 'outer', 'cross-text', 'cross-pixel', 'concat-tiled', 'film', 'image-only', 'outer-patches', 'cross-pixel.nocoords', 'cross-text.nocoords',
];
/** Seeds of `--study`. */
export const STUDY_SEEDS = 3;
/** Eval samples of `--study` (more than the default, so the unseen split has ~150). */
export const STUDY_EVAL = 600;

export interface Preset {
  name: PresetName;
  /** Image side in pixels. */
  size: number;
  batch: number;
  epochs: number;
  lr: number;
  /** Training samples per epoch (the synthetic set draws fresh ones every step). */
  train: number;
  /** Held-out samples the final metrics are computed on. */
  eval: number;
  /** Validation samples for early stopping (held out from training, separate from eval). */
  validation: number;
  /** Epochs without a better validation score before stopping; 0: no early stopping (equal budgets). */
  patience: number;
  /** Keep encoders fixed (no optimizer updates, no backward through them). */
  freezeEncoders: boolean;
  /** Token sequence length (padded/truncated). */
  maxTokens: number;
  /** Weight of positive pixels in the BCE (PyTorch's pos_weight; 1 = plain BCE). */
  posWeight: number;
  /** Learning-rate schedule over the planned steps: constant, or cosine decay to 0. */
  schedule: 'constant' | 'cosine';
  /** Smallest validation gain (mIoU, or BCE decrease with --select bce) that counts as an improvement for early stopping (patience > 0 only). */
  minDelta: number;
  /** Report examples. */
  examples: number;
  /**
   * The model for a fusion head, by spec (`cross-pixel.nocoords`; a bare kind has coordinates) or
   * parsed spec; every head at the preset's one width (vocabSize is filled from the tokenizer).
   */
  model(head: string | HeadSpec, size: number, vocabSize: number): MaskModelConfig;
}

const TINY_WIDTH = 32;

export const PRESETS: Record<PresetName, Preset> = {
  tiny: {
    name: 'tiny',
    size: 32,
    batch: 32,
    epochs: 4,
    lr: 0.002,
    train: 4000,
    eval: 300,
    validation: 200,
    patience: 0,
    freezeEncoders: false,
    maxTokens: 16,
    posWeight: 3,
    schedule: 'cosine',
    minDelta: 0.01,
    examples: 8,
    model: (head, size, vocabSize) => ({
      imageSize: size,
      resnet: { layers: [1, 1], widths: [16, 32], stemStride: 2, stemPool: false, outStage: 2 },
      bert: { layers: 1, hidden: 32, heads: 2, intermediate: 64, vocabSize, maxPositions: 32, hiddenDropout: 0, attentionDropout: 0 },
      fusion: fusionConfigFor(specOf(head), { dim: TINY_WIDTH, heads: 2 }),
      decoderWidths: [32, 32, 16, 16, 16, 16, 8, 8],
    }),
  },
  seed: {
    name: 'seed',
    size: 512,
    batch: 8,
    epochs: 50,
    lr: 0.002,
    train: 1000,
    eval: 200,
    validation: 100,
    patience: 0,
    freezeEncoders: true,
    maxTokens: 32,
    posWeight: 1,
    schedule: 'constant',
    minDelta: 0,
    examples: 8,
    model: (head, size, vocabSize) => ({
      imageSize: size,
      bert: { vocabSize },
      fusion: fusionConfigFor(specOf(head)),
    }),
  },
};

function specOf(head: string | HeadSpec): HeadSpec {
  return typeof head === 'string' ? parseHeadSpec(head) : head;
}
