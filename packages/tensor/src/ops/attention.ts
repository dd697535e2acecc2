/**
 * Fused multi-head attention with a recomputing backward (shaders/attention.wgsl):
 *   O = softmax(Q K^T * scale + mask) V, with padded keys (mask 0) given weight 0
 *   d: delta_i = dO_i . O_i; P_ij = exp(s_ij - lse_i); dS_ij = P_ij (dO_i . V_j - delta_i);
 *      dQ = scale dS K;  dK = scale dS^T Q;  dV = P^T dO
 * The (Lq x Lk) scores never reach memory: the forward keeps an online softmax per query row and
 * saves only O and the row log-sum-exp; the backward recomputes P from Q, K and lse, in one kernel
 * over query rows (dQ) and one over key rows (dK, dV), so no float atomics and results are
 * deterministic. Each kernel splits the walked sequence when there are too few rows to fill the
 * adapter (few queries over many keys in the forward and dQ, many queries over few keys in dK/dV)
 * and folds the splits' partials afterwards.
 * On CPU adapters with 8-lane subgroups the forward runs the subgroup kernel (8 query rows per
 * workgroup, query rows and probabilities shared by shuffles, operands read as vec4s) where the
 * operands are vec4-aligned, and the lines kernel otherwise.
 * On CPU adapters (the variant table's 'attention-backward' heuristic, gpu/variants.ts), for mid-sized problems (B*H*Lq*Lk <= 4M floats and enough work to pay for the
 * extra dispatches), the backward instead
 * recomputes P from Q, K and lse as one batched GEMM and materialises it for the step (the GEMM
 * kernels run several times faster there than the row kernels); P is still never stored
 * between forward and backward.
 * Queries with no attended key (all keys padded, or Lk = 0) output 0 and get zero gradients
 * (PyTorch returns NaN there); padded keys get zero dK and dV.
 * Shape: q (B, H, Lq, D), k (B, H, Lk, D), v (B, H, Lk, Dv), keyPaddingMask (B, Lk) -> (B, H, Lq, Dv),
 * D and Dv at most 128. Operands may be any strided view (read in place, never copied).
 */
import {
  ATTENTION_KERNELS, attentionCombineKernel, attentionRowStatsKernel, attentionWeightsKernel, attentionProbsKernel, attentionScoreGradKernel,
  attentionProbsVec4Kernel, attentionScoreGradVec4Kernel, ATTENTION_MAX_HEAD_DIM,
  type AttentionStrategy, type AttentionDims, type Constants, type KernelSpec,
} from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { chooseVariant } from '../gpu/variants.js';
import { checkDType } from '../dtype.js';
import { fmt } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { sum } from './reduce.js';
import { matmulRaw } from './matmul.js';
import { transpose } from './shape.js';

export interface AttentionOptions {
  /** (B, Lk): nonzero (1) = attend, 0 = padded key. Not differentiated. */
  keyPaddingMask?: Tensor | null;
  /** Factor on the scores Q K^T (default 1/sqrt(D); 1 when D = 0). */
  scale?: number;
}

interface AttentionContext {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  mask: Tensor | null;
  out: Tensor;
  lse: Tensor;
  scale: number;
}

declare module '../autograd/rules.js' {
  interface OpContexts {
    attention: AttentionContext;
  }
}

let forcedSplits: number | null = null;

/**
 * Forces how many parts each kernel splits its walked sequence into (tests, benchmarks); capped
 * by the sequence length. null restores the choice by shape and adapter.
 */
export function setAttentionSplits(n: number | null): void {
  if (n !== null && !(Number.isInteger(n) && n >= 1)) throw new Error(`setAttentionSplits: expected a positive integer or null, got ${n}`);
  forcedSplits = n;
}

/**
 * The kernel structure from the variant table (`tiled` on GPUs, `subgroup` or `lines` on CPU
 * adapters) and the tuned constants of its forward, if any.
 */
function strategyFor(g: Geometry): { strategy: AttentionStrategy; constants: Constants } {
  const choice = chooseVariant('attention', g.batch * g.heads, g.lenQ, g.lenK, Math.max(g.dim, g.dimV));
  return { strategy: choice.variant, constants: choice.constants ?? {} };
}

/**
 * Whether q, k and v can be read as vec4s (the subgroup forward): head dims multiples of 4, unit
 * inner strides, offsets and outer strides multiples of 4.
 */
function vec4Aligned(g: Geometry, ...operands: Tensor[]): boolean {
  if (g.dim % 4 !== 0 || g.dimV % 4 !== 0) return false;
  return operands.every((t) => t.strides[3] === 1 && t.offset % 4 === 0 && t.strides.slice(0, 3).every((s) => s % 4 === 0));
}

/**
 * Parts to split a walk over `len` positions into when `rows` invocations own one row each: enough
 * for about `target` invocations in flight, each part at least `minSpan` long. Returns the part
 * count and the positions per part.
 */
function splitWork(rows: number, len: number): { splits: number; span: number } {
  const software = runtime().gpu.info.isSoftware;
  const target = software ? 64 : 16384;
  const minSpan = software ? 128 : 32;
  let splits = forcedSplits ?? Math.min(64, Math.ceil(target / Math.max(1, rows)), Math.floor(len / minSpan));
  splits = Math.max(1, Math.min(splits, len));
  const span = Math.ceil(len / splits);
  return { splits: Math.max(1, Math.ceil(len / Math.max(1, span))), span };
}

type Geometry = AttentionDims;

/** Validates q, k (and v) and the mask; errors name the shapes involved. */
function checkOperands(context: string, q: Tensor, k: Tensor, v: Tensor | null, mask: Tensor | null): Geometry {
  checkDType(q.dtype, 'f32', `${context} (q)`);
  checkDType(k.dtype, 'f32', `${context} (k)`);
  if (v) checkDType(v.dtype, 'f32', `${context} (v)`);
  if (q.rank !== 4) throw new Error(`${context}: q must be (B, H, Lq, D), got ${fmt(q.shape)}`);
  const [batch, heads, lenQ, dim] = q.shape;
  if (k.rank !== 4 || k.shape[0] !== batch || k.shape[1] !== heads || k.shape[3] !== dim) {
    throw new Error(`${context}: k ${fmt(k.shape)} does not fit q ${fmt(q.shape)}: expected (B, H, Lk, D) = (${batch}, ${heads}, Lk, ${dim})`);
  }
  const lenK = k.shape[2];
  let dimV = 0;
  if (v) {
    if (v.rank !== 4 || v.shape[0] !== batch || v.shape[1] !== heads || v.shape[2] !== lenK) {
      throw new Error(`${context}: v ${fmt(v.shape)} does not fit k ${fmt(k.shape)}: expected (B, H, Lk, Dv) = (${batch}, ${heads}, ${lenK}, Dv)`);
    }
    dimV = v.shape[3];
  }
  if (dim > ATTENTION_MAX_HEAD_DIM || dimV > ATTENTION_MAX_HEAD_DIM) {
    throw new Error(`${context}: head dims D = ${dim} (q ${fmt(q.shape)}) and Dv = ${dimV} must be at most ${ATTENTION_MAX_HEAD_DIM}`);
  }
  if (mask) {
    checkDType(mask.dtype, 'f32', `${context} (keyPaddingMask)`);
    if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== lenK) {
      throw new Error(`${context}: keyPaddingMask ${fmt(mask.shape)} must be (B, Lk) = [${batch}, ${lenK}] for q ${fmt(q.shape)} and k ${fmt(k.shape)}`);
    }
  }
  if (batch * heads > 65535) throw new Error(`${context}: B * H = ${batch * heads} exceeds 65535 (q ${fmt(q.shape)})`);
  return { batch, heads, lenQ, lenK, dim, dimV };
}

function scaleFor(context: string, g: Geometry, scale: number | undefined): number {
  const s = scale ?? (g.dim > 0 ? 1 / Math.sqrt(g.dim) : 1);
  if (!Number.isFinite(s)) throw new Error(`${context}: scale must be a finite number, got ${s}`);
  return s;
}

/**
 * Per-call constants of a row kernel: the tiled and subgroup ones compile the head dims in (one
 * pipeline per head size); `tuned` (the variant table's constants) is merged over them for the
 * kernels that declare those constants.
 */
function rowConstants(spec: KernelSpec, g: Geometry, tuned: Constants = {}): Constants {
  if (!('HEAD_DIM' in spec.constants)) return {};
  const own = Object.fromEntries(Object.entries(tuned).filter(([name]) => name in spec.constants));
  return { ...own, HEAD_DIM: g.dim, HEAD_DIM_V: g.dimV };
}

/** The uniforms every kernel of the family shares: sizes, scale, and each operand's offset and strides. */
function operandUniforms(g: Geometry, scale: number, q: Tensor, k: Tensor, v: Tensor | null, mask: Tensor | null, gradOut: Tensor | null): Record<string, number | number[]> {
  return {
    batch: g.batch, heads: g.heads, len_q: g.lenQ, len_k: g.lenK, dim: g.dim, dim_v: g.dimV, scale,
    has_mask: mask ? 1 : 0,
    q_offset: q.offset, q_strides: [...q.strides],
    k_offset: k.offset, k_strides: [...k.strides],
    v_offset: v?.offset ?? 0, v_strides: v ? [...v.strides] : [0, 0, 0, 0],
    mask_offset: mask?.offset ?? 0, mask_stride_b: mask?.strides[0] ?? 0, mask_stride_k: mask?.strides[1] ?? 0,
    grad_out_offset: gradOut?.offset ?? 0, grad_out_strides: gradOut ? [...gradOut.strides] : [0, 0, 0, 0],
  };
}

/** Forward without autograd: O (B, H, Lq, Dv) and lse (B, H, Lq). */
function forwardRaw(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, g: Geometry, scale: number): { out: Tensor; lse: Tensor } {
  const out = Tensor.empty([g.batch, g.heads, g.lenQ, g.dimV], 'f32', 'attention');
  const lse = Tensor.empty([g.batch, g.heads, g.lenQ], 'f32', 'attention.lse');
  const rows = g.batch * g.heads * g.lenQ;
  if (rows === 0) return { out, lse };
  const rt = runtime();
  const { splits, span } = splitWork(rows, g.lenK);
  const uniforms = { ...operandUniforms(g, scale, q, k, v, mask, null), splits, span };
  const chosen = strategyFor(g);
  const strategy = chosen.strategy === 'subgroup' && !vec4Aligned(g, q, k, v) ? 'lines' : chosen.strategy;
  const spec = ATTENTION_KERNELS[strategy].forward;
  const constants = rowConstants(spec, g, chosen.constants);
  const suffix = strategy === 'subgroup' ? '4' : '';
  const inputs: Record<string, GPUBuffer | null> = { [`q${suffix}`]: q.buffer, [`k${suffix}`]: k.buffer, [`v${suffix}`]: v.buffer, mask: mask?.buffer ?? null };
  const outName = `out${suffix}`;
  if (splits === 1) {
    rt.run(spec, 'default', { buffers: { ...inputs, [outName]: out.buffer, lse: lse.buffer }, uniforms, constants });
    return { out, lse };
  }
  const partOut = Tensor.empty([splits, ...out.shape], 'f32', 'attention.partial');
  const partLse = Tensor.empty([splits, ...lse.shape], 'f32', 'attention.partial_lse');
  rt.run(spec, 'default', { buffers: { ...inputs, [outName]: partOut.buffer, lse: partLse.buffer }, uniforms, constants });
  rt.run(attentionCombineKernel, 'default', { buffers: { o: partOut.buffer, lse_in: partLse.buffer, out: out.buffer, lse: lse.buffer }, uniforms });
  partOut.dispose();
  partLse.dispose();
  return { out, lse };
}

/**
 * The forward without autograd, with the row log-sum-exp it saves for the backward (lse of a row
 * with no attended key: ATTENTION_EMPTY_LSE). For tests and tools that need lse.
 * Shape: -> out (B, H, Lq, Dv), lse (B, H, Lq).
 */
export function attentionForward(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): { out: Tensor; lse: Tensor } {
  const mask = options.keyPaddingMask ?? null;
  const g = checkOperands('attention', q, k, v, mask);
  return forwardRaw(q, k, v, mask, g, scaleFor('attention', g, options.scale));
}

/**
 * Scaled dot-product attention over heads, fused (no score matrix in memory), with autograd for
 * q, k and v. A query whose keys are all padded outputs zeros (and gets zero gradients).
 * Shape: q (B, H, Lq, D), k (B, H, Lk, D), v (B, H, Lk, Dv), keyPaddingMask (B, Lk) -> (B, H, Lq, Dv).
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const mask = options.keyPaddingMask ?? null;
  const g = checkOperands('attention', q, k, v, mask);
  const scale = scaleFor('attention', g, options.scale);
  const { out, lse } = forwardRaw(q, k, v, mask, g, scale);
  if (needsGrad(q, k, v)) {
    record('attention', [q, k, v], { q: saved(q), k: saved(k), v: saved(v), mask: mask && saved(mask), out: saved(out), lse: saved(lse), scale }, out);
  }
  lse.dispose();
  return out;
}

/**
 * The attention probabilities softmax(Q K^T * scale + mask), materialised (for inspection and
 * heatmaps; not differentiated). Padded keys get 0; a query with no attended key gets a row of 0.
 * Shape: q (B, H, Lq, D), k (B, H, Lk, D), keyPaddingMask (B, Lk) -> (B, H, Lq, Lk).
 */
export function attentionWeights(q: Tensor, k: Tensor, options: AttentionOptions = {}): Tensor {
  const mask = options.keyPaddingMask ?? null;
  const g = checkOperands('attentionWeights', q, k, null, mask);
  const scale = scaleFor('attentionWeights', g, options.scale);
  const weights = Tensor.empty([g.batch, g.heads, g.lenQ, g.lenK], 'f32', 'attention_weights');
  if (weights.size > 0) {
    runtime().run(attentionWeightsKernel, 'default', {
      buffers: { q: q.buffer, k: k.buffer, mask: mask?.buffer ?? null, weights: weights.buffer },
      uniforms: { ...operandUniforms(g, scale, q, k, null, mask, null), splits: 1, span: g.lenK },
    });
  }
  return weights;
}

/** Sums partials (splits, ...shape) over the splits (a plain view when there is one). */
function foldSplits(part: Tensor, splits: number): Tensor {
  if (splits === 1) return part.view(part.shape.slice(1), part.strides.slice(1), part.offset);
  return sum(part, 0);
}

/**
 * The backward through batched GEMMs: S = scale Q K^T, P = exp(S - lse) on attended keys (0 on
 * padded ones, and so on rows with none), dV = P^T dO, dP = dO V^T, dS = P (dP - delta),
 * dQ = scale dS K, dK = scale dS^T Q. P and dS each come from one elementwise row kernel (on vec4s
 * of keys when Lk is a multiple of 4).
 */
function attentionGradGemm(dO: Tensor, c: AttentionContext, g: Geometry, needs: readonly boolean[]): (Tensor | null)[] {
  const rt = runtime();
  const uniforms = { ...operandUniforms(g, c.scale, c.q, c.k, c.v, c.mask, dO), splits: 1, span: 0 };
  // S, P, dP and dS are fresh contiguous (B, H, Lq, Lk) tensors: rows of vec4s when Lk allows
  const v4 = g.lenK % 4 === 0 ? '4' : '';
  const scores = matmulRaw(c.q, transpose(c.k), c.scale);
  const p = Tensor.empty(scores.shape, 'f32', 'attention.probs');
  rt.run(v4 ? attentionProbsVec4Kernel : attentionProbsKernel, 'default', {
    buffers: { [`scores${v4}`]: scores.buffer, lse_in: c.lse.buffer, mask: c.mask?.buffer ?? null, [`weights${v4}`]: p.buffer }, uniforms,
  });
  scores.dispose();
  const dv = needs[2] ? matmulRaw(transpose(p), dO) : null;
  let dq: Tensor | null = null;
  let dk: Tensor | null = null;
  if (needs[0] || needs[1]) {
    const stats = rowStats(dO, c, g);
    const dp = matmulRaw(dO, transpose(c.v));
    const ds = Tensor.empty(dp.shape, 'f32', 'attention.score_grad');
    rt.run(v4 ? attentionScoreGradVec4Kernel : attentionScoreGradKernel, 'default', {
      buffers: { [`scores${v4}`]: dp.buffer, [`probs${v4}_in`]: p.buffer, stats_in: stats.buffer, [`weights${v4}`]: ds.buffer }, uniforms,
    });
    if (needs[0]) dq = matmulRaw(ds, c.k, c.scale);
    if (needs[1]) dk = matmulRaw(transpose(ds), c.q, c.scale);
    for (const t of [stats, dp, ds]) t.dispose();
  }
  p.dispose();
  return [dq, dk, dv];
}

/** The backward's row stats (B, H, Lq, 2) = (lse, delta = dO . O). */
function rowStats(dO: Tensor, c: AttentionContext, g: Geometry): Tensor {
  const stats = Tensor.empty([g.batch, g.heads, g.lenQ, 2], 'f32', 'attention.stats');
  if (g.batch * g.heads * g.lenQ > 0) {
    runtime().run(attentionRowStatsKernel, 'default', {
      buffers: { o: c.out.buffer, lse_in: c.lse.buffer, grad_out: dO.buffer, stats: stats.buffer },
      uniforms: { ...operandUniforms(g, c.scale, c.q, c.k, c.v, c.mask, dO), splits: 1, span: 0 },
    });
  }
  return stats;
}

function backwardPath(g: Geometry): 'fused' | 'gemm' {
  if (g.dim === 0 || g.dimV === 0 || g.lenQ === 0 || g.lenK === 0) return 'fused';
  return chooseVariant('attention-backward', g.batch * g.heads, g.lenQ, g.lenK, Math.max(g.dim, g.dimV)).variant;
}

/** The backward path attention takes for these operands: the row kernels, or batched GEMMs. */
export function attentionBackwardPath(q: Tensor, k: Tensor, v: Tensor): 'fused' | 'gemm' {
  return backwardPath(checkOperands('attentionBackwardPath', q, k, v, null));
}

/** The gradient rule: recomputes P per (query, key) pair from q, k and the saved lse. */
export function attentionGrad(gradOut: Tensor, c: AttentionContext, needs: readonly boolean[]): (Tensor | null)[] {
  const g = checkOperands('attention backward', c.q, c.k, c.v, c.mask);
  if (backwardPath(g) === 'gemm') return attentionGradGemm(gradOut, c, g, needs);
  const rt = runtime();
  const kernels = ATTENTION_KERNELS[strategyFor(g).strategy];
  const rows = g.batch * g.heads * g.lenQ;
  const keyRows = g.batch * g.heads * g.lenK;
  const common = operandUniforms(g, c.scale, c.q, c.k, c.v, c.mask, gradOut);
  const inputs = { q: c.q.buffer, k: c.k.buffer, v: c.v.buffer, mask: c.mask?.buffer ?? null, grad_out: gradOut.buffer };
  const stats = rowStats(gradOut, c, g);
  let dq: Tensor | null = null;
  if (needs[0]) {
    const { splits, span } = splitWork(rows, g.lenK);
    const part = Tensor.empty([splits, g.batch, g.heads, g.lenQ, g.dim], 'f32', 'attention.grad_q');
    if (rows > 0) {
      rt.run(kernels.backwardQuery, 'default', {
        buffers: { ...inputs, stats_in: stats.buffer, grad_q: part.buffer },
        uniforms: { ...common, splits, span },
        constants: rowConstants(kernels.backwardQuery, g),
      });
    }
    dq = foldSplits(part, splits);
    part.dispose();
  }
  let dk: Tensor | null = null;
  let dv: Tensor | null = null;
  if (needs[1] || needs[2]) {
    const { splits, span } = splitWork(keyRows, g.lenQ);
    const partK = Tensor.empty([splits, g.batch, g.heads, g.lenK, g.dim], 'f32', 'attention.grad_k');
    const partV = Tensor.empty([splits, g.batch, g.heads, g.lenK, g.dimV], 'f32', 'attention.grad_v');
    if (keyRows > 0) {
      rt.run(kernels.backwardKey, 'default', {
        buffers: { ...inputs, stats_in: stats.buffer, grad_k: partK.buffer, grad_v: partV.buffer },
        uniforms: { ...common, splits, span },
        constants: rowConstants(kernels.backwardKey, g),
      });
    }
    if (needs[1]) dk = foldSplits(partK, splits);
    if (needs[2]) dv = foldSplits(partV, splits);
    partK.dispose();
    partV.dispose();
  }
  stats.dispose();
  return [dq, dk, dv];
}
