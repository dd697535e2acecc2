/**
 * BCE with logits, mean reduction, at the mask decoder's output: batch 8 of 1 x 224 x 224 logits.
 * Peer: tf.losses.sigmoidCrossEntropy (relu(x) - x z + log1p(exp(-|x|)), mean).
 * Bytes: logits and targets read once.
 */
import { defineBench, f32Bytes, prod } from '../src/declare.js';
import { oursRandom, peerRandom } from '../src/data.js';
import { op } from '../src/ops.js';

export const bceWithLogitsBench = defineBench<{ shape: number[] }>({
  kernel: 'bceWithLogits',
  requires: ['bceWithLogits'],
  grid: [
    { shape: [8, 1, 224, 224] },
    { shape: [2, 1, 32, 32], quickOnly: true },
  ],
  shape: (c) => `${c.shape.join('x')} mean`,
  work: (c) => ({ bytes: 2 * f32Bytes(prod(c.shape)) }),
  setup: (c) => {
    const bceWithLogits = op('bceWithLogits');
    const logits = oursRandom(c.shape, 1, -6, 6);
    const targets = oursRandom(c.shape, 2, 0, 1);
    return { run: () => bceWithLogits(logits, targets, { reduction: 'mean' }), dispose: () => [logits, targets].forEach((t) => t.dispose()) };
  },
  peer: {
    name: 'tf.losses.sigmoidCrossEntropy',
    setup: (c, tf) => {
      const logits = peerRandom(tf, c.shape, 1, -6, 6);
      const targets = peerRandom(tf, c.shape, 2, 0, 1);
      return { run: () => tf.losses.sigmoidCrossEntropy(targets, logits), dispose: () => tf.dispose([logits, targets]) };
    },
  },
});
