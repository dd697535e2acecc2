/**
 * BERT, exactly Hugging Face's `BertModel` (post-LayerNorm, absolute positions):
 *   embeddings = LayerNorm(word[ids] + position[0..L) + token_type[types]) (eps 1e-12), dropout;
 *   each encoder layer: multi-head self-attention (Q, K, V Linear; padded keys masked), output
 *   dense + dropout + residual + LayerNorm; intermediate dense + GELU (erf); output dense +
 *   dropout + residual + LayerNorm;
 *   pooler = tanh(dense(hidden state of token 0, [CLS])).
 * Parameter names are HF's (`embeddings.word_embeddings.weight`,
 * `encoder.layer.0.attention.self.query.weight`, `encoder.layer.0.attention.output.LayerNorm.bias`,
 * `encoder.layer.0.intermediate.dense.weight`, `encoder.layer.0.output.dense.weight`,
 * `pooler.dense.weight`, ...), so HF state dicts load one-to-one (see weights.ts). HF's
 * non-trained buffers `embeddings.position_ids` / `token_type_ids` are not kept (positions are
 * 0..L-1, token types default to 0).
 *
 * Self-attention runs through the fused `attention` kernel with the key padding mask. The fused
 * kernel has no dropout on the attention probabilities, so in training mode with
 * `attentionDropout > 0` (HF's attention_probs_dropout_prob, default 0.1) the layer uses the
 * composed path instead (Q K^T * scale + additive mask, softmax, dropout, times V), which is HF's
 * computation; set `attentionDropout: 0` to train on the fused kernel. The two paths differ in
 * one corner: a sequence whose mask is all zeros gets zero attention output from the fused kernel
 * (HF's additive mask gives uniform attention there).
 * The word embedding honours HF's padding_idx (nn.Embedding's paddingIdx): the [PAD] row
 * (padTokenId) receives no gradient.
 * Initialisation as HF's `_init_weights`: Linear and Embedding weights N(0, initializerRange =
 * 0.02), biases 0, the [PAD] row 0, LayerNorm weight 1 and bias 0.
 *
 * Shape: inputIds (B, L) i32, attentionMask (B, L) (1 keep, 0 pad; i32 or f32), tokenTypeIds (B, L)
 *        i32 -> lastHiddenState (B, L, hidden), pooled (B, hidden)
 */
import {
  Module, nn, tidy, add, sub, mul, tanh, gelu, matmul, softmax, dropout, reshape, permute, transpose, slice, squeeze, cast,
  arange, zeros, ones, attention, copyInto, fillInPlace, type Tensor, type Generator,
} from '@fusion/tensor';
import { ModuleList } from './module-list.js';

export interface BertConfig {
  /** Encoder layers (bert-base: 12). */
  layers?: number;
  /** Hidden size (bert-base: 768). */
  hidden?: number;
  /** Attention heads; must divide hidden (bert-base: 12). */
  heads?: number;
  /** Feed-forward size (bert-base: 3072). */
  intermediate?: number;
  /** Vocabulary size (bert-base-uncased: 30522). */
  vocabSize?: number;
  /** Absolute positions (bert-base: 512). */
  maxPositions?: number;
  /** Token types (segments) (bert-base: 2). */
  typeVocabSize?: number;
  layerNormEps?: number;
  /** HF hidden_dropout_prob (0.1). */
  hiddenDropout?: number;
  /** HF attention_probs_dropout_prob (0.1); > 0 in training selects the composed attention path. */
  attentionDropout?: number;
  /** [PAD] id: its embedding row starts at 0 and gets no gradient (HF padding_idx; 0 for bert-base-uncased; -1 for none). */
  padTokenId?: number;
  /** Standard deviation of the initial weights (HF initializer_range, 0.02). */
  initializerRange?: number;
  generator?: Generator;
}

export type ResolvedBertConfig = Required<Omit<BertConfig, 'generator'>>;

export const BERT_BASE_UNCASED: ResolvedBertConfig = {
  layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocabSize: 30522, maxPositions: 512, typeVocabSize: 2,
  layerNormEps: 1e-12, hiddenDropout: 0.1, attentionDropout: 0.1, padTokenId: 0, initializerRange: 0.02,
};

export interface BertInput {
  /** Token ids, i32 (B, L). */
  inputIds: Tensor;
  /** 1 for tokens, 0 for padding, (B, L), i32 or f32 (default: all ones). */
  attentionMask?: Tensor;
  /** Segment ids, i32 (B, L) (default: all zeros). */
  tokenTypeIds?: Tensor;
}

export interface BertModelOutput {
  /** Hidden states of the last layer: (B, L, hidden). */
  lastHiddenState: Tensor;
  /** tanh(dense(lastHiddenState[:, 0])): (B, hidden). */
  pooled: Tensor;
}

let forcedAttentionPath: 'fused' | 'composed' | null = null;

/** Forces the self-attention path (tests); null restores the choice by mode and dropout. */
export function setBertAttentionPath(path: 'fused' | 'composed' | null): void {
  forcedAttentionPath = path;
}

/** A Linear initialised as HF's _init_weights: weight N(0, std), bias 0. */
function linear(cin: number, cout: number, std: number, g?: Generator): nn.Linear {
  const l = new nn.Linear(cin, cout, { generator: g });
  reinitNormal(l.weight, std, g);
  if (l.bias) fillInPlace(l.bias, 0);
  return l;
}

function reinitNormal(t: Tensor, std: number, g?: Generator): void {
  const w = nn.init.normalInit(t.shape, std, g);
  copyInto(t, w);
  w.dispose();
}

function layerNorm(c: ResolvedBertConfig): nn.LayerNorm {
  return new nn.LayerNorm(c.hidden, { eps: c.layerNormEps });
}

/** HF BertEmbeddings: word + position + token type, LayerNorm, dropout. */
export class BertEmbeddings extends Module {
  readonly word_embeddings: nn.Embedding;
  readonly position_embeddings: nn.Embedding;
  readonly token_type_embeddings: nn.Embedding;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;

  constructor(readonly c: ResolvedBertConfig, g?: Generator) {
    super();
    const pad = c.padTokenId >= 0 && c.padTokenId < c.vocabSize ? { paddingIdx: c.padTokenId } : {};
    this.word_embeddings = this.module('word_embeddings', new nn.Embedding(c.vocabSize, c.hidden, { ...pad, generator: g }));
    this.position_embeddings = this.module('position_embeddings', new nn.Embedding(c.maxPositions, c.hidden, { generator: g }));
    this.token_type_embeddings = this.module('token_type_embeddings', new nn.Embedding(c.typeVocabSize, c.hidden, { generator: g }));
    for (const e of [this.word_embeddings, this.position_embeddings, this.token_type_embeddings]) reinitNormal(e.weight, c.initializerRange, g);
    if (c.padTokenId >= 0 && c.padTokenId < c.vocabSize) {
      const row = this.word_embeddings.weight.view([c.hidden], [1], c.padTokenId * c.hidden);
      fillInPlace(row, 0);
      row.dispose();
    }
    this.LayerNorm = this.module('LayerNorm', layerNorm(c));
    this.dropout = this.module('dropout', new nn.Dropout(c.hiddenDropout, g));
  }

  /** Shape: ids (B, L), types (B, L) -> (B, L, hidden) */
  forward(inputIds: Tensor, tokenTypeIds: Tensor): Tensor {
    return tidy(() => {
      const L = inputIds.shape[1];
      const words = this.word_embeddings.forward(inputIds);
      const positions = this.position_embeddings.forward(arange(0, L, 1, 'i32'));
      const types = this.token_type_embeddings.forward(tokenTypeIds);
      // (words + positions) + types: the second sum is fused into the norm (same shapes)
      return this.dropout.forward(this.LayerNorm.forward(add(words, positions), types));
    });
  }
}

/** HF BertSelfAttention: Q, K, V projections and multi-head scaled dot-product attention. */
export class BertSelfAttention extends Module {
  readonly query: nn.Linear;
  readonly key: nn.Linear;
  readonly value: nn.Linear;
  readonly dropoutP: number;
  readonly headDim: number;

  constructor(readonly c: ResolvedBertConfig, private readonly generator?: Generator) {
    super();
    const g = generator;
    this.query = this.module('query', linear(c.hidden, c.hidden, c.initializerRange, g));
    this.key = this.module('key', linear(c.hidden, c.hidden, c.initializerRange, g));
    this.value = this.module('value', linear(c.hidden, c.hidden, c.initializerRange, g));
    this.dropoutP = c.attentionDropout;
    this.headDim = c.hidden / c.heads;
  }

  private split(x: Tensor): Tensor {
    const [B, L] = x.shape;
    return permute(reshape(x, [B, L, this.c.heads, this.headDim]), [0, 2, 1, 3]);
  }

  /** Shape: x (B, L, hidden), keyMask (B, L) f32 -> (B, L, hidden) */
  forward(x: Tensor, keyMask: Tensor): Tensor {
    return tidy(() => {
      const [B, L] = x.shape;
      const q = this.split(this.query.forward(x));
      const k = this.split(this.key.forward(x));
      const v = this.split(this.value.forward(x));
      const scale = 1 / Math.sqrt(this.headDim);
      const composed = forcedAttentionPath ? forcedAttentionPath === 'composed' : this.training && this.dropoutP > 0;
      let context: Tensor;
      if (composed) {
        const additive = reshape(mul(sub(keyMask, 1), 3.4028234663852886e38), [B, 1, 1, L]);
        const probs = softmax(add(mul(matmul(q, transpose(k)), scale), additive), -1);
        context = matmul(dropout(probs, this.dropoutP, this.training, this.generator), v);
      } else {
        context = attention(q, k, v, { keyPaddingMask: keyMask, scale });
      }
      return reshape(permute(context, [0, 2, 1, 3]), [B, L, this.c.hidden]);
    });
  }
}

/** HF BertSelfOutput / BertOutput: LayerNorm(dropout(dense(h)) + residual). */
export class BertResidualOutput extends Module {
  readonly dense: nn.Linear;
  readonly LayerNorm: nn.LayerNorm;
  readonly dropout: nn.Dropout;

  constructor(c: ResolvedBertConfig, inFeatures: number, g?: Generator) {
    super();
    this.dense = this.module('dense', linear(inFeatures, c.hidden, c.initializerRange, g));
    this.LayerNorm = this.module('LayerNorm', layerNorm(c));
    this.dropout = this.module('dropout', new nn.Dropout(c.hiddenDropout, g));
  }

  forward(h: Tensor, residual: Tensor): Tensor {
    return tidy(() => this.LayerNorm.forward(this.dropout.forward(this.dense.forward(h)), residual));
  }
}

/** HF BertAttention: children `self` and `output`. */
export class BertAttention extends Module {
  readonly self: BertSelfAttention;
  readonly output: BertResidualOutput;

  constructor(c: ResolvedBertConfig, g?: Generator) {
    super();
    this.self = this.module('self', new BertSelfAttention(c, g));
    this.output = this.module('output', new BertResidualOutput(c, c.hidden, g));
  }

  forward(x: Tensor, keyMask: Tensor): Tensor {
    return tidy(() => this.output.forward(this.self.forward(x, keyMask), x));
  }
}

/** HF BertIntermediate: GELU(dense(x)). */
export class BertIntermediate extends Module {
  readonly dense: nn.Linear;

  constructor(c: ResolvedBertConfig, g?: Generator) {
    super();
    this.dense = this.module('dense', linear(c.hidden, c.intermediate, c.initializerRange, g));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => gelu(this.dense.forward(x)));
  }
}

/** HF BertLayer: attention, intermediate, output. */
export class BertLayer extends Module {
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly output: BertResidualOutput;

  constructor(c: ResolvedBertConfig, g?: Generator) {
    super();
    this.attention = this.module('attention', new BertAttention(c, g));
    this.intermediate = this.module('intermediate', new BertIntermediate(c, g));
    this.output = this.module('output', new BertResidualOutput(c, c.intermediate, g));
  }

  /** Shape: (B, L, hidden), keyMask (B, L) -> (B, L, hidden) */
  forward(x: Tensor, keyMask: Tensor): Tensor {
    return tidy(() => {
      const a = this.attention.forward(x, keyMask);
      return this.output.forward(this.intermediate.forward(a), a);
    });
  }
}

/** HF BertEncoder: `layer.<i>`. */
export class BertEncoder extends Module {
  readonly layer: ModuleList<BertLayer>;

  constructor(c: ResolvedBertConfig, g?: Generator) {
    super();
    this.layer = this.module('layer', new ModuleList(Array.from({ length: c.layers }, () => new BertLayer(c, g))));
  }

  forward(x: Tensor, keyMask: Tensor): Tensor {
    return tidy(() => {
      let h = x;
      for (const l of this.layer.items) h = l.forward(h, keyMask);
      return h;
    });
  }
}

/** HF BertPooler: tanh(dense(h[:, 0])). */
export class BertPooler extends Module {
  readonly dense: nn.Linear;

  constructor(c: ResolvedBertConfig, g?: Generator) {
    super();
    this.dense = this.module('dense', linear(c.hidden, c.hidden, c.initializerRange, g));
  }

  /** Shape: (B, L, hidden) -> (B, hidden) */
  forward(h: Tensor): Tensor {
    return tidy(() => tanh(this.dense.forward(squeeze(slice(h, 1, 0, 1), 1))));
  }
}

function resolve(config: BertConfig): ResolvedBertConfig {
  const c: ResolvedBertConfig = { ...BERT_BASE_UNCASED };
  for (const k of Object.keys(c) as (keyof ResolvedBertConfig)[]) if (config[k] !== undefined) c[k] = config[k]!;
  for (const k of ['layers', 'hidden', 'heads', 'intermediate', 'vocabSize', 'maxPositions', 'typeVocabSize'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`Bert: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.hidden % c.heads !== 0) throw new Error(`Bert: hidden ${c.hidden} is not divisible by heads ${c.heads}`);
  return c;
}

/** Hugging Face's BertModel (see the module comment). */
export class Bert extends Module {
  readonly config: ResolvedBertConfig;
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler;

  constructor(config: BertConfig = {}) {
    super();
    const c = (this.config = resolve(config));
    const g = config.generator;
    this.embeddings = this.module('embeddings', new BertEmbeddings(c, g));
    this.encoder = this.module('encoder', new BertEncoder(c, g));
    this.pooler = this.module('pooler', new BertPooler(c, g));
  }

  /** Shape: inputIds (B, L) -> { lastHiddenState (B, L, hidden), pooled (B, hidden) } */
  forward(input: BertInput): BertModelOutput {
    const { inputIds } = input;
    const c = this.config;
    if (inputIds.rank !== 2 || inputIds.dtype !== 'i32') throw new Error(`Bert: inputIds must be i32 (B, L), got ${inputIds.dtype} [${inputIds.shape.join(', ')}]`);
    const [B, L] = inputIds.shape;
    if (L > c.maxPositions) throw new Error(`Bert: sequence length ${L} exceeds maxPositions ${c.maxPositions} (inputIds [${B}, ${L}])`);
    for (const [name, t] of [['attentionMask', input.attentionMask], ['tokenTypeIds', input.tokenTypeIds]] as const) {
      if (t && (t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== L)) throw new Error(`Bert: ${name} [${t.shape.join(', ')}] does not match inputIds [${B}, ${L}]`);
    }
    if (input.tokenTypeIds && input.tokenTypeIds.dtype !== 'i32') throw new Error(`Bert: tokenTypeIds must be i32, got ${input.tokenTypeIds.dtype}`);
    return tidy(() => {
      const types = input.tokenTypeIds ?? zeros([B, L], 'i32');
      const keyMask = input.attentionMask ? cast(input.attentionMask, 'f32') : ones([B, L]);
      const h = this.encoder.forward(this.embeddings.forward(inputIds, types), keyMask);
      return { lastHiddenState: h, pooled: this.pooler.forward(h) };
    });
  }
}

/**
 * bert-base-uncased's architecture (109,482,240 parameters with the pooler), randomly initialised.
 * `overrides` change any option (e.g. attentionDropout: 0).
 */
export function bertBaseUncased(overrides: BertConfig = {}): Bert {
  return new Bert({ ...BERT_BASE_UNCASED, ...overrides });
}
