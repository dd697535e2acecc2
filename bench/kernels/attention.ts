/**
 * attention forward and backward at the fusion heads' shapes: 32 text tokens attending a 16x16
 * feature map (Lq 32, Lk 256) and the reverse (Lq 256, Lk 32); batch 8, 8 heads of 64. Scale
 * 1/sqrt(D), no mask. Backward: `backward` of a recorded forward with q, k, v requiring grad
 * (graph retained, gradients dropped before each run).
 * Peer: the same math as TF.js ops: softmax(q k^T * scale) v with batched tf.matMul, and for the
 * backward the ops TF.js's own gradients of that composite run, from the saved probabilities P:
 * dV = P^T dO, dP = dO V^T, dS = P (dP - sum(dP P)), dQ = scale dS K, dK = scale dS^T Q.
 * FLOPs: forward 4 B H Lq Lk D (two products), backward 8 B H Lq Lk D (four products).
 * Each row runs the variant the table gives its case: `tiled` or `lines` (shaders/attention.wgsl),
 * or `subgroup` (shaders/attention_subgroup.wgsl, the default on CPU adapters with 8-lane
 * subgroups); the row's variant column names it.
 */
import { backward, chooseVariant } from '@fusion/tensor';
import { defineBench, type GridEntry } from '../src/declare.js';
import { oursParam, oursRandom, peerRandom } from '../src/data.js';
import { op } from '../src/ops.js';
import type { Tf } from '../src/peer.js';

export interface AttentionCase {
  name: string;
  b: number;
  heads: number;
  lq: number;
  lk: number;
  d: number;
}

const GRID: readonly GridEntry<AttentionCase>[] = [
  { name: 'text->pixels', b: 8, heads: 8, lq: 32, lk: 256, d: 64 },
  { name: 'pixels->text', b: 8, heads: 8, lq: 256, lk: 32, d: 64 },
  { name: 'text->pixels (small)', b: 2, heads: 2, lq: 32, lk: 64, d: 32, quickOnly: true },
  { name: 'pixels->text (small)', b: 2, heads: 2, lq: 64, lk: 32, d: 32, quickOnly: true },
];

/** The attention kernel the variant table gives this case. */
const variant = (c: AttentionCase) => chooseVariant('attention', c.b * c.heads, c.lq, c.lk, c.d).variant;

const shape = (c: AttentionCase) => `${c.name} B${c.b} H${c.heads} Lq${c.lq} Lk${c.lk} D${c.d}`;
const qShape = (c: AttentionCase) => [c.b, c.heads, c.lq, c.d];
const kShape = (c: AttentionCase) => [c.b, c.heads, c.lk, c.d];

function peerInputs(c: AttentionCase, tf: Tf) {
  return { q: peerRandom(tf, qShape(c), 1), k: peerRandom(tf, kShape(c), 2), v: peerRandom(tf, kShape(c), 3), scale: 1 / Math.sqrt(c.d) };
}

const note = (kernel: string) => `${kernel}: the fusion heads' cross-attention, 32 text tokens x 16x16 pixels and the reverse, at batch 8 with 8 heads of 64`;

export const attentionBench = defineBench<AttentionCase>({
  kernel: 'attention',
  note: note('attention'),
  requires: ['attention'],
  grid: GRID,
  shape,
  variant,
  work: (c) => ({ flops: 4 * c.b * c.heads * c.lq * c.lk * c.d }),
  setup: (c) => {
    const attention = op('attention');
    const q = oursRandom(qShape(c), 1);
    const k = oursRandom(kShape(c), 2);
    const v = oursRandom(kShape(c), 3);
    return { run: () => attention(q, k, v), dispose: () => [q, k, v].forEach((t) => t.dispose()) };
  },
  peer: {
    name: 'softmax(matMul(q, k^T) * scale) matMul v',
    setup: (c, tf) => {
      const { q, k, v, scale } = peerInputs(c, tf);
      return {
        run: () => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)), v),
        dispose: () => tf.dispose([q, k, v]),
      };
    },
  },
});

/** The backward path the op takes at a case's shapes: the row kernels (`fused`) or batched GEMMs. */
const backwardVariant = (c: AttentionCase) =>
  chooseVariant('attention-backward', c.b * c.heads, c.lq, c.lk, c.d).variant === 'gemm' ? 'gemm' : variant(c);

export const attentionBackwardBench = defineBench<AttentionCase>({
  kernel: 'attentionBackward',
  note: note('attentionBackward'),
  requires: ['attention'],
  grid: GRID,
  shape,
  variant: backwardVariant,
  work: (c) => ({ flops: 8 * c.b * c.heads * c.lq * c.lk * c.d }),
  setup: (c) => {
    const attention = op('attention');
    const q = oursParam(qShape(c), 1);
    const k = oursParam(kShape(c), 2);
    const v = oursParam(kShape(c), 3);
    const o = attention(q, k, v);
    const dO = oursRandom(qShape(c), 4);
    return {
      reset: () => {
        for (const t of [q, k, v]) {
          t.grad?.dispose();
          t.grad = null;
        }
      },
      run: () => backward(o, { grad: dO, retainGraph: true }),
      dispose: () => [o, dO, q, k, v].forEach((t) => t.dispose()),
    };
  },
  peer: {
    name: 'matMul/softmax-gradient ops from saved P',
    setup: (c, tf) => {
      const { q, k, v, scale } = peerInputs(c, tf);
      const p = tf.tidy(() => tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)));
      const dO = peerRandom(tf, qShape(c), 4);
      return {
        run: () => {
          tf.matMul(p, dO, true, false); // dV
          const dP = tf.matMul(dO, v, false, true);
          const dS = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true)));
          tf.mul(tf.matMul(dS, k), scale); // dQ
          tf.mul(tf.matMul(dS, q, true, false), scale); // dK
        },
        dispose: () => tf.dispose([q, k, v, p, dO]),
      };
    },
  },
});
