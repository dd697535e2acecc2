/**
 * conv2d forward and both backwards at ResNet50's layer shapes (torchvision, 224x224 input): the
 * stem 7x7/2, the 1x1 reduce, 3x3 and 1x1 expand convs of each stage, the layer2 downsample 1x1/2,
 * plus the peer's reference conv 8x32x32x64 -> 64 3x3 'same'. The full grid runs batch 2 at
 * 224x224 so it fits this 2-core CPU; the quick grid uses a few small stand-ins. No bias (ResNet's
 * convs are followed by batch norm); dilation 1.
 * Backwards: `backward` of a recorded forward with only x (input) or only w (weight) requiring
 * grad, retaining the graph; the gradient of the previous run is dropped before each run.
 * Peer (NHWC, filters (KH, KW, C_in, C_out), transposed in setup): tf.conv2d; Conv2DBackpropInput
 * (tf.conv2dTranspose); the Conv2DBackpropFilter kernel.
 * FLOPs of each pass: 2 N C_out OH OW C_in KH KW.
 */
import { backward, chooseVariant, type Tensor } from '@fusion/tensor';
import { defineBench, type GridEntry, type KernelBench, type Prepared } from '../src/declare.js';
import { oursParam, oursRandom, peerRandomPermuted, NHWC, HWIO } from '../src/data.js';
import { op } from '../src/ops.js';
import type { Tf } from '../src/peer.js';
import type { Tensor4D } from '@tensorflow/tfjs';

export interface ConvCase {
  /** Layer name, e.g. 'layer1.conv2'. */
  name: string;
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
}

type Pass = 'forward' | 'input' | 'weight';

const layer = (name: string, n: number, cin: number, h: number, cout: number, k: number, stride = 1, pad = 0): ConvCase =>
  ({ name, n, cin, h, w: h, cout, k, stride, pad });

/**
 * Batch 2 at 224x224. Per stage, the convs of its repeated Bottleneck blocks (torchvision v1.5:
 * 1x1 reduce from 4c, 3x3 at c, 1x1 expand to 4c); the downsample is layer2's first block's.
 */
const B = 2;
export const CONV_GRID: readonly GridEntry<ConvCase>[] = [
  layer('stem', B, 3, 224, 64, 7, 2, 3),
  layer('layer1.conv1', B, 256, 56, 64, 1),
  layer('layer1.conv2', B, 64, 56, 64, 3, 1, 1),
  layer('layer1.conv3', B, 64, 56, 256, 1),
  layer('layer2.conv1', B, 512, 28, 128, 1),
  layer('layer2.conv2', B, 128, 28, 128, 3, 1, 1),
  layer('layer2.conv3', B, 128, 28, 512, 1),
  layer('layer2.0.downsample', B, 256, 56, 512, 1, 2, 0),
  layer('layer3.conv1', B, 1024, 14, 256, 1),
  layer('layer3.conv2', B, 256, 14, 256, 3, 1, 1),
  layer('layer3.conv3', B, 256, 14, 1024, 1),
  layer('layer4.conv1', B, 2048, 7, 512, 1),
  layer('layer4.conv2', B, 512, 7, 512, 3, 1, 1),
  layer('layer4.conv3', B, 512, 7, 2048, 1),
  layer('tfjs-reference', 8, 64, 32, 64, 3, 1, 1),
  // the GPU target's shape (issue 12: conv2d 3x3 f32 8x256x64x64 against cuDNN)
  { ...layer('gpu-target', 8, 256, 64, 256, 3, 1, 1), gpuOnly: true },
  { ...layer('stem (small)', 1, 3, 32, 16, 7, 2, 3), quickOnly: true },
  { ...layer('3x3 (small)', 1, 32, 14, 32, 3, 1, 1), quickOnly: true },
  { ...layer('downsample (small)', 1, 64, 14, 128, 1, 2, 0), quickOnly: true },
];

export const outSize = (c: ConvCase) => ({ oh: Math.floor((c.h + 2 * c.pad - c.k) / c.stride) + 1, ow: Math.floor((c.w + 2 * c.pad - c.k) / c.stride) + 1 });

const convShape = (c: ConvCase) => `${c.name} ${c.n}x${c.cin}x${c.h}x${c.w} k${c.k} s${c.stride} p${c.pad} -> ${c.cout}`;

const convFlops = (c: ConvCase) => {
  const { oh, ow } = outSize(c);
  return 2 * c.n * c.cout * oh * ow * c.cin * c.k * c.k;
};

function oursCase(c: ConvCase, pass: Pass): Prepared {
  const conv2d = op('conv2d');
  const options = { stride: c.stride, padding: c.pad, dilation: 1 };
  const { oh, ow } = outSize(c);
  const x = pass === 'input' ? oursParam([c.n, c.cin, c.h, c.w], 1) : oursRandom([c.n, c.cin, c.h, c.w], 1);
  const w = pass === 'weight' ? oursParam([c.cout, c.cin, c.k, c.k], 2, -0.1, 0.1) : oursRandom([c.cout, c.cin, c.k, c.k], 2, -0.1, 0.1);
  if (pass === 'forward') {
    return { run: () => conv2d(x, w, null, options), dispose: () => { x.dispose(); w.dispose(); } };
  }
  const y = conv2d(x, w, null, options);
  const dy = oursRandom([c.n, c.cout, oh, ow], 3);
  const leaf: Tensor = pass === 'input' ? x : w;
  return {
    reset: () => {
      leaf.grad?.dispose();
      leaf.grad = null;
    },
    run: () => backward(y, { grad: dy, retainGraph: true }),
    dispose: () => {
      for (const t of [y, dy, x, w]) t.dispose();
    },
  };
}

/** The GEMM entry point the pass runs (the variant table's choice for its product; a 1x1 stride-1 forward is a batched matmul). */
function gemmVariant(c: ConvCase, pass: Pass): string {
  const { oh, ow } = outSize(c);
  if (pass === 'forward' && c.k === 1 && c.stride === 1 && c.pad === 0) return chooseVariant('gemm', c.cout, c.h * c.w, c.cin, c.n).variant;
  if (pass === 'forward') return chooseVariant('gemm', c.cout, c.n * oh * ow, c.cin * c.k * c.k).variant;
  if (pass === 'input') return chooseVariant('gemm', c.cin, c.n * c.h * c.w, c.cout * c.k * c.k).variant;
  return chooseVariant('gemm', c.cout, c.cin * c.k * c.k, c.n * oh * ow).variant;
}

function peerCase(c: ConvCase, pass: Pass, tf: Tf): Prepared {
  const { oh, ow } = outSize(c);
  const strides: [number, number] = [c.stride, c.stride];
  const x = peerRandomPermuted(tf, [c.n, c.cin, c.h, c.w], 1, NHWC) as Tensor4D;
  const f = peerRandomPermuted(tf, [c.cout, c.cin, c.k, c.k], 2, HWIO, -0.1, 0.1) as Tensor4D;
  const dy = peerRandomPermuted(tf, [c.n, c.cout, oh, ow], 3, NHWC) as Tensor4D;
  const dispose = () => tf.dispose([x, f, dy]);
  switch (pass) {
    case 'forward':
      return { run: () => tf.conv2d(x, f, strides, c.pad, 'NHWC'), dispose };
    case 'input':
      return { run: () => tf.conv2dTranspose(dy, f, [c.n, c.h, c.w, c.cin], strides, c.pad), dispose };
    case 'weight':
      return {
        run: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [c.k, c.k, c.cin, c.cout] } as never),
        dispose,
      };
  }
}

const PEER_NAMES: Record<Pass, string> = { forward: 'tf.conv2d', input: 'tf.conv2dTranspose (Conv2DBackpropInput)', weight: 'Conv2DBackpropFilter' };

function convBench(kernel: string, pass: Pass): KernelBench {
  return defineBench<ConvCase>({
    kernel,
    note: `${kernel}: ResNet50's layers at batch 2 with a 224x224 input (the batch chosen so the full grid fits a 2-core CPU), plus TF.js's reference conv at batch 8`,
    requires: ['conv2d'],
    grid: CONV_GRID,
    shape: convShape,
    variant: (c) => gemmVariant(c, pass),
    work: (c) => ({ flops: convFlops(c) }),
    setup: (c) => oursCase(c, pass),
    peer: { name: PEER_NAMES[pass], setup: (c, tf) => peerCase(c, pass, tf) },
  });
}

export const conv2dBench = convBench('conv2d', 'forward');
export const conv2dBackwardInputBench = convBench('conv2dBackwardInput', 'input');
export const conv2dBackwardWeightBench = convBench('conv2dBackwardWeight', 'weight');
