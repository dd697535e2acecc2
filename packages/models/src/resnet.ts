/**
 * ResNet with Bottleneck blocks, exactly torchvision's (`torchvision.models.resnet`, v1.5: the
 * stride of a downsampling block is on its 3x3 conv): stem conv 7x7/2 + BatchNorm + ReLU + max pool
 * 3x3/2, four stages of Bottleneck blocks (1x1 -> 3x3 -> 1x1 with expansion 4, residual add, ReLU),
 * downsample = conv1x1 (with the stage's stride) + BatchNorm when the stride is not 1 or the channel
 * count changes, global average pool, optional fc. BatchNorm eps 1e-5, momentum 0.1; convs
 * initialised kaiming_normal(fan_out, relu), BatchNorm weight 1 bias 0, `zeroInitResidual` zeroes
 * each block's last BatchNorm weight as torchvision's option does.
 *
 * Parameter and buffer names are torchvision's (`conv1.weight`, `bn1.running_mean`,
 * `layer1.0.conv2.weight`, `layer2.0.downsample.0.weight`, `layer2.0.downsample.1.running_var`,
 * `fc.bias`, ...), so torchvision state dicts load one-to-one (see weights.ts).
 *
 * Beyond torchvision, for tiny variants: blocks per stage (`layers`), base widths per stage
 * (`widths`; the stem has widths[0] channels, stage i outputs 4 * widths[i]), the stem's stride (2
 * or 1) and whether it pools, the last stage built (`outStage`: later stages are not built), and an
 * optional fc head (`numClasses`).
 *
 * Shape: (B, 3, H, W) -> featureMap (B, 4 * widths[outStage - 1], H', W'), pooled (B, C),
 *        logits (B, numClasses) when there is an fc. H' = H / 32 for the full net (each stride-2
 *        step rounds up: H' = ceil(H / 2) per step for these paddings).
 */
import { Module, nn, tidy, copyInto, fillInPlace, globalAvgPool2d, maxPool2d, type Tensor, type Generator } from '@fusion/tensor';
import { ModuleList } from './module-list.js';

/** Channel expansion of a Bottleneck block (its output has 4x its base width). */
export const BOTTLENECK_EXPANSION = 4;

export interface ResNetConfig {
  /** Bottleneck blocks per stage (torchvision's resnet50: [3, 4, 6, 3]); one entry per stage built. */
  layers?: readonly number[];
  /** Base width of each stage (torchvision: [64, 128, 256, 512]); the stem has widths[0] channels. */
  widths?: readonly number[];
  /** Stride of the 7x7 stem conv: 2 (torchvision) or 1. */
  stemStride?: 1 | 2;
  /** Whether the stem ends with the 3x3/2 max pool (torchvision: true). */
  stemPool?: boolean;
  /** Last stage built and returned (1..4; default 4). */
  outStage?: 1 | 2 | 3 | 4;
  /** Classes of the fc head; null (the default here) builds none. resnet50() uses 1000. */
  numClasses?: number | null;
  /** Zero the last BatchNorm weight of every block (torchvision's zero_init_residual). */
  zeroInitResidual?: boolean;
  /** Generator for the initial weights (default: the global one). */
  generator?: Generator;
}

export interface ResNetOutput {
  /** Feature map after stage `outStage`: (B, C, H', W'). */
  featureMap: Tensor;
  /** Global average of the feature map: (B, C). */
  pooled: Tensor;
  /** fc(pooled): (B, numClasses), when the model has an fc head. */
  logits?: Tensor;
}

/** Resolved configuration (every option set). */
export type ResolvedResNetConfig = Required<Omit<ResNetConfig, 'generator' | 'numClasses'>> & { numClasses: number | null };

const RESNET50_LAYERS = [3, 4, 6, 3];
const TORCHVISION_WIDTHS = [64, 128, 256, 512];

/** A conv without bias, initialised kaiming_normal(fan_out, relu) as torchvision does. */
function conv(cin: number, cout: number, k: number, stride: number, padding: number, g?: Generator): nn.Conv2d {
  const c = new nn.Conv2d(cin, cout, k, { stride, padding, bias: false });
  const w = nn.init.kaimingNormalFanOut(c.weight.shape, g);
  copyInto(c.weight, w);
  w.dispose();
  return c;
}

function batchNorm(channels: number): nn.BatchNorm2d {
  return new nn.BatchNorm2d(channels, { eps: 1e-5, momentum: 0.1 });
}

/** torchvision's `downsample`: nn.Sequential(conv1x1(stride), BatchNorm2d), children '0' and '1'. */
export class Downsample extends Module {
  readonly conv: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;

  constructor(cin: number, cout: number, stride: number, g?: Generator) {
    super();
    this.conv = this.module('0', conv(cin, cout, 1, stride, 0, g));
    this.bn = this.module('1', batchNorm(cout));
  }

  /** Shape: (B, cin, H, W) -> (B, cout, H / stride, W / stride) */
  forward(x: Tensor): Tensor {
    return tidy(() => this.bn.forward(this.conv.forward(x)));
  }
}

/**
 * torchvision's Bottleneck: conv1x1 -> BN -> ReLU -> conv3x3(stride) -> BN -> ReLU -> conv1x1 ->
 * BN, plus the identity (or downsample(x)), then ReLU.
 * Shape: (B, inplanes, H, W) -> (B, 4 * planes, H / stride, W / stride)
 */
export class Bottleneck extends Module {
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly conv3: nn.Conv2d;
  readonly bn3: nn.BatchNorm2d;
  readonly downsample: Downsample | null;

  constructor(readonly inplanes: number, readonly planes: number, readonly stride = 1, g?: Generator) {
    super();
    const out = planes * BOTTLENECK_EXPANSION;
    this.conv1 = this.module('conv1', conv(inplanes, planes, 1, 1, 0, g));
    this.bn1 = this.module('bn1', batchNorm(planes));
    this.conv2 = this.module('conv2', conv(planes, planes, 3, stride, 1, g));
    this.bn2 = this.module('bn2', batchNorm(planes));
    this.conv3 = this.module('conv3', conv(planes, out, 1, 1, 0, g));
    this.bn3 = this.module('bn3', batchNorm(out));
    this.downsample = stride !== 1 || inplanes !== out ? this.module('downsample', new Downsample(inplanes, out, stride, g)) : null;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let y = this.bn1.forward(this.conv1.forward(x), 'relu');
      y = this.bn2.forward(this.conv2.forward(y), 'relu');
      // relu(bn3(conv3(y)) + identity) in the norm's pass
      return this.bn3.forward(this.conv3.forward(y), 'relu', this.downsample ? this.downsample.forward(x) : x);
    });
  }
}

function resolve(config: ResNetConfig): ResolvedResNetConfig {
  const outStage = config.outStage ?? 4;
  const c: ResolvedResNetConfig = {
    layers: [...(config.layers ?? RESNET50_LAYERS)],
    widths: [...(config.widths ?? TORCHVISION_WIDTHS)],
    stemStride: config.stemStride ?? 2,
    stemPool: config.stemPool ?? true,
    outStage,
    numClasses: config.numClasses ?? null,
    zeroInitResidual: config.zeroInitResidual ?? false,
  };
  if (![1, 2, 3, 4].includes(outStage)) throw new Error(`ResNet: outStage must be 1..4, got ${outStage}`);
  if (c.layers.length < outStage || c.widths.length < outStage) {
    throw new Error(`ResNet: outStage ${outStage} needs ${outStage} entries in layers [${c.layers.join(', ')}] and widths [${c.widths.join(', ')}]`);
  }
  if (c.layers.slice(0, outStage).some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`ResNet: layers must be positive integers, got [${c.layers.join(', ')}]`);
  if (c.widths.slice(0, outStage).some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`ResNet: widths must be positive integers, got [${c.widths.join(', ')}]`);
  if (c.stemStride !== 1 && c.stemStride !== 2) throw new Error(`ResNet: stemStride must be 1 or 2, got ${c.stemStride}`);
  if (c.numClasses !== null && (!Number.isInteger(c.numClasses) || c.numClasses < 1)) throw new Error(`ResNet: numClasses must be a positive integer or null, got ${c.numClasses}`);
  c.layers = c.layers.slice(0, outStage);
  c.widths = c.widths.slice(0, outStage);
  return c;
}

/** Spatial size after a conv/pool with this kernel, stride and padding (floor, as PyTorch). */
function convOut(n: number, k: number, stride: number, padding: number): number {
  return Math.floor((n + 2 * padding - k) / stride) + 1;
}

/** torchvision's ResNet (Bottleneck), configurable down to tiny test sizes. See the module comment. */
export class ResNet extends Module {
  readonly config: ResolvedResNetConfig;
  /** Channels of the feature map (4 * widths[outStage - 1]). */
  readonly outChannels: number;
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly stages: readonly ModuleList<Bottleneck>[];
  readonly fc: nn.Linear | null;

  constructor(config: ResNetConfig = {}) {
    super();
    const c = (this.config = resolve(config));
    const g = config.generator;
    this.conv1 = this.module('conv1', conv(3, c.widths[0], 7, c.stemStride, 3, g));
    this.bn1 = this.module('bn1', batchNorm(c.widths[0]));
    let inplanes = c.widths[0];
    const stages: ModuleList<Bottleneck>[] = [];
    for (let s = 0; s < c.outStage; s++) {
      const blocks: Bottleneck[] = [];
      for (let b = 0; b < c.layers[s]; b++) {
        blocks.push(new Bottleneck(inplanes, c.widths[s], b === 0 && s > 0 ? 2 : 1, g));
        inplanes = c.widths[s] * BOTTLENECK_EXPANSION;
      }
      stages.push(this.module(`layer${s + 1}`, new ModuleList(blocks)));
    }
    this.stages = stages;
    this.outChannels = inplanes;
    this.fc = c.numClasses === null ? null : this.module('fc', new nn.Linear(inplanes, c.numClasses, { generator: g }));
    if (c.zeroInitResidual) for (const stage of stages) for (const block of stage.items) fillInPlace(block.bn3.weight!, 0);
  }

  /** The feature map's spatial size for an input of H x W. */
  featureSize(height: number, width: number): [number, number] {
    const side = (n: number) => {
      let s = convOut(n, 7, this.config.stemStride, 3);
      if (this.config.stemPool) s = convOut(s, 3, 2, 1);
      for (let i = 1; i < this.config.outStage; i++) s = convOut(s, 3, 2, 1);
      return s;
    };
    return [side(height), side(width)];
  }

  /** Shape: (B, 3, H, W) -> { featureMap (B, C, H', W'), pooled (B, C), logits? (B, classes) } */
  forward(images: Tensor): ResNetOutput {
    if (images.rank !== 4 || images.shape[1] !== 3) throw new Error(`ResNet: expected images (B, 3, H, W), got [${images.shape.join(', ')}]`);
    return tidy(() => {
      let x = this.bn1.forward(this.conv1.forward(images), 'relu');
      if (this.config.stemPool) x = maxPool2d(x, 3, { stride: 2, padding: 1 });
      for (const stage of this.stages) for (const block of stage.items) x = block.forward(x);
      const pooled = globalAvgPool2d(x);
      const out: ResNetOutput = { featureMap: x, pooled };
      if (this.fc) out.logits = this.fc.forward(pooled);
      return out;
    });
  }
}

/**
 * torchvision's resnet50: layers [3, 4, 6, 3], widths [64, 128, 256, 512], fc to 1000 classes
 * (25,557,032 parameters). `overrides` change any option (e.g. numClasses: null drops the fc).
 */
export function resnet50(overrides: ResNetConfig = {}): ResNet {
  return new ResNet({ layers: RESNET50_LAYERS, widths: TORCHVISION_WIDTHS, numClasses: 1000, ...overrides });
}
