/**
 * Normalisation forwards. layerNorm over the last dim at BERT's (8 x 32 tokens x 768) and the
 * fusion map's (8 x 256 pixels x 256) shapes; batchNorm2d in training mode (batch statistics and
 * the running-statistics update) at ResNet50 activations, batch 2 at 224x224.
 * Peer: tf.moments then tf.batchNorm (what tf.layers' LayerNormalization and BatchNormalization
 * run), on NHWC for batch norm; the peer does not update running statistics.
 * Bytes: the input read once and the output written once (4 bytes each).
 */
import { defineBench, f32Bytes, prod, type GridEntry } from '../src/declare.js';
import { oursRandom, peerRandom, peerRandomPermuted, NHWC } from '../src/data.js';
import { op } from '../src/ops.js';
import { ones, zeros } from '@fusion/tensor';

interface ShapeCase {
  shape: number[];
}

const layerNormGrid: readonly GridEntry<ShapeCase>[] = [
  { shape: [8, 32, 768] },
  { shape: [8, 256, 256] },
  { shape: [2, 32, 64], quickOnly: true },
];

export const layerNormBench = defineBench<ShapeCase>({
  kernel: 'layerNorm',
  requires: ['layerNorm'],
  grid: layerNormGrid,
  shape: (c) => c.shape.join('x'),
  work: (c) => ({ bytes: 2 * f32Bytes(prod(c.shape)) }),
  setup: (c) => {
    const layerNorm = op('layerNorm');
    const d = c.shape[c.shape.length - 1];
    const x = oursRandom(c.shape, 1);
    const w = oursRandom([d], 2);
    const b = oursRandom([d], 3);
    return { run: () => layerNorm(x, w, b, 1e-5), dispose: () => [x, w, b].forEach((t) => t.dispose()) };
  },
  peer: {
    name: 'tf.moments + tf.batchNorm',
    setup: (c, tf) => {
      const d = c.shape[c.shape.length - 1];
      const x = peerRandom(tf, c.shape, 1);
      // tf.layers' LayerNormalization broadcasts gamma and beta to x's rank: batchNorm needs equal ranks.
      const paramShape = [...c.shape.slice(0, -1).map(() => 1), d];
      const w = peerRandom(tf, paramShape, 2);
      const b = peerRandom(tf, paramShape, 3);
      return {
        run: () => {
          const { mean, variance } = tf.moments(x, -1, true);
          tf.batchNorm(x, mean, variance, b, w, 1e-5);
        },
        dispose: () => tf.dispose([x, w, b]),
      };
    },
  },
});

const batchNormGrid: readonly GridEntry<ShapeCase>[] = [
  { shape: [2, 64, 112, 112] },
  { shape: [2, 256, 56, 56] },
  { shape: [2, 2048, 7, 7] },
  { shape: [2, 16, 14, 14], quickOnly: true },
];

export const batchNorm2dBench = defineBench<ShapeCase>({
  kernel: 'batchNorm2d',
  requires: ['batchNorm2d'],
  grid: batchNormGrid,
  shape: (c) => `${c.shape.join('x')} training`,
  work: (c) => ({ bytes: 2 * f32Bytes(prod(c.shape)) }),
  setup: (c) => {
    const batchNorm2d = op('batchNorm2d');
    const ch = c.shape[1];
    const x = oursRandom(c.shape, 1);
    const w = oursRandom([ch], 2);
    const b = oursRandom([ch], 3);
    const runningMean = zeros([ch]);
    const runningVar = ones([ch]);
    return {
      run: () => batchNorm2d(x, w, b, runningMean, runningVar, { training: true, momentum: 0.1, eps: 1e-5 }),
      dispose: () => [x, w, b, runningMean, runningVar].forEach((t) => t.dispose()),
    };
  },
  peer: {
    name: 'tf.moments + tf.batchNorm (NHWC, no running update)',
    setup: (c, tf) => {
      const ch = c.shape[1];
      const x = peerRandomPermuted(tf, c.shape, 1, NHWC);
      const w = peerRandom(tf, [ch], 2);
      const b = peerRandom(tf, [ch], 3);
      return {
        run: () => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          tf.batchNorm(x, mean, variance, b, w, 1e-5);
        },
        dispose: () => tf.dispose([x, w, b]),
      };
    },
  },
});
