/**
 * GELU (erf form) at BERT's intermediate activations (8 x 32 tokens x 3072) and a larger map.
 * Peer: TF.js has no GELU op; the same math from its ops, x * 0.5 * (1 + erf(x / sqrt 2)).
 * Bytes: read once, write once.
 */
import { gelu } from '@fusion/tensor';
import { defineBench, f32Bytes, prod } from '../src/declare.js';
import { oursRandom, peerRandom } from '../src/data.js';

export const geluBench = defineBench<{ shape: number[] }>({
  kernel: 'gelu',
  requires: ['gelu'],
  grid: [
    { shape: [8, 32, 3072] },
    { shape: [8, 256, 1024] },
    { shape: [2, 32, 256], quickOnly: true },
  ],
  shape: (c) => c.shape.join('x'),
  work: (c) => ({ bytes: 2 * f32Bytes(prod(c.shape)) }),
  setup: (c) => {
    const x = oursRandom(c.shape, 1, -3, 3);
    return { run: () => gelu(x), dispose: () => x.dispose() };
  },
  peer: {
    name: 'x * 0.5 * (1 + erf(x / sqrt 2)) (4 ops)',
    setup: (c, tf) => {
      const x = peerRandom(tf, c.shape, 1, -3, 3);
      return {
        run: () => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
        dispose: () => x.dispose(),
      };
    },
  },
});
