/**
 * Batched outer product u (B, I) x v (B, J) -> (B, I, J), the CLIP-style fusion: a 16 x 16 map
 * at batch 8 (the fusion head's size) and 256 x 256 at batch 32. Peer: broadcast tf.mul of
 * u (B, I, 1) and v (B, 1, J). Bytes: both inputs read, the output written.
 */
import { defineBench, f32Bytes } from '../src/declare.js';
import { oursRandom, peerRandom } from '../src/data.js';
import { op } from '../src/ops.js';

interface OuterCase {
  b: number;
  i: number;
  j: number;
}

export const outerBench = defineBench<OuterCase>({
  kernel: 'outer',
  requires: ['outer'],
  grid: [
    { b: 8, i: 16, j: 16, quick: true },
    { b: 32, i: 256, j: 256 },
  ],
  shape: (c) => `${c.b}x${c.i} (x) ${c.b}x${c.j}`,
  work: (c) => ({ bytes: f32Bytes(c.b * c.i + c.b * c.j + c.b * c.i * c.j) }),
  setup: (c) => {
    const outer = op('outer');
    const u = oursRandom([c.b, c.i], 1);
    const v = oursRandom([c.b, c.j], 2);
    return { run: () => outer(u, v), dispose: () => [u, v].forEach((t) => t.dispose()) };
  },
  peer: {
    name: 'tf.mul(u[:, :, None], v[:, None, :])',
    setup: (c, tf) => {
      const u = tf.tidy(() => tf.reshape(peerRandom(tf, [c.b, c.i], 1), [c.b, c.i, 1]));
      const v = tf.tidy(() => tf.reshape(peerRandom(tf, [c.b, c.j], 2), [c.b, 1, c.j]));
      return { run: () => tf.mul(u, v), dispose: () => tf.dispose([u, v]) };
    },
  },
});
