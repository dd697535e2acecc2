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
import { whereGrad } from '../ops/where.js';
import { matmulGrad } from '../ops/matmul.js';
import { softmaxGrads } from '../ops/softmax.js';
import { dropoutGrad } from '../ops/random.js';

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
  where: whereGrad,
  matmul: matmulGrad,
  ...softmaxGrads,
  dropout: dropoutGrad,
};
