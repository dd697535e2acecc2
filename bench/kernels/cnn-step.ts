/**
 * One training step of the peer notes' small CNN, end to end: input 8 x 3 x 64 x 64, conv 3->16
 * 3x3 'same' + ReLU, 2x2 max pool, conv 16->32 + ReLU, pool, dense 8192 -> 10, softmax
 * cross-entropy against one-hot labels, backward, Adam step. Ours from nn.Conv2d, maxPool2d,
 * Linear and logSoftmax; the peer's from tf.conv2d, tf.maxPool, tf.matMul,
 * tf.losses.softmaxCrossEntropy and optimizer.minimize (Adam), NHWC.
 * FLOPs: forward + weight gradients of every layer + input gradients of all but the first.
 */
import { Adam, Linear, Module, backward, logSoftmax, mean, mul, neg, relu, reshape, sum, tensor, tidy, type Tensor } from '@fusion/tensor';
import { defineBench, type GridEntry } from '../src/declare.js';
import { hostData, oursRandom, peerRandom, peerRandomPermuted, NHWC, HWIO } from '../src/data.js';
import { op, type ForwardModule } from '../src/ops.js';
import type { Tf } from '../src/peer.js';
import type { Rank, Scalar, Tensor as TfTensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs';

interface CnnCase {
  n: number;
  size: number;
}

const CLASSES = 10;
const flat = (c: CnnCase) => 32 * (c.size / 4) ** 2;

class SmallCnn extends Module {
  readonly conv1: ForwardModule;
  readonly conv2: ForwardModule;
  readonly fc: Linear;

  constructor(c: CnnCase) {
    super();
    const Conv2d = op('nn.Conv2d');
    this.conv1 = this.module('conv1', new Conv2d(3, 16, 3, { padding: 1 }));
    this.conv2 = this.module('conv2', new Conv2d(16, 32, 3, { padding: 1 }));
    this.fc = this.module('fc', new Linear(flat(c), CLASSES));
  }

  /** Shape: (N, 3, S, S) -> (N, 10) */
  forward(x: Tensor): Tensor {
    const maxPool2d = op('maxPool2d');
    return tidy(() => {
      const h1 = maxPool2d(relu(this.conv1.forward(x)), 2);
      const h2 = maxPool2d(relu(this.conv2.forward(h1)), 2);
      return this.fc.forward(reshape(h2, [x.shape[0], h2.size / x.shape[0]]));
    });
  }
}

/** One-hot labels (N, 10), the same on both sides. */
function oneHot(c: CnnCase): Float32Array {
  const labels = hostData([c.n], 7, 0, CLASSES);
  const out = new Float32Array(c.n * CLASSES);
  labels.forEach((l, i) => (out[i * CLASSES + Math.floor(l)] = 1));
  return out;
}

function stepFlops(c: CnnCase): number {
  const conv1 = 2 * c.n * c.size * c.size * 16 * 3 * 9;
  const conv2 = 2 * c.n * (c.size / 2) ** 2 * 32 * 16 * 9;
  const dense = 2 * c.n * flat(c) * CLASSES;
  return 2 * conv1 + 3 * conv2 + 3 * dense;
}

const GRID: readonly GridEntry<CnnCase>[] = [
  { n: 8, size: 64 },
  { n: 2, size: 16, quickOnly: true },
];

export const cnnTrainStepBench = defineBench<CnnCase>({
  kernel: 'cnnTrainStep',
  requires: ['nn.Conv2d', 'maxPool2d', 'logSoftmax', 'Adam'],
  grid: GRID,
  shape: (c) => `${c.n}x3x${c.size}x${c.size} conv16-pool-conv32-pool-fc10 Adam`,
  work: (c) => ({ flops: stepFlops(c) }),
  setup: (c) => {
    const model = new SmallCnn(c);
    const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
    const x = oursRandom([c.n, 3, c.size, c.size], 1);
    const y = tensor(oneHot(c), [c.n, CLASSES]);
    return {
      run: () => {
        const logits = model.forward(x);
        const loss = neg(mean(sum(mul(y, logSoftmax(logits, -1)), -1)));
        backward(loss);
        optimizer.step();
        optimizer.zeroGrad();
      },
      dispose: () => {
        optimizer.dispose();
        model.dispose();
        x.dispose();
        y.dispose();
      },
    };
  },
  peer: {
    name: 'conv2d/maxPool/matMul, softmaxCrossEntropy, adam.minimize',
    setup: (c, tf) => peerStep(c, tf),
  },
});

function peerStep(c: CnnCase, tf: Tf) {
  const x = peerRandomPermuted(tf, [c.n, 3, c.size, c.size], 1, NHWC) as Tensor4D;
  const y = tf.tensor2d(oneHot(c), [c.n, CLASSES]);
  const param = <R extends Rank>(make: () => TfTensor<R>) => tf.tidy(() => tf.variable(make()));
  const w1 = param(() => peerRandomPermuted(tf, [16, 3, 3, 3], 2, HWIO, -0.19, 0.19) as Tensor4D);
  const b1 = param(() => tf.zeros([16]));
  const w2 = param(() => peerRandomPermuted(tf, [32, 16, 3, 3], 3, HWIO, -0.08, 0.08) as Tensor4D);
  const b2 = param(() => tf.zeros([32]));
  const wd = param(() => peerRandom(tf, [flat(c), CLASSES], 4, -0.01, 0.01) as Tensor2D);
  const bd = param(() => tf.zeros([CLASSES]));
  const optimizer = tf.train.adam(1e-3);
  const loss = () => {
    const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, w1, 1, 'same'), b1)) as Tensor4D, 2, 2, 'valid');
    const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, w2, 1, 'same'), b2)) as Tensor4D, 2, 2, 'valid');
    const logits = tf.add(tf.matMul(tf.reshape(h2, [c.n, flat(c)]), wd), bd);
    return tf.losses.softmaxCrossEntropy(y, logits);
  };
  return {
    run: () => {
      optimizer.minimize(loss as () => Scalar);
    },
    dispose: () => {
      optimizer.dispose();
      tf.dispose([x, y, w1, b1, w2, b2, wd, bd]);
    },
  };
}
