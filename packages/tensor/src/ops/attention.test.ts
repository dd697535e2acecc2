import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  attentionReference, attentionBackwardReference, attentionWeightsReference, ATTENTION_EMPTY_LSE, type AttentionDims,
} from '@fusion/kernels';
import {
  init, runtime, tensor, Tensor, tidy, memory, backward, matmul, transpose, permute, expand, reshape, softmax, mul, add, sub, attention, attentionWeights, setAttentionSplits, chooseVariant, forceVariant,
  applyTuning, shapeClass, hasSubgroupGemm, adapterFacts,
} from '../index.js';
import { attentionForward } from './attention.js';
import { assertClose, gradcheck, randomArray, runConstants } from '../testing.js';

beforeAll(async () => {
  await init();
});
afterAll(() => {
  forceVariant('attention', null);
  setAttentionSplits(null);
});

const FWD = { rtol: 1e-4, atol: 1e-5 };
const BWD = { rtol: 1e-3, atol: 1e-4 };

interface Case {
  dims: AttentionDims;
  seed: number;
  /** Padded keys per batch entry (a random subset of this many keys), or null for no mask. */
  padded: number[] | null;
}

interface HostData {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  mask: Float32Array | null;
  gradOut: Float32Array;
}

function hostData({ dims: g, seed, padded }: Case): HostData {
  const mask = padded && new Float32Array(g.batch * g.lenK).fill(1);
  if (mask && padded) {
    const pick = randomArray(g.batch * g.lenK, seed + 9);
    for (let b = 0; b < g.batch; b++) {
      const order = Array.from({ length: g.lenK }, (_, j) => j).sort((x, y) => pick[b * g.lenK + x] - pick[b * g.lenK + y]);
      for (const j of order.slice(0, padded[b])) mask[b * g.lenK + j] = 0;
    }
  }
  return {
    q: randomArray(g.batch * g.heads * g.lenQ * g.dim, seed, -2, 2),
    k: randomArray(g.batch * g.heads * g.lenK * g.dim, seed + 1, -2, 2),
    v: randomArray(g.batch * g.heads * g.lenK * g.dimV, seed + 2),
    mask,
    gradOut: randomArray(g.batch * g.heads * g.lenQ * g.dimV, seed + 3),
  };
}

function upload(g: AttentionDims, h: HostData) {
  return {
    q: tensor(h.q, [g.batch, g.heads, g.lenQ, g.dim]),
    k: tensor(h.k, [g.batch, g.heads, g.lenK, g.dim]),
    v: tensor(h.v, [g.batch, g.heads, g.lenK, g.dimV]),
    mask: h.mask && tensor(h.mask, [g.batch, g.lenK]),
    gradOut: tensor(h.gradOut, [g.batch, g.heads, g.lenQ, g.dimV]),
  };
}

const dims = (batch: number, heads: number, lenQ: number, lenK: number, dim: number, dimV: number): AttentionDims => ({ batch, heads, lenQ, lenK, dim, dimV });

const cases: [string, Case][] = [
  ['few queries, many keys', { dims: dims(2, 3, 5, 37, 7, 5), seed: 1, padded: null }],
  ['few queries, many keys, padded (batch 1 fully)', { dims: dims(2, 3, 5, 37, 7, 5), seed: 2, padded: [11, 37] }],
  ['many queries, few keys', { dims: dims(2, 3, 67, 9, 7, 5), seed: 3, padded: null }],
  ['many queries, few keys, padded', { dims: dims(2, 3, 67, 9, 7, 5), seed: 4, padded: [2, 8] }],
  ['size-1 dims', { dims: dims(1, 1, 1, 1, 1, 1), seed: 5, padded: null }],
  ['head dim 128, Dv 3', { dims: dims(1, 2, 19, 45, 128, 3), seed: 6, padded: [0] }],
  ['Dv 128', { dims: dims(1, 1, 3, 70, 2, 128), seed: 7, padded: [13] }],
  ['empty head dim D = 0 (uniform weights over the attended keys)', { dims: dims(2, 1, 3, 10, 0, 3), seed: 9, padded: [4, 0] }],
  ['empty value dim Dv = 0', { dims: dims(1, 2, 3, 10, 4, 0), seed: 10, padded: [4] }],
  ['three queries over 600 keys (split by default)', { dims: dims(1, 1, 3, 600, 5, 4), seed: 11, padded: [100] }],
];

async function checkForwardAndBackward(c: Case): Promise<void> {
  const g = c.dims;
  const h = hostData(c);
  const scale = 0.7 / Math.sqrt(Math.max(g.dim, 1));
  const t = upload(g, h);
  const ref = attentionReference(h.q, h.k, h.v, h.mask, g, scale);
  const { out, lse } = attentionForward(t.q, t.k, t.v, { keyPaddingMask: t.mask, scale });
  expect(out.shape).toEqual([g.batch, g.heads, g.lenQ, g.dimV]);
  assertClose(await out.toArray(), ref.out, FWD, 'attention output');
  assertClose(await lse.toArray(), ref.lse, FWD, 'attention lse');
  for (const x of [t.q, t.k, t.v]) x.requiresGrad = true;
  const y = attention(t.q, t.k, t.v, { keyPaddingMask: t.mask, scale });
  backward(y, { grad: t.gradOut });
  const grads = attentionBackwardReference(h.q, h.k, h.v, h.mask, h.gradOut, g, scale);
  assertClose(await t.q.grad!.toArray(), grads.dq, BWD, 'dQ');
  assertClose(await t.k.grad!.toArray(), grads.dk, BWD, 'dK');
  assertClose(await t.v.grad!.toArray(), grads.dv, BWD, 'dV');
  for (const x of [out, lse, y, t.q, t.k, t.v, t.mask, t.gradOut]) x?.dispose();
}

describe.each(['lines', 'tiled'] as const)('attention (%s kernels)', (strategy) => {
  beforeAll(() => {
    forceVariant('attention', strategy);
    forceVariant('attention-backward', 'fused');
  });
  afterAll(() => forceVariant('attention-backward', null));
  afterEach(() => setAttentionSplits(null));

  it.each(cases)('%s: forward, lse and backward against float64', async (_, c) => {
    await checkForwardAndBackward(c);
  });

  it.each(cases.slice(0, 4))('%s, split in 4 (partials merged)', async (_, c) => {
    setAttentionSplits(4);
    await checkForwardAndBackward(c);
  });

  it('more splits than positions, and every position its own split', async () => {
    setAttentionSplits(50);
    await checkForwardAndBackward({ dims: dims(1, 2, 6, 5, 7, 5), seed: 8, padded: [1] });
  });

  it('finite differences (with a padding mask)', async () => {
    const mask = tensor([1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1], [2, 6]);
    await gradcheck((q: Tensor, k: Tensor, v: Tensor) => attention(q, k, v, { keyPaddingMask: mask }), [
      { data: randomArray(2 * 2 * 3 * 4, 11), shape: [2, 2, 3, 4] },
      { data: randomArray(2 * 2 * 6 * 4, 12), shape: [2, 2, 6, 4] },
      { data: randomArray(2 * 2 * 6 * 3, 13), shape: [2, 2, 6, 3] },
    ]);
    setAttentionSplits(2);
    await gradcheck((q: Tensor, k: Tensor, v: Tensor) => attention(q, k, v, { scale: 0.9 }), [
      { data: randomArray(1 * 2 * 7 * 4, 14), shape: [1, 2, 7, 4] },
      { data: randomArray(1 * 2 * 5 * 4, 15), shape: [1, 2, 5, 4] },
      { data: randomArray(1 * 2 * 5 * 3, 16), shape: [1, 2, 5, 3] },
    ]);
    mask.dispose();
  });
});

describe('attention backward through batched GEMMs (P recomputed and materialised)', () => {
  beforeAll(() => forceVariant('attention-backward', 'gemm'));
  afterAll(() => forceVariant('attention-backward', null));

  it.each(cases)('%s: backward against float64', async (_, c) => {
    await checkForwardAndBackward(c);
  });

  // Lk a multiple of 4: P and dS from the vec4 row kernels
  it.each([
    ['Lk 36, padded (batch 1 fully)', { dims: dims(2, 3, 13, 36, 8, 12), seed: 91, padded: [11, 36] }],
    ['Lk 8, odd head dims, no mask', { dims: dims(2, 2, 7, 8, 5, 3), seed: 92, padded: null }],
  ] as [string, Case][])('%s: backward against float64', async (_, c) => {
    await checkForwardAndBackward(c);
  });

  it('finite differences (with a padding mask and a fully padded row)', async () => {
    const mask = tensor([1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0], [2, 6]);
    await gradcheck((q: Tensor, k: Tensor, v: Tensor) => attention(q, k, v, { keyPaddingMask: mask }), [
      { data: randomArray(2 * 2 * 3 * 4, 21), shape: [2, 2, 3, 4] },
      { data: randomArray(2 * 2 * 6 * 4, 22), shape: [2, 2, 6, 4] },
      { data: randomArray(2 * 2 * 6 * 3, 23), shape: [2, 2, 6, 3] },
    ]);
    mask.dispose();
  });

  it('is the default on CPU adapters for mid-sized problems (fused for small ones)', async () => {
    forceVariant('attention-backward', null);
    const used = async (B: number, Lq: number, Lk: number, D: number) => {
      const q = tensor(randomArray(B * 2 * Lq * D, 1), [B, 2, Lq, D]);
      const k = tensor(randomArray(B * 2 * Lk * D, 2), [B, 2, Lk, D]);
      const v = tensor(randomArray(B * 2 * Lk * D, 3), [B, 2, Lk, D]);
      q.requiresGrad = true;
      const y = attention(q, k, v);
      const kernels = await runtime().profile(() => tidy(() => backward(y.sum())));
      for (const t of [q, k, v, y]) t.dispose();
      return kernels.some((x) => x.kernel.startsWith('attention_backward')) ? 'fused' : 'gemm';
    };
    expect(await used(1, 8, 9, 4)).toBe('fused');
    expect(await used(8, 32, 256, 64)).toBe(runtime().gpu.info.isSoftware ? 'gemm' : 'fused');
    forceVariant('attention-backward', 'gemm');
  });
});

describe('attention semantics', () => {
  afterEach(() => {
    forceVariant('attention', null);
    setAttentionSplits(null);
  });

  it('splits a long key sequence when there are few query rows (forward + combine), not when rows are many', async () => {
    const dispatchesOf = async (lenQ: number, lenK: number) => {
      const q = tensor(randomArray(lenQ * 4, 1), [1, 1, lenQ, 4]);
      const k = tensor(randomArray(lenK * 4, 2), [1, 1, lenK, 4]);
      await runtime().sync();
      const before = runtime().stats.dispatches;
      const y = attention(q, k, k);
      const count = runtime().stats.dispatches - before;
      for (const x of [q, k, y]) x.dispose();
      return count;
    };
    expect(await dispatchesOf(3, 600)).toBe(2);
    expect(await dispatchesOf(4096, 40)).toBe(1);
  });

  it.each(['lines', 'tiled'] as const)('a fully padded row outputs 0 and gets zero gradients; padded keys get zero dK/dV (%s)', async (strategy) => {
    forceVariant('attention', strategy);
    const g = dims(2, 2, 4, 6, 4, 3);
    const h = hostData({ dims: g, seed: 20, padded: null });
    h.mask = new Float32Array([1, 0, 1, 1, 0, 1, /* batch 1: all padded */ 0, 0, 0, 0, 0, 0]);
    const t = upload(g, h);
    for (const x of [t.q, t.k, t.v]) x.requiresGrad = true;
    const { out: o0, lse } = attentionForward(t.q, t.k, t.v, { keyPaddingMask: t.mask });
    const y = attention(t.q, t.k, t.v, { keyPaddingMask: t.mask });
    backward(y, { grad: t.gradOut });
    const out = await y.toArray();
    const lseHost = await lse.toArray();
    const half = out.length / 2;
    expect(Array.from(out.subarray(half)).every((x) => x === 0)).toBe(true);
    expect(Array.from(out.subarray(0, half)).some((x) => x !== 0)).toBe(true);
    expect(Array.from(lseHost.subarray(lseHost.length / 2))).toEqual(new Array(lseHost.length / 2).fill(Math.fround(ATTENTION_EMPTY_LSE)));
    const dq = await t.q.grad!.toArray();
    const dk = await t.k.grad!.toArray();
    const dv = await t.v.grad!.toArray();
    expect(Array.from(dq.subarray(dq.length / 2)).every((x) => x === 0)).toBe(true);
    for (const [name, grad, width] of [['dK', dk, g.dim], ['dV', dv, g.dimV]] as const) {
      for (let bh = 0; bh < 4; bh++) {
        for (let j = 0; j < g.lenK; j++) {
          const row = Array.from(grad.subarray((bh * g.lenK + j) * width, (bh * g.lenK + j + 1) * width));
          const padded = h.mask[Math.floor(bh / 2) * g.lenK + j] === 0;
          expect(row.every((x) => x === 0), `${name} of key ${j} in (b, h) ${bh}`).toBe(padded);
        }
      }
    }
    const ref = attentionBackwardReference(h.q, h.k, h.v, h.mask, h.gradOut, g, 1 / Math.sqrt(g.dim));
    assertClose(dq, ref.dq, BWD, 'dQ');
    for (const x of [o0, lse, y, t.q, t.k, t.v, t.mask, t.gradOut]) x?.dispose();
  });

  it('no keys (Lk = 0) outputs zeros; empty batch and query dims give empty results', async () => {
    const q = tensor(randomArray(2 * 3 * 4, 1), [1, 2, 3, 4]);
    const k = Tensor.empty([1, 2, 0, 4]);
    const v = Tensor.empty([1, 2, 0, 3]);
    const y = attention(q, k, v);
    expect(y.shape).toEqual([1, 2, 3, 3]);
    expect(Array.from(await y.toArray())).toEqual(new Array(18).fill(0));
    const q0 = Tensor.empty([2, 2, 0, 4]);
    const k0 = tensor(randomArray(2 * 2 * 3 * 4, 2), [2, 2, 3, 4]);
    const v0 = tensor(randomArray(2 * 2 * 3 * 3, 3), [2, 2, 3, 3]);
    const y0 = attention(q0, k0, v0);
    expect(y0.shape).toEqual([2, 2, 0, 3]);
    expect(attentionWeights(q0, k0).shape).toEqual([2, 2, 0, 3]);
    const yb = attention(Tensor.empty([0, 2, 3, 4]), Tensor.empty([0, 2, 6, 4]), Tensor.empty([0, 2, 6, 3]));
    expect(yb.shape).toEqual([0, 2, 3, 3]);
    for (const x of [q, k, v, y, q0, k0, v0, y0, yb]) x.dispose();
  });

  it('reads strided views in place (permuted projections, heads broadcast by expand, a sliced mask, a permuted output gradient), forward and backward', async () => {
    const B = 2, L = 6, S = 11, H = 3, D = 7, Dv = 5;
    const g = dims(B, H, L, S, D, Dv);
    const qProj = randomArray(B * L * H * D, 31);
    const kHead = randomArray(B * S * D, 32);
    const vT = randomArray(B * H * Dv * S, 33);
    const gProj = randomArray(B * L * H * Dv, 34);
    const maskWide = new Float32Array(B * 2 * S).fill(1);
    maskWide[3] = 0;
    maskWide[2 * S + 7] = 0;
    // Host copies in the contiguous (B, H, L, D) layouts the reference reads.
    const qRef = new Float32Array(B * H * L * D);
    const kRef = new Float32Array(B * H * S * D);
    const vRef = new Float32Array(B * H * S * Dv);
    const gRef = new Float32Array(B * H * L * Dv);
    const at = (b: number, hh: number, r: number, len: number, width: number) => ((b * H + hh) * len + r) * width;
    for (let b = 0; b < B; b++) {
      for (let hh = 0; hh < H; hh++) {
        for (let i = 0; i < L; i++) {
          for (let d = 0; d < D; d++) qRef[at(b, hh, i, L, D) + d] = qProj[((b * L + i) * H + hh) * D + d];
          for (let e = 0; e < Dv; e++) gRef[at(b, hh, i, L, Dv) + e] = gProj[((b * L + i) * H + hh) * Dv + e];
        }
        for (let j = 0; j < S; j++) {
          for (let d = 0; d < D; d++) kRef[at(b, hh, j, S, D) + d] = kHead[(b * S + j) * D + d];
          for (let e = 0; e < Dv; e++) vRef[at(b, hh, j, S, Dv) + e] = vT[((b * H + hh) * Dv + e) * S + j];
        }
      }
    }
    const maskRef = new Float32Array(B * S);
    for (let b = 0; b < B; b++) for (let j = 0; j < S; j++) maskRef[b * S + j] = maskWide[b * 2 * S + j];
    const scale = 1 / Math.sqrt(D);
    const refOut = attentionReference(qRef, kRef, vRef, maskRef, g, scale).out;
    const ref = attentionBackwardReference(qRef, kRef, vRef, maskRef, gRef, g, scale);
    // The reference gradients in the leaves' layouts: (B, L, H, D), (B, 1, S, D) summed over heads, (B, H, Dv, S).
    const dqLeaf = new Float64Array(qProj.length);
    const dkLeaf = new Float64Array(kHead.length);
    const dvLeaf = new Float64Array(vT.length);
    for (let b = 0; b < B; b++) {
      for (let hh = 0; hh < H; hh++) {
        for (let i = 0; i < L; i++) for (let d = 0; d < D; d++) dqLeaf[((b * L + i) * H + hh) * D + d] = ref.dq[at(b, hh, i, L, D) + d];
        for (let j = 0; j < S; j++) {
          for (let d = 0; d < D; d++) dkLeaf[(b * S + j) * D + d] += ref.dk[at(b, hh, j, S, D) + d];
          for (let e = 0; e < Dv; e++) dvLeaf[((b * H + hh) * Dv + e) * S + j] = ref.dv[at(b, hh, j, S, Dv) + e];
        }
      }
    }
    for (const strategy of ['lines', 'tiled'] as const) {
      forceVariant('attention', strategy);
      const leaves = [tensor(qProj, [B, L, H, D]), tensor(kHead, [B, 1, S, D]), tensor(vT, [B, H, Dv, S])];
      for (const x of leaves) x.requiresGrad = true;
      const wide = tensor(maskWide, [B, 2, S]);
      const gradOut = tensor(gProj, [B, L, H, Dv]);
      const out = tidy(() => {
        const q = permute(leaves[0], [0, 2, 1, 3]);
        const k = expand(leaves[1], [B, H, S, D]);
        const v = transpose(leaves[2]);
        const mask = reshape(wide, [B, 2 * S]).view([B, S], [2 * S, 1], 0);
        expect([q, k, v, mask].some((t) => t.isContiguous)).toBe(false);
        const y = attention(q, k, v, { keyPaddingMask: mask });
        const gView = permute(gradOut, [0, 2, 1, 3]);
        backward(y, { grad: gView });
        return y;
      });
      assertClose(await out.toArray(), refOut, FWD, `strided operands (${strategy})`);
      assertClose(await leaves[0].grad!.toArray(), dqLeaf, BWD, `dQ through a permuted view (${strategy})`);
      assertClose(await leaves[1].grad!.toArray(), dkLeaf, BWD, `dK through an expanded view (${strategy})`);
      assertClose(await leaves[2].grad!.toArray(), dvLeaf, BWD, `dV through a transposed view (${strategy})`);
      for (const x of [out, wide, gradOut, ...leaves]) x.dispose();
    }
  });

  it('attentionWeights equals the float64 reference and softmax of the masked scores', async () => {
    for (const strategy of ['lines', 'tiled'] as const) {
      forceVariant('attention', strategy);
      const g = dims(2, 3, 7, 13, 7, 1);
      const h = hostData({ dims: g, seed: 40, padded: [4, 12] });
      const t = upload(g, h);
      const w = attentionWeights(t.q, t.k, { keyPaddingMask: t.mask, scale: 0.5 });
      expect(w.shape).toEqual([2, 3, 7, 13]);
      const expected = attentionWeightsReference(h.q, h.k, h.mask, g, 0.5);
      assertClose(await w.toArray(), expected, FWD, 'attention weights');
      const composed = tidy(() => softmax(add(mul(matmul(t.q, transpose(t.k)), 0.5), additiveMask(t.mask!, g))));
      assertClose(await w.toArray(), await composed.toArray(), FWD, 'weights vs composed softmax');
      for (const x of [w, composed, t.q, t.k, t.v, t.mask, t.gradOut]) x?.dispose();
    }
  });
});

/** The forward kernels a call ran (from a profile of it). */
async function forwardKernelsOf(fn: () => void): Promise<string[]> {
  const kernels = await runtime().profile(() => tidy(fn));
  return kernels.map((k) => k.kernel.split('/')[0]).filter((name) => name.startsWith('attention_forward'));
}

// The subgroup forward reads q, k, v as vec4s: head dims multiples of 4, ragged everything else.
const subgroupCases: [string, Case][] = [
  ['ragged query block and key tile', { dims: dims(2, 3, 13, 37, 8, 12), seed: 71, padded: null }],
  ['padded keys, batch 1 fully padded', { dims: dims(2, 3, 13, 37, 8, 12), seed: 72, padded: [11, 37] }],
  ['many queries, few keys, padded', { dims: dims(2, 3, 67, 9, 4, 8), seed: 73, padded: [2, 8] }],
  ['head dim 128, Dv 4', { dims: dims(1, 2, 19, 45, 128, 4), seed: 74, padded: [0] }],
  ['Dv 128, D 4', { dims: dims(1, 1, 3, 70, 4, 128), seed: 75, padded: [13] }],
  ['Dv 36: lanes own 1 or 2 value chunks', { dims: dims(1, 2, 9, 21, 20, 36), seed: 76, padded: [5] }],
  ['three queries over 600 keys (split by default)', { dims: dims(1, 1, 3, 600, 4, 4), seed: 77, padded: [100] }],
  ['no keys (Lk = 0)', { dims: dims(1, 2, 3, 0, 4, 4), seed: 78, padded: null }],
];

describe('attention forward on 8-lane subgroups (subgroup kernel)', () => {
  afterEach(() => {
    forceVariant('attention', null);
    forceVariant('attention-backward', null);
    setAttentionSplits(null);
    applyTuning([]);
  });

  it('is the CPU default where subgroups have exactly 8 lanes, and forcing it needs subgroups of >= 8 lanes', () => {
    const f = adapterFacts();
    const expected = !f.software ? 'tiled' : f.subgroupGemm && f.subgroupsOf8 ? 'subgroup' : 'lines';
    expect(chooseVariant('attention', 64, 32, 256, 64).variant).toBe(expected);
    forceVariant('attention', 'subgroup');
    if (hasSubgroupGemm()) expect(chooseVariant('attention', 1).variant).toBe('subgroup');
    else expect(() => chooseVariant('attention', 1)).toThrow(/attention variant subgroup needs the subgroups feature/);
  });

  /**
   * Forces the subgroup kernel; on a device without 8-lane subgroups asserts that forcing it is
   * refused instead, and returns false (the kernel cannot run there).
   */
  const forceSubgroup = (): boolean => {
    forceVariant('attention', 'subgroup');
    if (hasSubgroupGemm()) return true;
    expect(() => chooseVariant('attention', 1)).toThrow(/needs the subgroups feature/);
    return false;
  };

  it.each(subgroupCases)('%s: forward, lse and backward against float64', async (_, c) => {
    if (!forceSubgroup()) return;
    forceVariant('attention-backward', 'fused');
    await checkForwardAndBackward(c);
  });

  it.each(subgroupCases.slice(0, 3))('%s, split in 4 (partials merged)', async (_, c) => {
    if (!forceSubgroup()) return;
    setAttentionSplits(4);
    await checkForwardAndBackward(c);
  });

  it.each([1, 2, 4])('KEYS_PER_LANE %i (a tuned constant) against float64', async (keysPerLane) => {
    if (!forceSubgroup()) return;
    forceVariant('attention', null);
    const c = subgroupCases[1][1];
    const g = c.dims;
    applyTuning([{ kernel: 'attention', shapeClass: shapeClass(g.batch * g.heads, g.lenQ, g.lenK, Math.max(g.dim, g.dimV)), variant: 'subgroup', constants: { KEYS_PER_LANE: keysPerLane } }]);
    expect(chooseVariant('attention', g.batch * g.heads, g.lenQ, g.lenK, Math.max(g.dim, g.dimV)).constants).toEqual({ KEYS_PER_LANE: keysPerLane });
    await checkForwardAndBackward(c);
  });

  it('runs on vec4-aligned views in place (permuted, broadcast heads, sliced mask) and falls back to the lines kernel otherwise', async () => {
    if (!forceSubgroup()) return;
    const B = 2, L = 5, S = 11, H = 3, D = 8, Dv = 12;
    const g = dims(B, H, L, S, D, Dv);
    const qProj = randomArray(B * L * H * D, 81);
    const kHead = randomArray(B * S * D, 82);
    const vProj = randomArray(B * S * H * Dv, 83);
    const maskWide = new Float32Array(B * 2 * S).fill(1);
    maskWide[4] = 0;
    maskWide[2 * S + 9] = 0;
    const qRef = new Float32Array(B * H * L * D);
    const kRef = new Float32Array(B * H * S * D);
    const vRef = new Float32Array(B * H * S * Dv);
    const maskRef = new Float32Array(B * S);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < S; j++) maskRef[b * S + j] = maskWide[b * 2 * S + j];
      for (let hh = 0; hh < H; hh++) {
        for (let i = 0; i < L; i++) for (let d = 0; d < D; d++) qRef[((b * H + hh) * L + i) * D + d] = qProj[((b * L + i) * H + hh) * D + d];
        for (let j = 0; j < S; j++) {
          for (let d = 0; d < D; d++) kRef[((b * H + hh) * S + j) * D + d] = kHead[(b * S + j) * D + d];
          for (let e = 0; e < Dv; e++) vRef[((b * H + hh) * S + j) * Dv + e] = vProj[((b * S + j) * H + hh) * Dv + e];
        }
      }
    }
    const ref = attentionReference(qRef, kRef, vRef, maskRef, g, 1 / Math.sqrt(D));
    const leaves = [tensor(qProj, [B, L, H, D]), tensor(kHead, [B, 1, S, D]), tensor(vProj, [B, S, H, Dv])];
    const wide = tensor(maskWide, [B, 2, S]);
    const views = () => ({
      q: permute(leaves[0], [0, 2, 1, 3]),
      k: expand(leaves[1], [B, H, S, D]),
      v: permute(leaves[2], [0, 2, 1, 3]),
      mask: reshape(wide, [B, 2 * S]).view([B, S], [2 * S, 1], 0),
    });
    expect(await forwardKernelsOf(() => {
      const t = views();
      expect([t.q, t.k, t.v, t.mask].some((x) => x.isContiguous)).toBe(false);
      attention(t.q, t.k, t.v, { keyPaddingMask: t.mask });
    })).toEqual(['attention_forward_subgroup']);
    // that kernel is the spec of shaders/attention_subgroup.wgsl (one forward dispatch, no split)
    expect(runConstants('attention_subgroup', () => tidy(() => {
      const t = views();
      attention(t.q, t.k, t.v, { keyPaddingMask: t.mask });
    }))).toHaveLength(1);
    const y = tidy(() => {
      const t = views();
      return attention(t.q, t.k, t.v, { keyPaddingMask: t.mask });
    });
    assertClose(await y.toArray(), ref.out, FWD, 'subgroup kernel on strided views');
    // An offset that is not a multiple of 4 (a view starting one element in) cannot be read as vec4s.
    const shifted = tensor(randomArray(1 + 2 * 4 * 8, 84), [1 + 2 * 4 * 8]);
    const qOdd = shifted.view([1, 2, 4, 8], [64, 32, 8, 1], 1);
    const kv = tensor(randomArray(2 * 6 * 8, 85), [1, 2, 6, 8]);
    expect(await forwardKernelsOf(() => {
      attention(qOdd, kv, kv);
    })).toEqual(['attention_forward_lines']);
    const qHost = (await shifted.toArray()).slice(1);
    const yOdd = attention(qOdd, kv, kv);
    assertClose(await yOdd.toArray(), attentionReference(qHost, await kv.toArray(), await kv.toArray(), null, dims(1, 2, 4, 6, 8, 8), 1 / Math.sqrt(8)).out, FWD, 'lines fallback');
    for (const x of [y, yOdd, shifted, kv, wide, ...leaves]) x.dispose();
  });

  it('head dims that are not multiples of 4 run the lines kernel', async () => {
    if (!forceSubgroup()) return;
    const q = tensor(randomArray(2 * 3 * 7, 86), [1, 2, 3, 7]);
    const k = tensor(randomArray(2 * 5 * 7, 87), [1, 2, 5, 7]);
    expect(await forwardKernelsOf(() => {
      attention(q, k, k);
    })).toEqual(['attention_forward_lines']);
    for (const x of [q, k]) x.dispose();
  });
});

/** (mask - 1) * 1e9 as (B, 1, 1, Lk): the additive form of the key padding mask. */
function additiveMask(mask: Tensor, g: AttentionDims): Tensor {
  return reshape(mul(sub(mask, 1), 1e9), [g.batch, 1, 1, g.lenK]);
}

/** softmax(Q K^T scale + additive mask) V from matmul, softmax and elementwise ops. */
function composedAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, g: AttentionDims, scale: number): Tensor {
  let scores = mul(matmul(q, transpose(k)), scale);
  if (mask) scores = add(scores, additiveMask(mask, g));
  return matmul(softmax(scores), v);
}

describe('attention equals the composition matmul -> masked softmax -> matmul', () => {
  afterEach(() => {
    forceVariant('attention', null);
    setAttentionSplits(null);
  });

  it.each([
    ['lines', dims(2, 3, 5, 37, 7, 5), [11, 30]],
    ['tiled', dims(2, 3, 67, 9, 7, 5), [2, 8]],
    ['lines', dims(1, 4, 32, 256, 16, 16), null],
    ['tiled', dims(1, 2, 256, 32, 16, 16), [5]],
  ] as const)('%s kernels, dims %o, outputs and gradients', async (strategy, g, padded) => {
    forceVariant('attention', strategy);
    const h = hostData({ dims: g, seed: 50, padded: padded && [...padded] });
    const scale = 1 / Math.sqrt(g.dim);
    const results: Float32Array[][] = [];
    for (const path of ['fused', 'composed'] as const) {
      const t = upload(g, h);
      for (const x of [t.q, t.k, t.v]) x.requiresGrad = true;
      const y = path === 'fused' ? attention(t.q, t.k, t.v, { keyPaddingMask: t.mask }) : tidy(() => composedAttention(t.q, t.k, t.v, t.mask, g, scale));
      backward(y, { grad: t.gradOut });
      results.push([await y.toArray(), ...(await Promise.all([t.q, t.k, t.v].map((x) => x.grad!.toArray())))] as Float32Array[]);
      for (const x of [y, t.q, t.k, t.v, t.mask, t.gradOut]) x?.dispose();
    }
    const [fused, composed] = results;
    ['output', 'dQ', 'dK', 'dV'].forEach((name, i) => assertClose(fused[i], composed[i], { rtol: 1e-3, atol: 1e-4 }, `${name} fused vs composed`));
  });
});

describe('attention errors and memory', () => {
  it('rejects mismatched shapes, naming them, and a wrong mask shape', () => {
    const q = Tensor.empty([2, 3, 5, 7]);
    const k = Tensor.empty([2, 3, 9, 7]);
    const v = Tensor.empty([2, 3, 9, 4]);
    expect(() => attention(q, Tensor.empty([2, 3, 9, 6]), v)).toThrow(/k \[2, 3, 9, 6\] does not fit q \[2, 3, 5, 7\]: expected \(B, H, Lk, D\) = \(2, 3, Lk, 7\)/);
    expect(() => attention(q, Tensor.empty([2, 1, 9, 7]), v)).toThrow(/k \[2, 1, 9, 7\] does not fit q \[2, 3, 5, 7\]/);
    expect(() => attention(q, k, Tensor.empty([2, 3, 8, 4]))).toThrow(/v \[2, 3, 8, 4\] does not fit k \[2, 3, 9, 7\]: expected \(B, H, Lk, Dv\) = \(2, 3, 9, Dv\)/);
    expect(() => attention(Tensor.empty([3, 5, 7]), k, v)).toThrow(/q must be \(B, H, Lq, D\), got \[3, 5, 7\]/);
    expect(() => attention(q, k, v, { keyPaddingMask: Tensor.empty([2, 5]) })).toThrow(/keyPaddingMask \[2, 5\] must be \(B, Lk\) = \[2, 9\] for q \[2, 3, 5, 7\] and k \[2, 3, 9, 7\]/);
    expect(() => attention(q, k, v, { keyPaddingMask: Tensor.empty([2, 1, 9]) })).toThrow(/keyPaddingMask \[2, 1, 9\] must be \(B, Lk\)/);
    expect(() => attention(q, k, v, { keyPaddingMask: Tensor.empty([2, 9], 'i32') })).toThrow(/keyPaddingMask\): expected a f32 tensor, got i32/);
    expect(() => attention(Tensor.empty([1, 1, 2, 129]), Tensor.empty([1, 1, 3, 129]), Tensor.empty([1, 1, 3, 4]))).toThrow(/D = 129 .* must be at most 128/);
    expect(() => attention(q, k, Tensor.empty([2, 3, 9, 200]))).toThrow(/Dv = 200 must be at most 128/);
    expect(() => attention(q, k, v, { scale: NaN })).toThrow(/scale must be a finite number/);
    expect(() => attentionWeights(q, Tensor.empty([2, 3, 9, 8]))).toThrow(/attentionWeights: k \[2, 3, 9, 8\] does not fit q \[2, 3, 5, 7\]/);
    expect(() => setAttentionSplits(0)).toThrow(/positive integer/);
    for (const x of [q, k, v]) x.dispose();
  });

  it('does not leak: live tensors and bytes are flat over forward and backward steps', async () => {
    const g = dims(2, 2, 9, 40, 7, 5);
    const h = hostData({ dims: g, seed: 60, padded: [3, 40] });
    const t = upload(g, h);
    for (const x of [t.q, t.k, t.v]) x.requiresGrad = true;
    setAttentionSplits(3);
    const step = async () => {
      const loss = tidy(() => {
        const y = attention(t.q, t.k, t.v, { keyPaddingMask: t.mask });
        backward(y, { grad: t.gradOut });
        return y;
      });
      await loss.toArray();
      loss.dispose();
      for (const x of [t.q, t.k, t.v]) {
        x.grad?.dispose();
        x.grad = null;
      }
    };
    await step();
    const before = memory();
    for (let i = 0; i < 5; i++) await step();
    const after = memory();
    setAttentionSplits(null);
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes).toBe(before.liveBytes);
    for (const x of [t.q, t.k, t.v, t.mask, t.gradOut]) x?.dispose();
  });
});
