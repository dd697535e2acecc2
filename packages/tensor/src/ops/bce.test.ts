import { beforeAll, describe, expect, it } from 'vitest';
import { bceWithLogitsReference } from '@fusion/kernels';
import { init, tensor, bceWithLogits, backward, transpose, tidy, Tensor } from '../index.js';
import { assertClose, gradcheck, randomArray } from '../testing.js';

beforeAll(async () => {
  await init();
});

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** pos_weight broadcast to `shape` on the host (trailing-dims broadcasting). */
function broadcastHost(pw: Float32Array, pwShape: number[], shape: number[]): Float64Array {
  const out = new Float64Array(numel(shape));
  const shift = shape.length - pwShape.length;
  for (let i = 0; i < out.length; i++) {
    let rem = i;
    let idx = 0;
    let stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const coord = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      const k = d - shift;
      if (k >= 0) {
        if (pwShape[k] !== 1) idx += coord * stride;
        stride *= pwShape[k];
      }
    }
    out[i] = pw[idx];
  }
  return out;
}

function sumOf(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

describe('bceWithLogits', () => {
  it.each(['none', 'sum', 'mean'] as const)('reduction %s: loss and gradient against float64 (soft targets)', async (reduction) => {
    const shape = [3, 5, 7];
    const xs = randomArray(105, 1, -6, 6);
    const ys = randomArray(105, 2, 0, 1);
    const x = tensor(xs, shape);
    x.requiresGrad = true;
    const y = tensor(ys, shape);
    const loss = bceWithLogits(x, y, { reduction });
    const ref = bceWithLogitsReference(xs, ys);
    const n = xs.length;
    if (reduction === 'none') {
      expect(loss.shape).toEqual(shape);
      assertClose(await loss.toArray(), ref.loss, { rtol: 1e-5, atol: 1e-6 }, 'loss');
      const gs = randomArray(n, 3);
      backward(loss, { grad: tensor(gs, shape) });
      assertClose(await x.grad!.toArray(), ref.grad.map((v, i) => v * gs[i]), { rtol: 1e-5, atol: 1e-6 }, 'dx');
    } else {
      expect(loss.shape).toEqual([]);
      const scale = reduction === 'mean' ? 1 / n : 1;
      expect(await loss.item()).toBeCloseTo(sumOf(ref.loss) * scale, 4);
      backward(loss, { grad: tensor([1.5], []) });
      assertClose(await x.grad!.toArray(), ref.grad.map((v) => v * scale * 1.5), { rtol: 1e-5, atol: 1e-7 }, 'dx');
    }
    for (const t of [x, y, loss]) t.dispose();
  });

  it.each([
    // [logits shape, pos_weight shape] (the last uses a materialised copy: non-adjacent dims)
    [[4, 6], [6]],
    [[2, 3, 4, 5], [3, 1, 1]],
    [[2, 3, 4, 5], [1]],
    [[2, 3, 4, 5], [2, 3, 4, 5]],
    [[2, 3, 4, 5], [3, 1, 5]],
  ])('logits %j with a pos_weight tensor %j', async (shape, pwShape) => {
    const n = numel(shape);
    const xs = randomArray(n, 4, -5, 5);
    const ys = randomArray(n, 5, 0, 1).map((v) => (v < 0.4 ? 0 : v > 0.7 ? 1 : v));
    const pws = randomArray(numel(pwShape), 6, 0.5, 4);
    const x = tensor(xs, shape);
    x.requiresGrad = true;
    const y = tensor(ys, shape);
    const pw = tensor(pws, pwShape);
    const loss = bceWithLogits(x, y, { posWeight: pw, reduction: 'none' });
    const ref = bceWithLogitsReference(xs, ys, broadcastHost(pws, pwShape, shape));
    assertClose(await loss.toArray(), ref.loss, { rtol: 1e-5, atol: 1e-6 }, 'loss');
    backward(loss, { grad: tensor(new Float32Array(n).fill(1), shape) });
    assertClose(await x.grad!.toArray(), ref.grad, { rtol: 1e-5, atol: 1e-6 }, 'dx');
    for (const t of [x, y, pw, loss]) t.dispose();
  });

  it('is finite and exact at extreme logits (|x| = 20, 100, 1e4), with and without pos_weight', async () => {
    const logits = [-1e4, -100, -20, -1e-3, 0, 1e-3, 20, 100, 1e4];
    const targets = [0, 0.3, 1];
    const xs = new Float32Array(logits.flatMap((v) => targets.map(() => v)));
    const ys = new Float32Array(logits.flatMap(() => targets));
    for (const posWeight of [1, 3]) {
      const x = tensor(xs, [xs.length]);
      x.requiresGrad = true;
      const y = tensor(ys, [ys.length]);
      const loss = bceWithLogits(x, y, { posWeight, reduction: 'none' });
      backward(loss, { grad: tensor(new Float32Array(xs.length).fill(1), [xs.length]) });
      const got = await loss.toArray();
      const grad = await x.grad!.toArray();
      expect(got.every(Number.isFinite)).toBe(true);
      expect(grad.every(Number.isFinite)).toBe(true);
      const ref = bceWithLogitsReference(xs, ys, posWeight);
      assertClose(got, ref.loss, { rtol: 1e-6, atol: 1e-7 }, `loss (pos_weight ${posWeight})`);
      assertClose(grad, ref.grad, { rtol: 1e-6, atol: 1e-7 }, `gradient (pos_weight ${posWeight})`);
      for (const t of [x, y, loss]) t.dispose();
    }
  });

  it('keeps relative accuracy where the loss is tiny (x = 15, y = 1: loss = log1p(exp(-15)))', async () => {
    const x = tensor([15, 30, -15], [3]);
    const y = tensor([1, 1, 0], [3]);
    const loss = bceWithLogits(x, y, { reduction: 'none' });
    const ref = bceWithLogitsReference([15, 30, -15], [1, 1, 0]).loss;
    assertClose(await loss.toArray(), ref, { rtol: 1e-5, atol: 0 }, 'tiny losses');
    for (const t of [x, y, loss]) t.dispose();
  });

  it('finite differences at moderate logits, with and without pos_weight', async () => {
    const ys = tensor(randomArray(12, 7, 0, 1), [3, 4]);
    const pw = tensor(randomArray(4, 8, 0.5, 3), [4]);
    const xs = { data: randomArray(12, 9, -3, 3), shape: [3, 4] };
    await gradcheck((x: Tensor) => bceWithLogits(x, ys), [xs]);
    await gradcheck((x: Tensor) => bceWithLogits(x, ys, { posWeight: pw, reduction: 'sum' }), [xs]);
    await gradcheck((x: Tensor) => bceWithLogits(x, ys, { posWeight: 2.5, reduction: 'none' }), [xs]);
    await gradcheck((x: Tensor) => bceWithLogits(transpose(x), transpose(ys)), [xs]);
    ys.dispose();
    pw.dispose();
  });

  it('empty inputs: the sum is 0, the mean NaN (as PyTorch)', async () => {
    const x = tensor(new Float32Array(0), [0, 3]);
    const y = tensor(new Float32Array(0), [0, 3]);
    const s = bceWithLogits(x, y, { reduction: 'sum' });
    const m = bceWithLogits(x, y);
    expect(await s.item()).toBe(0);
    expect(Number.isNaN(await m.item())).toBe(true);
    for (const t of [x, y, s, m]) t.dispose();
  });

  it('names both shapes in its errors', () => tidy(() => {
    const x = Tensor.empty([2, 3]);
    expect(() => bceWithLogits(x, Tensor.empty([3, 2]))).toThrow(/targets \[3, 2\] must have the shape of logits \[2, 3\]/);
    expect(() => bceWithLogits(x, Tensor.empty([2, 3], 'i32'))).toThrow(/targets.*expected a f32 tensor, got i32/);
    expect(() => bceWithLogits(x, Tensor.empty([2, 3]), { posWeight: Tensor.empty([2]) })).toThrow(/\[2\] and \[2, 3\] cannot be broadcast/);
    expect(() => bceWithLogits(x, Tensor.empty([2, 3]), { posWeight: Tensor.empty([4, 2, 3]) })).toThrow(/posWeight \[4, 2, 3\] does not broadcast to logits \[2, 3\]/);
  }));
});
