/**
 * One Adam step (a kernel per parameter) over the parameters of a small CNN: 10 tensors, about
 * 1M floats (4 conv weights and biases, a dense layer), gradients given. Peer:
 * tf.train.adam(lr).applyGradients on tf.variables of the same shapes.
 * Bytes: parameter, gradient and both moments read, parameter and moments written (7 x 4 per float).
 */
import { Adam, keep, type Tensor } from '@fusion/tensor';
import { defineBench, f32Bytes, prod } from '../src/declare.js';
import { oursParam, oursRandom, peerRandom } from '../src/data.js';

interface AdamCase {
  name: string;
  shapes: number[][];
}

const cnnShapes = (w: number, classes: number, flat: number) => [
  [w, 3, 3, 3], [w], [2 * w, w, 3, 3], [2 * w], [4 * w, 2 * w, 3, 3], [4 * w], [8 * w, 4 * w, 3, 3], [8 * w], [classes, flat], [classes],
];

const floats = (c: AdamCase) => c.shapes.reduce((s, shape) => s + prod(shape), 0);

let peerVariableId = 0;

export const adamBench = defineBench<AdamCase>({
  kernel: 'adam',
  requires: ['Adam'],
  grid: [
    { name: 'small CNN', shapes: cnnShapes(32, 10, 65536) },
    { name: 'tiny CNN', shapes: cnnShapes(4, 10, 1024), quick: true },
  ],
  shape: (c) => `${c.name}: ${c.shapes.length} tensors, ${floats(c)} floats`,
  work: (c) => ({ bytes: 7 * f32Bytes(floats(c)) }),
  setup: (c) => {
    const params: Tensor[] = c.shapes.map((shape, i) => {
      const p = oursParam(shape, 10 + i, -0.1, 0.1);
      p.grad = keep(oursRandom(shape, 100 + i, -0.01, 0.01));
      return p;
    });
    const optimizer = new Adam(params, { lr: 1e-3 });
    return {
      run: () => optimizer.step(),
      dispose: () => {
        optimizer.dispose();
        for (const p of params) p.dispose();
      },
    };
  },
  peer: {
    name: 'tf.train.adam().applyGradients',
    setup: (c, tf) => {
      const variables = c.shapes.map((shape, i) => tf.tidy(() => tf.variable(peerRandom(tf, shape, 10 + i, -0.1, 0.1), true, `bench_adam_${peerVariableId++}`)));
      const grads = variables.map((v, i) => ({ name: v.name, tensor: peerRandom(tf, c.shapes[i], 100 + i, -0.01, 0.01) }));
      const optimizer = tf.train.adam(1e-3);
      return {
        run: () => optimizer.applyGradients(grads),
        dispose: () => {
          optimizer.dispose();
          tf.dispose([...variables, ...grads.map((g) => g.tensor)]);
        },
      };
    },
  },
});
