/**
 * Specs of the fused attention family (shaders/attention.wgsl, and the forward for 8-lane
 * subgroups in shaders/attention_subgroup.wgsl) and float64 references of its forward, backward
 * and attention weights. Operands of the references are contiguous row-major:
 * q (B, H, Lq, D), k (B, H, Lk, D), v (B, H, Lk, Dv), mask (B, Lk) (nonzero = attend).
 */
import { defineKernel, grid1d, GRID_BASE_UNIFORM, type Constants, type Workgroups } from './spec.js';
import type { UniformValues } from './reflect.js';

export const ATTENTION_UNIFORMS = [
  'batch', 'heads', 'len_q', 'len_k', 'dim', 'dim_v', 'splits', 'span', 'scale', 'has_mask',
  'q_offset', 'k_offset', 'v_offset', 'mask_offset', 'grad_out_offset', 'mask_stride_b', 'mask_stride_k',
  'q_strides', 'k_strides', 'v_strides', 'grad_out_strides', GRID_BASE_UNIFORM,
] as const;

/** Largest head dimension (D and Dv) the kernels take: the length of the tiled kernels' row arrays. */
export const ATTENTION_MAX_HEAD_DIM = 128;

/** The lse of a row with no attended key: a finite stand-in for log(0) = -inf. */
export const ATTENTION_EMPTY_LSE = -1e30;

/**
 * Tuning of the three structures: `lines` (CPU adapters: register blocks, no barriers, head dims
 * at run time), `tiled` (GPUs: rows in registers, workgroup-memory tiles) and `subgroup` (CPU
 * adapters with 8-lane subgroups: the forward shares query rows and probabilities by shuffles and
 * reads every operand as vec4s; its backward is the lines kernels'). The tiled and subgroup
 * kernels also take the head dims HEAD_DIM and HEAD_DIM_V as constants, set per call (a model has
 * one or two).
 */
export const ATTENTION_TUNING = {
  lines: { WG: 8 },
  tiled: { WG: 64, TILE: 16, HEAD_DIM: 64, HEAD_DIM_V: 64 },
  subgroup: { HEAD_DIM: 64, HEAD_DIM_V: 64, KEYS_PER_LANE: 2 },
} as const;

/** Query rows per workgroup of the subgroup forward: one per lane of its 8-lane subgroup. */
export const ATTENTION_SUBGROUP_ROWS = 8;

export type AttentionStrategy = keyof typeof ATTENTION_TUNING;

const n = (u: UniformValues, name: string) => u[name] as number;

/** Grid of the row kernels: x = blocks of WG rows of `rowsField`, y = batch * heads, z = splits. */
const rowGrid = (rowsField: 'len_q' | 'len_k') => (u: UniformValues, c: Constants): Workgroups => [
  Math.ceil(n(u, rowsField) / c.WG),
  n(u, 'batch') * n(u, 'heads'),
  n(u, 'splits'),
];

const perQueryRow = (u: UniformValues, c: Constants) => grid1d(n(u, 'batch') * n(u, 'heads') * n(u, 'len_q'), c.WG);

const base = { shader: 'attention', uniforms: ATTENTION_UNIFORMS, variants: { default: {} } } as const;
const forward = { ...base, inputs: ['q', 'k', 'v', 'mask'], outputs: ['out', 'lse'], dispatch: rowGrid('len_q') } as const;
const backwardQuery = { ...base, inputs: ['q', 'k', 'v', 'mask', 'grad_out', 'stats_in'], outputs: ['grad_q'], dispatch: rowGrid('len_q') } as const;
const backwardKey = { ...base, inputs: ['q', 'k', 'v', 'mask', 'grad_out', 'stats_in'], outputs: ['grad_k', 'grad_v'], dispatch: rowGrid('len_k') } as const;

/** Forward, O and lse per (query row, key split): CPU structure. */
export const attentionForwardLinesKernel = defineKernel({
  ...forward, name: 'attention_forward_lines', entryPoint: 'attention_forward_lines', constants: ATTENTION_TUNING.lines,
});

/** Forward, O and lse per (query row, key split): GPU structure. */
export const attentionForwardTiledKernel = defineKernel({
  ...forward, name: 'attention_forward_tiled', entryPoint: 'attention_forward_tiled', constants: ATTENTION_TUNING.tiled,
});

/**
 * Forward, O and lse per (query row, key split): 8-lane subgroup structure. Reads q, k, v as vec4s
 * (head dims multiples of 4, unit inner strides, offsets and outer strides multiples of 4) and
 * writes O through `out4`.
 */
export const attentionForwardSubgroupKernel = defineKernel({
  ...base, shader: 'attention_subgroup', name: 'attention_forward_subgroup', entryPoint: 'attention_forward_subgroup',
  inputs: ['q4', 'k4', 'v4', 'mask'], outputs: ['out4', 'lse'], constants: ATTENTION_TUNING.subgroup,
  dispatch: (u) => [Math.ceil(n(u, 'len_q') / ATTENTION_SUBGROUP_ROWS), n(u, 'batch') * n(u, 'heads'), n(u, 'splits')],
});

/** Merges the key splits' partial (O_s, lse_s), read through `o` and `lse_in`. */
export const attentionCombineKernel = defineKernel({
  ...base, name: 'attention_combine', entryPoint: 'attention_combine',
  inputs: ['o', 'lse_in'], outputs: ['out', 'lse'], constants: { WG: 64 }, dispatch: perQueryRow,
});

/** Backward prologue: stats (B, H, Lq, 2) = (lse, rowsum(dO * O)). */
export const attentionRowStatsKernel = defineKernel({
  ...base, name: 'attention_row_stats', entryPoint: 'attention_row_stats',
  inputs: ['o', 'lse_in', 'grad_out'], outputs: ['stats'], constants: { WG: 64 }, dispatch: perQueryRow,
});

/** dQ per (query row, key split): CPU structure. */
export const attentionBackwardQueryLinesKernel = defineKernel({
  ...backwardQuery, name: 'attention_backward_query_lines', entryPoint: 'attention_backward_query_lines', constants: ATTENTION_TUNING.lines,
});

/** dQ per (query row, key split): GPU structure. */
export const attentionBackwardQueryTiledKernel = defineKernel({
  ...backwardQuery, name: 'attention_backward_query_tiled', entryPoint: 'attention_backward_query_tiled', constants: ATTENTION_TUNING.tiled,
});

/** dK and dV per (key row, query split): CPU structure. */
export const attentionBackwardKeyLinesKernel = defineKernel({
  ...backwardKey, name: 'attention_backward_key_lines', entryPoint: 'attention_backward_key_lines', constants: ATTENTION_TUNING.lines,
});

/** dK and dV per (key row, query split): GPU structure. */
export const attentionBackwardKeyTiledKernel = defineKernel({
  ...backwardKey, name: 'attention_backward_key_tiled', entryPoint: 'attention_backward_key_tiled', constants: ATTENTION_TUNING.tiled,
});

/** The probabilities P (B, H, Lq, Lk). */
export const attentionWeightsKernel = defineKernel({
  ...base, name: 'attention_weights', entryPoint: 'attention_weights',
  inputs: ['q', 'k', 'mask'], outputs: ['weights'], constants: { WG: 64 }, dispatch: perQueryRow,
});

/** Grid of the GEMM backward's elementwise kernels: x = blocks of WG keys, y = batch * heads, z = query rows. */
const scoreGrid = (u: UniformValues, c: Constants): Workgroups => [Math.ceil(n(u, 'len_k') / c.WG), n(u, 'batch') * n(u, 'heads'), n(u, 'len_q')];

/** GEMM backward: P (B, H, Lq, Lk) = exp(S - lse) on attended keys, from the scores S and lse. */
export const attentionProbsKernel = defineKernel({
  ...base, name: 'attention_probs', entryPoint: 'attention_probs',
  inputs: ['scores', 'lse_in', 'mask'], outputs: ['weights'], constants: { WG: 32 }, dispatch: scoreGrid,
});

/** GEMM backward: dS = P (dP - delta), from dP (`scores`), P (`probs_in`) and the row stats. */
export const attentionScoreGradKernel = defineKernel({
  ...base, name: 'attention_score_grad', entryPoint: 'attention_score_grad',
  inputs: ['scores', 'probs_in', 'stats_in'], outputs: ['weights'], constants: { WG: 32 }, dispatch: scoreGrid,
});

/** Grid of their vec4 forms: x = blocks of WG vec4s of keys. */
const scoreGrid4 = (u: UniformValues, c: Constants): Workgroups => [Math.ceil(n(u, 'len_k') / 4 / c.WG), n(u, 'batch') * n(u, 'heads'), n(u, 'len_q')];

/** attention_probs on 4 keys per invocation (Lk a multiple of 4). */
export const attentionProbsVec4Kernel = defineKernel({
  ...base, name: 'attention_probs_vec4', entryPoint: 'attention_probs_vec4',
  inputs: ['scores4', 'lse_in', 'mask'], outputs: ['weights4'], constants: { WG: 8 }, dispatch: scoreGrid4,
});

/** attention_score_grad on 4 keys per invocation (Lk a multiple of 4). */
export const attentionScoreGradVec4Kernel = defineKernel({
  ...base, name: 'attention_score_grad_vec4', entryPoint: 'attention_score_grad_vec4',
  inputs: ['scores4', 'probs4_in', 'stats_in'], outputs: ['weights4'], constants: { WG: 8 }, dispatch: scoreGrid4,
});

/** The row kernels of each structure (the subgroup structure's backward is the lines kernels). */
export const ATTENTION_KERNELS = {
  lines: { forward: attentionForwardLinesKernel, backwardQuery: attentionBackwardQueryLinesKernel, backwardKey: attentionBackwardKeyLinesKernel },
  tiled: { forward: attentionForwardTiledKernel, backwardQuery: attentionBackwardQueryTiledKernel, backwardKey: attentionBackwardKeyTiledKernel },
  subgroup: { forward: attentionForwardSubgroupKernel, backwardQuery: attentionBackwardQueryLinesKernel, backwardKey: attentionBackwardKeyLinesKernel },
} as const;

export interface AttentionDims {
  batch: number;
  heads: number;
  lenQ: number;
  lenK: number;
  dim: number;
  dimV: number;
}

/** Float64 scores of one (b, h, i) row: scale * q_i . k_j, null where the key is padded. */
function scoreRow(q: ArrayLike<number>, k: ArrayLike<number>, mask: ArrayLike<number> | null, g: AttentionDims, bh: number, i: number, scale: number): (number | null)[] {
  const b = Math.floor(bh / g.heads);
  const row: (number | null)[] = [];
  for (let j = 0; j < g.lenK; j++) {
    if (mask && mask[b * g.lenK + j] === 0) {
      row.push(null);
      continue;
    }
    let s = 0;
    for (let d = 0; d < g.dim; d++) s += q[(bh * g.lenQ + i) * g.dim + d] * k[(bh * g.lenK + j) * g.dim + d];
    row.push(s * scale);
  }
  return row;
}

/** Float64 softmax of a score row (padded keys 0; all zeros when no key is attended) and its lse. */
function probabilities(scores: (number | null)[]): { p: number[]; lse: number } {
  let m = -Infinity;
  for (const s of scores) if (s !== null) m = Math.max(m, s);
  if (m === -Infinity) return { p: scores.map(() => 0), lse: ATTENTION_EMPTY_LSE };
  let l = 0;
  for (const s of scores) if (s !== null) l += Math.exp(s - m);
  return { p: scores.map((s) => (s === null ? 0 : Math.exp(s - m) / l)), lse: m + Math.log(l) };
}

/** Float64 attention weights P (B, H, Lq, Lk). */
export function attentionWeightsReference(q: ArrayLike<number>, k: ArrayLike<number>, mask: ArrayLike<number> | null, g: AttentionDims, scale: number): Float64Array {
  const out = new Float64Array(g.batch * g.heads * g.lenQ * g.lenK);
  for (let bh = 0; bh < g.batch * g.heads; bh++) {
    for (let i = 0; i < g.lenQ; i++) out.set(probabilities(scoreRow(q, k, mask, g, bh, i, scale)).p, (bh * g.lenQ + i) * g.lenK);
  }
  return out;
}

/** Float64 forward: O (B, H, Lq, Dv) and the per-row log-sum-exp (B, H, Lq). */
export function attentionReference(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, mask: ArrayLike<number> | null, g: AttentionDims, scale: number,
): { out: Float64Array; lse: Float64Array } {
  const out = new Float64Array(g.batch * g.heads * g.lenQ * g.dimV);
  const lse = new Float64Array(g.batch * g.heads * g.lenQ);
  for (let bh = 0; bh < g.batch * g.heads; bh++) {
    for (let i = 0; i < g.lenQ; i++) {
      const r = probabilities(scoreRow(q, k, mask, g, bh, i, scale));
      const row = bh * g.lenQ + i;
      lse[row] = r.lse;
      for (let j = 0; j < g.lenK; j++) {
        for (let e = 0; e < g.dimV; e++) out[row * g.dimV + e] += r.p[j] * v[(bh * g.lenK + j) * g.dimV + e];
      }
    }
  }
  return { out, lse };
}

/**
 * Float64 backward from the output gradient gradOut (B, H, Lq, Dv):
 * dS_ij = P_ij (dO_i . V_j - dO_i . O_i); dQ = scale dS K; dK = scale dS^T Q; dV = P^T dO.
 */
export function attentionBackwardReference(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, mask: ArrayLike<number> | null, gradOut: ArrayLike<number>,
  g: AttentionDims, scale: number,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const dq = new Float64Array(g.batch * g.heads * g.lenQ * g.dim);
  const dk = new Float64Array(g.batch * g.heads * g.lenK * g.dim);
  const dv = new Float64Array(g.batch * g.heads * g.lenK * g.dimV);
  const { out } = attentionReference(q, k, v, mask, g, scale);
  for (let bh = 0; bh < g.batch * g.heads; bh++) {
    for (let i = 0; i < g.lenQ; i++) {
      const { p } = probabilities(scoreRow(q, k, mask, g, bh, i, scale));
      const row = bh * g.lenQ + i;
      let delta = 0;
      for (let e = 0; e < g.dimV; e++) delta += gradOut[row * g.dimV + e] * out[row * g.dimV + e];
      for (let j = 0; j < g.lenK; j++) {
        if (p[j] === 0) continue;
        const kr = bh * g.lenK + j;
        let dp = 0;
        for (let e = 0; e < g.dimV; e++) {
          dp += gradOut[row * g.dimV + e] * v[kr * g.dimV + e];
          dv[kr * g.dimV + e] += p[j] * gradOut[row * g.dimV + e];
        }
        const ds = p[j] * (dp - delta);
        for (let d = 0; d < g.dim; d++) {
          dq[row * g.dim + d] += scale * ds * k[kr * g.dim + d];
          dk[kr * g.dim + d] += scale * ds * q[row * g.dim + d];
        }
      }
    }
  }
  return { dq, dk, dv };
}
