/**
 * The typed table of gradient rules. Each op module declares its context type by augmenting
 * `OpContexts`; `gradRules` must then name a rule for every op, or this file fails to compile.
 * A rule receives the gradient of the op's output, the saved context and which inputs need a
 * gradient, and returns one gradient (or null) per input. Rules run under noGrad.
 */
import type { Tensor } from '../tensor.js';
import { unaryGrads } from '../ops/unary.js';
import { binaryGrads } from '../ops/binary.js';
import { reduceGrads } from '../ops/reduce.js';
import { shapeGrads } from '../ops/shape.js';
import { contiguousGrad } from '../ops/copy.js';
import { castGrad } from '../ops/cast.js';
import { whereGrad } from '../ops/where.js';
import { matmulGrad } from '../ops/matmul.js';
import { linearGrad } from '../ops/linear.js';
import { conv2dGrad } from '../ops/conv2d.js';
import { maxPool2dGrad, avgPool2dGrad } from '../ops/pool.js';
import { softmaxGrads } from '../ops/softmax.js';
import { attentionGrad } from '../ops/attention.js';
import { dropoutGrad } from '../ops/random.js';
import { batchNormGrad } from '../ops/batchnorm.js';
import { layerNormGrad } from '../ops/layernorm.js';
import { embeddingGrad } from '../ops/embedding.js';
import { upsample2xGrad } from '../ops/upsample.js';
import { outerGrad } from '../ops/outer.js';
import { bceWithLogitsGrad } from '../ops/bce.js';

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface OpContexts {}

export type OpName = keyof OpContexts;

export type GradRule<K extends OpName> = (g: Tensor, ctx: OpContexts[K], needs: readonly boolean[]) => (Tensor | null)[];

const one = <C>(f: (g: Tensor, c: C) => Tensor) => (g: Tensor, c: C) => [f(g, c)];

export const gradRules: { [K in OpName]: GradRule<K> } = {
  neg: one(unaryGrads.neg),
  exp: one(unaryGrads.exp),
  log: one(unaryGrads.log),
  sqrt: one(unaryGrads.sqrt),
  rsqrt: one(unaryGrads.rsqrt),
  abs: one(unaryGrads.abs),
  relu: one(unaryGrads.relu),
  sigmoid: one(unaryGrads.sigmoid),
  tanh: one(unaryGrads.tanh),
  gelu: one(unaryGrads.gelu),
  erf: one(unaryGrads.erf),
  affine: one(unaryGrads.affine),
  rdiv: one(unaryGrads.rdiv),
  pow_scalar: one(unaryGrads.pow_scalar),
  rpow: one(unaryGrads.rpow),
  clamp: one(unaryGrads.clamp),
  ...binaryGrads,
  ...reduceGrads,
  ...shapeGrads,
  contiguous: contiguousGrad,
  cast: castGrad,
  where: whereGrad,
  matmul: matmulGrad,
  linear: linearGrad,
  conv2d: conv2dGrad,
  max_pool2d: maxPool2dGrad,
  avg_pool2d: avgPool2dGrad,
  ...softmaxGrads,
  attention: attentionGrad,
  dropout: dropoutGrad,
  batch_norm: batchNormGrad,
  layer_norm: layerNormGrad,
  embedding: embeddingGrad,
  upsample2x: upsample2xGrad,
  outer: outerGrad,
  bce_with_logits: bceWithLogitsGrad,
};
