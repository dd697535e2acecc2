import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormReference, layerNormReference } from '@fusion/kernels';
import {
  init, nn, tensor, tidy, memory, manualSeed, Adam, Module, Tensor, outer, reshape, upsample2x, bceWithLogits, mean,
} from '../index.js';
import { assertClose, hostRng, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

describe('nn.BatchNorm2d', () => {
  it('registers torchvision names; num_batches_tracked is an i32 scalar', () => {
    const bn = new nn.BatchNorm2d(4);
    expect(bn.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [4]], ['bias', [4]]]);
    expect(bn.namedBuffers().map(([n, b]) => [n, b.shape, b.dtype])).toEqual([
      ['running_mean', [4], 'f32'], ['running_var', [4], 'f32'], ['num_batches_tracked', [], 'i32'],
    ]);
    const bare = new nn.BatchNorm2d(4, { affine: false, trackRunningStats: false });
    expect(bare.namedParameters()).toEqual([]);
    expect(bare.namedBuffers()).toEqual([]);
    bn.dispose();
    bare.dispose();
  });

  it('training updates the running statistics and counts batches; eval reads them', async () => {
    const [N, C, H, W] = [3, 4, 5, 6];
    const bn = new nn.BatchNorm2d(C, { momentum: 0.2, eps: 1e-4 });
    const runningMean = new Float64Array(C);
    const runningVar = new Float64Array(C).fill(1);
    for (let step = 0; step < 2; step++) {
      const xs = randomArray(N * C * H * W, step + 1, -2, 4);
      const x = tensor(xs, [N, C, H, W]);
      const y = bn.forward(x);
      const ref = batchNormReference(xs, N, C, H * W, null, null, { training: true, eps: 1e-4, momentum: 0.2, runningMean, runningVar });
      assertClose(await y.toArray(), ref.y, { rtol: 1e-4, atol: 1e-4 }, `training output, step ${step}`);
      x.dispose();
      y.dispose();
    }
    assertClose(await bn.runningMean!.toArray(), runningMean, { rtol: 1e-5, atol: 1e-6 }, 'running_mean');
    assertClose(await bn.runningVar!.toArray(), runningVar, { rtol: 1e-5, atol: 1e-6 }, 'running_var');
    expect(Array.from(await bn.numBatchesTracked!.toArray())).toEqual([2]);
    bn.eval();
    const xs = randomArray(N * C * H * W, 9);
    const x = tensor(xs, [N, C, H, W]);
    const y = bn.forward(x);
    const ref = batchNormReference(xs, N, C, H * W, null, null, { training: false, eps: 1e-4, momentum: 0.2, runningMean, runningVar });
    assertClose(await y.toArray(), ref.y, { rtol: 1e-4, atol: 1e-4 }, 'eval output');
    expect(Array.from(await bn.numBatchesTracked!.toArray())).toEqual([2]);
    for (const t of [x, y]) t.dispose();
    bn.dispose();
  });

  it('without running statistics, eval mode normalises with the batch statistics', async () => {
    const bn = new nn.BatchNorm2d(2, { trackRunningStats: false }).eval();
    const xs = randomArray(2 * 2 * 3 * 3, 3);
    const x = tensor(xs, [2, 2, 3, 3]);
    const y = bn.forward(x);
    assertClose(await y.toArray(), batchNormReference(xs, 2, 2, 9, null, null, { training: true, eps: 1e-5, momentum: 0.1 }).y, { rtol: 1e-4, atol: 1e-4 }, 'batch statistics');
    for (const t of [x, y]) t.dispose();
    bn.dispose();
  });

  it('loads a torchvision-style state dict strictly, num_batches_tracked included', async () => {
    const bn = new nn.BatchNorm2d(3);
    bn.loadStateDict({
      weight: { shape: [3], data: new Float32Array([1, 2, 3]) },
      bias: { shape: [3], data: new Float32Array([0.5, 0, -0.5]) },
      running_mean: { shape: [3], data: new Float32Array([0.1, 0.2, 0.3]) },
      running_var: { shape: [3], data: new Float32Array([1, 4, 9]) },
      num_batches_tracked: { shape: [], data: new Int32Array([12345]) },
    });
    expect(Array.from(await bn.numBatchesTracked!.toArray())).toEqual([12345]);
    bn.eval();
    const x = tensor(new Float32Array(3 * 4).fill(1), [1, 3, 2, 2]);
    const y = bn.forward(x);
    const expected = [0, 1, 2].flatMap((c) => Array(4).fill(((1 - [0.1, 0.2, 0.3][c]) / Math.sqrt([1, 4, 9][c] + 1e-5)) * [1, 2, 3][c] + [0.5, 0, -0.5][c]));
    assertClose(await y.toArray(), expected, { rtol: 1e-5, atol: 1e-6 }, 'loaded statistics');
    expect(() => bn.forward(Tensor.empty([1, 4, 2, 2]))).toThrow(/BatchNorm2d\(3\): expected input \(N, 3, H, W\), got \[1, 4, 2, 2\]/);
    for (const t of [x, y]) t.dispose();
    bn.dispose();
  });
});

describe('nn.LayerNorm', () => {
  it('registers weight (ones) and bias (zeros) and normalises with its eps', async () => {
    const ln = new nn.LayerNorm(6, { eps: 1e-12 });
    expect(ln.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [6]], ['bias', [6]]]);
    expect(Array.from(await ln.weight!.toArray())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(await ln.bias!.toArray())).toEqual([0, 0, 0, 0, 0, 0]);
    const xs = randomArray(4 * 6, 1);
    const x = tensor(xs, [2, 2, 6]);
    const y = ln.forward(x);
    assertClose(await y.toArray(), layerNormReference(xs, 4, 6, null, null, 1e-12).y, { rtol: 1e-4, atol: 1e-5 }, 'y');
    expect(() => ln.forward(Tensor.empty([2, 5]))).toThrow(/LayerNorm\(6\): input \[2, 5\] must end in 6/);
    expect(new nn.LayerNorm(3, { elementwiseAffine: false }).namedParameters()).toEqual([]);
    for (const t of [x, y]) t.dispose();
    ln.dispose();
  });
});

describe('nn.Embedding', () => {
  it('initialises weight ~ N(0, 1) from the seed, and zeroes the padding row', async () => {
    manualSeed(5);
    const a = new nn.Embedding(300, 40);
    manualSeed(5);
    const b = new nn.Embedding(300, 40, { paddingIdx: 7 });
    expect(a.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [300, 40]]]);
    const wa = await a.weight.toArray();
    const wb = await b.weight.toArray();
    let s = 0;
    let q = 0;
    for (const v of wa) {
      s += v;
      q += v * v;
    }
    const m = s / wa.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(q / wa.length - m * m) - 1)).toBeLessThan(0.03);
    expect(Array.from(wb.slice(7 * 40, 8 * 40))).toEqual(new Array(40).fill(0));
    expect(Array.from(wb.slice(0, 7 * 40))).toEqual(Array.from(wa.slice(0, 7 * 40)));
    const ids = tensor(new Int32Array([7, 1]), [2]);
    const y = b.forward(ids);
    expect(Array.from((await y.toArray()).slice(0, 40))).toEqual(new Array(40).fill(0));
    for (const t of [ids, y]) t.dispose();
    a.dispose();
    b.dispose();
  });
});

/** A toy of the study's shape: tokens -> embedding -> layer norm -> outer fusion -> BN -> upsample -> BCE. */
class Toy extends Module {
  emb = this.module('emb', new nn.Embedding(20, 6));
  ln = this.module('ln', new nn.LayerNorm(6, { eps: 1e-12 }));
  bn = this.module('bn', new nn.BatchNorm2d(2));
  forward(ids: Tensor, image: Tensor): Tensor {
    return tidy(() => {
      const text = mean(this.ln.forward(this.emb.forward(ids)), 1); // (B, 6)
      const fused = reshape(outer(image, text), [ids.shape[0], 2, 3, 3]); // (B, 3) x (B, 6) -> (B, 3, 6) -> (B, 2, 3, 3)
      return upsample2x(this.bn.forward(fused), 'bilinear');
    });
  }
}

describe('training with the new ops', () => {
  it('lowers the loss and does not leak: live tensors and pooled bytes are flat', async () => {
    manualSeed(3);
    const model = new Toy();
    const opt = new Adam(model.parameters(), { lr: 0.05 });
    const r = hostRng(4);
    const ids = tensor(Int32Array.from({ length: 4 * 5 }, () => Math.floor(r() * 20)), [4, 5]);
    const image = tensor(randomArray(4 * 3, 5), [4, 3]);
    const target = tensor(randomArray(4 * 2 * 6 * 6, 6, 0, 1).map((v) => (v > 0.5 ? 1 : 0)), [4, 2, 6, 6]);
    const pw = tensor([2, 0.5], [2, 1, 1]);
    const step = async () => {
      const loss = tidy(() => {
        const l = bceWithLogits(model.forward(ids, image), target, { posWeight: pw });
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l;
      });
      const v = await loss.item();
      loss.dispose();
      return v;
    };
    const first = await step();
    for (let i = 0; i < 2; i++) await step();
    const before = memory();
    let last = first;
    for (let i = 0; i < 20; i++) last = await step();
    const after = memory();
    expect(last).toBeLessThan(first);
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.pooledBytes + after.liveBytes).toBe(before.pooledBytes + before.liveBytes);
    expect(Array.from(await model.bn.numBatchesTracked!.toArray())).toEqual([23]);
    opt.dispose();
    model.dispose();
    for (const t of [ids, image, target, pw]) t.dispose();
  });
});
