/**
 * MaskModel: the study's model. Image encoder (ResNet) and text encoder (BERT) feed one fusion
 * head, whose map the CNN decoder turns into 1-channel mask logits at the image's resolution.
 *
 *   images (B, 3, H, W) -> ResNet -> featureMap (B, Ci, h, w), pooledImage (B, Ci)
 *   inputIds, attentionMask, tokenTypeIds (B, L) -> BERT -> tokens (B, L, Dt), pooledText (B, Dt)
 *   fusion head -> map (B, C, h', w') -> MaskDecoder -> logits (B, 1, H, W)
 *
 * Images arrive normalised (ImageNet mean/std, as torchvision's weights expect). The encoders
 * take any ResNet / BERT configuration (tiny ones for tests; the ResNet is built without fc).
 * `freezeEncoders`: the encoders' parameters do not require grad, the encoders run without
 * recording autograd and stay in eval mode (BatchNorm uses its running statistics, no dropout)
 * even when the model is put in training mode; `trainableParameters()` lists what an optimizer
 * should update.
 * Names: `image_encoder.*` (torchvision's names below it), `text_encoder.*` (HF's), `fusion.*`,
 * `decoder.*`.
 * A head that reads no text (the `image-only` control, `headUsesText`): the text encoder is built
 * (checkpoints and weight loading stay uniform) but never run; its parameters do not require grad
 * and are not trainable, so an optimizer never sees them and the text cannot reach the decoder.
 * Heads are named by spec strings through `fusionConfigFor(parseHeadSpec(spec), width)`.
 */
import { Module, tidy, noGrad, cast, ones, type Tensor } from '@fusion/tensor';
import { ResNet, type ResNetConfig } from './resnet.js';
import { Bert, type BertConfig } from './bert.js';
import { MaskDecoder, STUDY_DECODER_WIDTHS } from './decoder.js';
import { createFusionHead, headUsesText, type FusionConfig, type FusionHead } from './fusion/index.js';

export interface MaskModelConfig {
  /** Input image size (H, W), or one side for square images; fixes the feature map size the heads are built for. */
  imageSize: number | readonly [number, number];
  /** Image encoder (default resnet50's layout; numClasses is ignored: no fc). */
  resnet?: Omit<ResNetConfig, 'numClasses'>;
  /** Text encoder (default bert-base-uncased's layout). */
  bert?: BertConfig;
  /** Fusion head and its options. */
  fusion: FusionConfig;
  /** Decoder conv widths (default the study's [256, 256, 128, 128, 64, 64, 32, 16]). */
  decoderWidths?: readonly number[];
  /** Keep the encoders fixed (see the module comment). */
  freezeEncoders?: boolean;
}

export interface MaskModelInput {
  /** Normalised images (B, 3, H, W). */
  images: Tensor;
  /** Token ids, i32 (B, L). */
  inputIds: Tensor;
  /** 1 for tokens, 0 for padding (B, L), i32 or f32 (default all ones). */
  attentionMask?: Tensor;
  /** Segment ids, i32 (B, L) (default zeros). */
  tokenTypeIds?: Tensor;
  /** Also return the attention head's per-token maps (B, L, h, w). */
  returnAttention?: boolean;
}

export interface MaskModelOutput {
  /** Mask logits (B, 1, H, W). */
  logits: Tensor;
  /** Per-token attention maps (B, L, h, w), when asked for and the head has attention. */
  attention?: Tensor;
}

export interface ParameterCounts {
  imageEncoder: number;
  textEncoder: number;
  fusion: number;
  decoder: number;
  total: number;
  /** Elements of the parameters that require grad (total minus frozen encoders). */
  trainable: number;
}

export class MaskModel extends Module {
  readonly imageEncoder: ResNet;
  readonly textEncoder: Bert;
  readonly fusion: FusionHead;
  readonly decoder: MaskDecoder;
  readonly imageSize: readonly [number, number];
  readonly encodersFrozen: boolean;
  /** False for a head that reads no text: the text encoder is not run (see the module comment). */
  readonly usesText: boolean;

  constructor(config: MaskModelConfig) {
    super();
    this.imageSize = typeof config.imageSize === 'number' ? [config.imageSize, config.imageSize] : [config.imageSize[0], config.imageSize[1]];
    this.imageEncoder = this.module('image_encoder', new ResNet({ ...config.resnet, numClasses: null }));
    this.textEncoder = this.module('text_encoder', new Bert(config.bert));
    const featureSize = this.imageEncoder.featureSize(this.imageSize[0], this.imageSize[1]);
    this.fusion = this.module('fusion', createFusionHead(config.fusion, { imageChannels: this.imageEncoder.outChannels, textDim: this.textEncoder.config.hidden, featureSize }));
    this.decoder = this.module('decoder', new MaskDecoder({ inChannels: this.fusion.outChannels, widths: config.decoderWidths ?? STUDY_DECODER_WIDTHS }));
    this.encodersFrozen = config.freezeEncoders ?? false;
    this.usesText = headUsesText(this.fusion.kind);
    if (!this.usesText) for (const p of this.textEncoder.parameters()) p.requiresGrad = false;
    if (this.encodersFrozen) {
      for (const p of [...this.imageEncoder.parameters(), ...this.textEncoder.parameters()]) p.requiresGrad = false;
      this.train(this.training);
    }
  }

  /** Training mode for the head and decoder; frozen encoders stay in eval mode. */
  override train(on = true): this {
    super.train(on);
    if (this.encodersFrozen) {
      this.imageEncoder.eval();
      this.textEncoder.eval();
    }
    return this;
  }

  /** Shape: images (B, 3, H, W), inputIds (B, L) -> logits (B, 1, H, W) */
  forward(input: MaskModelInput): MaskModelOutput {
    const { images, inputIds } = input;
    if (images.rank !== 4 || images.shape[1] !== 3) throw new Error(`MaskModel: expected images (B, 3, H, W), got [${images.shape.join(', ')}]`);
    if (inputIds.rank !== 2 || inputIds.shape[0] !== images.shape[0]) throw new Error(`MaskModel: inputIds [${inputIds.shape.join(', ')}] do not match images [${images.shape.join(', ')}] (batch)`);
    return tidy(() => {
      const encode = () => ({
        image: this.imageEncoder.forward(images),
        text: this.usesText ? this.textEncoder.forward({ inputIds, attentionMask: input.attentionMask, tokenTypeIds: input.tokenTypeIds }) : null,
      });
      const { image, text } = this.encodersFrozen ? noGrad(encode) : encode();
      const textInput = text && {
        tokens: text.lastHiddenState, pooledText: text.pooled,
        textMask: input.attentionMask ? cast(input.attentionMask, 'f32') : ones(inputIds.shape),
      };
      const fused = this.fusion.forward({ featureMap: image.featureMap, pooledImage: image.pooled, ...textInput, returnAttention: input.returnAttention });
      const out: MaskModelOutput = { logits: this.decoder.forward(fused.map, [images.shape[2], images.shape[3]]) };
      if (fused.attention) out.attention = fused.attention;
      return out;
    });
  }

  /** The parameters an optimizer should update (all but frozen encoders'). */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  /** Parameter elements per part. */
  parameterCounts(): ParameterCounts {
    const imageEncoder = this.imageEncoder.parameterCount();
    const textEncoder = this.textEncoder.parameterCount();
    const fusion = this.fusion.parameterCount();
    const decoder = this.decoder.parameterCount();
    return {
      imageEncoder, textEncoder, fusion, decoder,
      total: imageEncoder + textEncoder + fusion + decoder,
      trainable: this.trainableParameters().reduce((s, p) => s + p.size, 0),
    };
  }

  /** A one-line-per-part summary of the parameter counts. */
  describeParameters(): string {
    const c = this.parameterCounts();
    const f = (n: number) => n.toLocaleString('en-US');
    return [
      `image encoder (ResNet)   ${f(c.imageEncoder)}${this.encodersFrozen ? ' (frozen)' : ''}`,
      `text encoder (BERT)      ${f(c.textEncoder)}${!this.usesText ? ' (not used by this head)' : this.encodersFrozen ? ' (frozen)' : ''}`,
      `fusion (${this.fusion.kind})`.padEnd(25) + f(c.fusion),
      `decoder                  ${f(c.decoder)}`,
      `total                    ${f(c.total)} (${f(c.trainable)} trainable)`,
    ].join('\n');
  }
}
