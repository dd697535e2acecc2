/**
 * The remaining layers of the study's networks, forward and forward+backward (both sides time the
 * same thing: TF.js's gradients need the forward in the same tape): max pooling (ResNet's stem
 * pool), average pooling, embedding (BERT's word table), nearest and bilinear 2x upsampling (the
 * decoder), dropout and tanh (BERT's pooler). Memory-bound: the work is bytes read + written.
 * The peer runs NHWC tensors of the same sizes (values do not change the timing).
 */
import {
  maxPool2d, avgPool2d, embedding, upsample2x, dropout, tanh, backward, tensor, Generator, tidy,
} from '@fusion/tensor';
import { defineBench, f32Bytes, prod } from '../src/declare.js';
import { oursParam, oursRandom, peerRandom } from '../src/data.js';
import type { Tf } from '../src/peer.js';

const nhwc = (s: readonly number[]) => [s[0], s[2], s[3], s[1]];

interface PoolCase { shape: [number, number, number, number]; k: number; s: number; p: number; backward?: boolean }
const poolShape = (c: PoolCase) => `${c.shape.join('x')} k${c.k} s${c.s} p${c.p}`;
const pooledSize = (c: PoolCase) => c.shape[0] * c.shape[1] * Math.floor((c.shape[2] + 2 * c.p - c.k) / c.s + 1) ** 2;

export const maxPool2dBench = defineBench<PoolCase>({
  kernel: 'maxPool2d',
  requires: ['maxPool2d'],
  grid: [
    { shape: [2, 64, 112, 112], k: 3, s: 2, p: 1 },
    { shape: [2, 64, 112, 112], k: 3, s: 2, p: 1, backward: true },
    { shape: [2, 16, 32, 32], k: 3, s: 2, p: 1, quickOnly: true },
  ],
  shape: poolShape,
  variant: (c) => (c.backward ? 'fwd+bwd' : 'default'),
  work: (c) => ({ bytes: f32Bytes(prod(c.shape) * (c.backward ? 2 : 1) + pooledSize(c) * (c.backward ? 2 : 1)) }),
  setup: (c) => {
    const x = c.backward ? oursParam(c.shape, 1) : oursRandom(c.shape, 1);
    return {
      reset: () => {
        x.grad?.dispose();
        x.grad = null;
      },
      run: () => {
        const y = maxPool2d(x, c.k, { stride: c.s, padding: c.p });
        if (c.backward) backward(y.sum());
      },
      dispose: () => x.dispose(),
    };
  },
  peer: {
    name: "tf.maxPool (NHWC, 'same'); fwd+bwd: tf.grad",
    setup: (c, tf) => {
      const x = peerRandom(tf, nhwc(c.shape), 1);
      const f = (t: ReturnType<Tf['tensor']>) => tf.maxPool(t as never, c.k, c.s, 'same');
      const g = tf.grad((t) => tf.sum(f(t as never)));
      return { run: () => (c.backward ? g(x) : f(x)), dispose: () => x.dispose() };
    },
  },
});

export const avgPool2dBench = defineBench<PoolCase>({
  kernel: 'avgPool2d',
  requires: ['avgPool2d'],
  grid: [
    { shape: [2, 256, 56, 56], k: 2, s: 2, p: 0 },
    { shape: [2, 16, 32, 32], k: 2, s: 2, p: 0, quickOnly: true },
  ],
  shape: poolShape,
  work: (c) => ({ bytes: f32Bytes(prod(c.shape) + pooledSize(c)) }),
  setup: (c) => {
    const x = oursRandom(c.shape, 2);
    return { run: () => avgPool2d(x, c.k, { stride: c.s, padding: c.p }), dispose: () => x.dispose() };
  },
  peer: {
    name: "tf.avgPool (NHWC, 'valid')",
    setup: (c, tf) => {
      const x = peerRandom(tf, nhwc(c.shape), 2);
      return { run: () => tf.avgPool(x as never, c.k, c.s, 'valid'), dispose: () => x.dispose() };
    },
  },
});

interface EmbeddingCase { vocab: number; dim: number; ids: [number, number]; backward?: boolean }

export const embeddingBench = defineBench<EmbeddingCase>({
  kernel: 'embedding',
  requires: ['embedding'],
  grid: [
    { vocab: 30522, dim: 768, ids: [8, 128] },
    { vocab: 30522, dim: 768, ids: [8, 128], backward: true },
    { vocab: 4489, dim: 32, ids: [32, 16], quickOnly: true },
  ],
  shape: (c) => `${c.ids.join('x')} ids into ${c.vocab}x${c.dim}`,
  variant: (c) => (c.backward ? 'fwd+bwd' : 'default'),
  // Gather: ids + rows read + rows written; the backward also writes the dense (V, D) gradient.
  work: (c) => ({ bytes: f32Bytes(prod(c.ids) * (1 + 2 * c.dim) + (c.backward ? c.vocab * c.dim + prod(c.ids) * c.dim : 0)) }),
  setup: (c) => {
    const ids = tensor(Int32Array.from({ length: prod(c.ids) }, (_, i) => (i * 7919) % c.vocab), c.ids, 'i32');
    const w = c.backward ? oursParam([c.vocab, c.dim], 3) : oursRandom([c.vocab, c.dim], 3);
    return {
      reset: () => {
        w.grad?.dispose();
        w.grad = null;
      },
      run: () => {
        const y = embedding(ids, w);
        if (c.backward) backward(y.sum());
      },
      dispose: () => [ids, w].forEach((t) => t.dispose()),
    };
  },
  peer: {
    name: 'tf.gather; fwd+bwd: tf.grad (unsortedSegmentSum)',
    setup: (c, tf) => {
      const ids = tf.tensor(Int32Array.from({ length: prod(c.ids) }, (_, i) => (i * 7919) % c.vocab), [...c.ids], 'int32');
      const w = peerRandom(tf, [c.vocab, c.dim], 3);
      const g = tf.grad((t) => tf.sum(tf.gather(t as never, ids)));
      return { run: () => (c.backward ? g(w) : tf.gather(w, ids)), dispose: () => tf.dispose([ids, w]) };
    },
  },
});

interface UpsampleCase { shape: [number, number, number, number]; mode: 'nearest' | 'bilinear'; backward?: boolean }

export const upsample2xBench = defineBench<UpsampleCase>({
  kernel: 'upsample2x',
  requires: ['upsample2x'],
  grid: [
    { shape: [8, 64, 28, 28], mode: 'nearest' },
    { shape: [8, 64, 28, 28], mode: 'bilinear' },
    { shape: [8, 64, 28, 28], mode: 'nearest', backward: true },
    { shape: [8, 64, 28, 28], mode: 'bilinear', backward: true },
    { shape: [4, 16, 16, 16], mode: 'bilinear', quickOnly: true },
  ],
  shape: (c) => `${c.shape.join('x')} ${c.mode}`,
  variant: (c) => (c.backward ? 'fwd+bwd' : 'default'),
  work: (c) => ({ bytes: f32Bytes(prod(c.shape) * 5 * (c.backward ? 2 : 1)) }),
  setup: (c) => {
    const x = c.backward ? oursParam(c.shape, 4) : oursRandom(c.shape, 4);
    return {
      reset: () => {
        x.grad?.dispose();
        x.grad = null;
      },
      run: () => {
        const y = upsample2x(x, c.mode);
        if (c.backward) backward(y.sum());
      },
      dispose: () => x.dispose(),
    };
  },
  peer: {
    name: 'tf.image.resizeNearestNeighbor / resizeBilinear (NHWC, half-pixel centers); fwd+bwd: tf.grad',
    setup: (c, tf) => {
      const x = peerRandom(tf, nhwc(c.shape), 4);
      const size: [number, number] = [2 * c.shape[2], 2 * c.shape[3]];
      const f = (t: ReturnType<Tf['tensor']>) =>
        c.mode === 'nearest' ? tf.image.resizeNearestNeighbor(t as never, size, false, true) : tf.image.resizeBilinear(t as never, size, false, true);
      const g = tf.grad((t) => tf.sum(f(t as never)));
      return { run: () => (c.backward ? g(x) : f(x)), dispose: () => x.dispose() };
    },
  },
});

export const dropoutBench = defineBench<{ shape: number[] }>({
  kernel: 'dropout',
  requires: ['dropout'],
  grid: [{ shape: [8, 256, 1024] }, { shape: [2, 32, 256], quickOnly: true }],
  shape: (c) => `${c.shape.join('x')} p 0.1`,
  work: (c) => ({ bytes: 2 * f32Bytes(prod(c.shape)) }),
  setup: (c) => {
    const x = oursRandom(c.shape, 5);
    const g = new Generator(5);
    return { run: () => tidy(() => dropout(x, 0.1, true, g)), dispose: () => x.dispose() };
  },
  peer: {
    name: 'tf.dropout',
    setup: (c, tf) => {
      const x = peerRandom(tf, c.shape, 5);
      return { run: () => tf.dropout(x, 0.1), dispose: () => x.dispose() };
    },
  },
});

export const tanhBench = defineBench<{ shape: number[] }>({
  kernel: 'tanh',
  requires: ['tanh'],
  grid: [{ shape: [8, 256, 1024] }, { shape: [2, 32, 256], quickOnly: true }],
  shape: (c) => c.shape.join('x'),
  work: (c) => ({ bytes: 2 * f32Bytes(prod(c.shape)) }),
  setup: (c) => {
    const x = oursRandom(c.shape, 6, -3, 3);
    return { run: () => tanh(x), dispose: () => x.dispose() };
  },
  peer: {
    name: 'tf.tanh',
    setup: (c, tf) => {
      const x = peerRandom(tf, c.shape, 6, -3, 3);
      return { run: () => tf.tanh(x), dispose: () => x.dispose() };
    },
  },
});
