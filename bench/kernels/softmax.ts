/**
 * softmax over the last dim: TF.js's reference [64, 1024] and the attention scores of the fusion
 * heads (B 8, 8 heads, 32 x 256 and 256 x 32). Peer: tf.softmax. Bytes: read once, write once.
 */
import { softmax } from '@fusion/tensor';
import { defineBench, f32Bytes, prod } from '../src/declare.js';
import { oursRandom, peerRandom } from '../src/data.js';

export const softmaxBench = defineBench<{ shape: number[] }>({
  kernel: 'softmax',
  requires: ['softmax'],
  grid: [
    { shape: [64, 1024], quick: true },
    { shape: [8, 8, 32, 256] },
    { shape: [8, 8, 256, 32] },
  ],
  shape: (c) => c.shape.join('x'),
  work: (c) => ({ bytes: 2 * f32Bytes(prod(c.shape)) }),
  setup: (c) => {
    const x = oursRandom(c.shape, 1, -4, 4);
    return { run: () => softmax(x, -1), dispose: () => x.dispose() };
  },
  peer: {
    name: 'tf.softmax',
    setup: (c, tf) => {
      const x = peerRandom(tf, c.shape, 1, -4, 4);
      return { run: () => tf.softmax(x), dispose: () => x.dispose() };
    },
  },
});
