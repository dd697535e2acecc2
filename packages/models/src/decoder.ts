/**
 * The CNN mask decoder: from the fusion head's map (B, Cin, h, w) to 1-channel mask logits at the
 * input resolution (B, 1, H, W).
 *
 * Layers: `widths.length` (8 in the study: [256, 256, 128, 128, 64, 64, 32, 16]) blocks of
 * conv 3x3 (padding 1, no bias) -> BatchNorm -> ReLU, then a 1x1 conv (with bias) to one channel.
 * Nearest 2x upsampling goes before some blocks: n = the largest count (at most one per block) with
 * (h, w) * 2^n within (H, W) in both dims, i.e. log2(H / h) for a power-of-two ratio; they are
 * spread evenly and as late as possible, before blocks ceil((i + 1) * blocks / n) - 1 for
 * i = 0..n-1 (5 of 8: before blocks 1, 3, 4, 6, 7, as the study's reference decoder; 1 of 8:
 * before the last block), so most layers run at the lower resolutions. When (h, w) * 2^n is not exactly (H, W) (a ratio that is not a power
 * of two, or a non-square mismatch), the logits finish with a bilinear resize to (H, W)
 * (align_corners = false, as F.interpolate), applied after the 1x1 conv: the two commute exactly
 * (a per-pixel affine map and interpolation weights that sum to 1), and one channel is cheaper.
 *
 * Names: `blocks.<i>.conv.weight`, `blocks.<i>.bn.{weight,bias,running_mean,running_var,
 * num_batches_tracked}`, `head.weight`, `head.bias`. Convs initialised as PyTorch's default.
 *
 * Shape: (B, Cin, h, w) -> (B, 1, H, W)
 */
import { Module, nn, tidy, upsample2x, type Tensor } from '@fusion/tensor';
import { ModuleList } from './module-list.js';
import { resizeBilinear } from './resize.js';

/** The study's decoder widths. */
export const STUDY_DECODER_WIDTHS: readonly number[] = [256, 256, 128, 128, 64, 64, 32, 16];

export interface MaskDecoderConfig {
  /** Channels of the input map. */
  inChannels: number;
  /** Output channels of each conv block (default STUDY_DECODER_WIDTHS). */
  widths?: readonly number[];
}

export interface DecoderPlan {
  /** Block indices preceded by a nearest 2x upsampling. */
  upsampleBefore: number[];
  /** Size after the blocks. */
  reached: [number, number];
  /** Whether a final bilinear resize to the target is needed. */
  resize: boolean;
}

/** Where the upsamplings go for an input of `inSize` and a target of `outSize` (see the module comment). */
export function decoderPlan(inSize: readonly [number, number], outSize: readonly [number, number], blocks: number): DecoderPlan {
  const [h, w] = inSize;
  const [H, W] = outSize;
  let n = 0;
  while (n < blocks && h * 2 ** (n + 1) <= H && w * 2 ** (n + 1) <= W) n++;
  const upsampleBefore = Array.from({ length: n }, (_, i) => Math.ceil(((i + 1) * blocks) / n) - 1);
  const reached: [number, number] = [h * 2 ** n, w * 2 ** n];
  return { upsampleBefore, reached, resize: reached[0] !== H || reached[1] !== W };
}

/** conv 3x3 (padding 1, no bias) -> BatchNorm -> ReLU. Shape: (B, cin, h, w) -> (B, cout, h, w) */
export class ConvBnRelu extends Module {
  readonly conv: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;

  constructor(cin: number, cout: number) {
    super();
    this.conv = this.module('conv', new nn.Conv2d(cin, cout, 3, { padding: 1, bias: false }));
    this.bn = this.module('bn', new nn.BatchNorm2d(cout, { eps: 1e-5, momentum: 0.1 }));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.bn.forward(this.conv.forward(x), 'relu'));
  }
}

/** The 8-layer CNN decoder to mask logits (see the module comment). */
export class MaskDecoder extends Module {
  readonly inChannels: number;
  readonly widths: readonly number[];
  readonly blocks: ModuleList<ConvBnRelu>;
  readonly head: nn.Conv2d;

  constructor(config: MaskDecoderConfig) {
    super();
    const widths = [...(config.widths ?? STUDY_DECODER_WIDTHS)];
    if (!Number.isInteger(config.inChannels) || config.inChannels < 1) throw new Error(`MaskDecoder: inChannels must be a positive integer, got ${config.inChannels}`);
    if (widths.length === 0 || widths.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`MaskDecoder: widths must be positive integers, got [${widths.join(', ')}]`);
    this.inChannels = config.inChannels;
    this.widths = widths;
    const chans = [config.inChannels, ...widths];
    this.blocks = this.module('blocks', new ModuleList(widths.map((c, i) => new ConvBnRelu(chans[i], c))));
    this.head = this.module('head', new nn.Conv2d(widths[widths.length - 1], 1, 1));
  }

  /** Shape: (B, inChannels, h, w) -> logits (B, 1, outputSize[0], outputSize[1]) */
  forward(x: Tensor, outputSize: readonly [number, number]): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) throw new Error(`MaskDecoder: expected (B, ${this.inChannels}, h, w), got [${x.shape.join(', ')}]`);
    const plan = decoderPlan([x.shape[2], x.shape[3]], outputSize, this.blocks.length);
    return tidy(() => {
      let y = x;
      this.blocks.items.forEach((block, i) => {
        if (plan.upsampleBefore.includes(i)) y = upsample2x(y, 'nearest');
        y = block.forward(y);
      });
      const logits = this.head.forward(y);
      return plan.resize ? resizeBilinear(logits, outputSize) : logits;
    });
  }
}
