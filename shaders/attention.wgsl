// Fused multi-head attention O = softmax(Q K^T * scale, masked) V and its recomputing backward.
// Q (B, H, Lq, D), K (B, H, Lk, D), V (B, H, Lk, Dv) and the output gradient dO are read in place
// through their strides (any view: permuted projections, heads broadcast by expand); the key
// padding mask (B, Lk) marks attended keys with a nonzero value. Scores never reach memory: every
// kernel recomputes the dot products it needs.
//
// Work split: each invocation owns one row (a query row in the forward and dQ kernels, a key row
// in the dK/dV kernels) and walks the other sequence within one split of it (grid z): a split
// holds `span` keys (forward, dQ) or queries (dK/dV). With several splits each writes a partial
// result that attention_combine (forward: log-sum-exp merge) or a sum over splits (backward)
// folds, deterministically (no atomics), so few rows over a long sequence still fill the device.
//
// Two structures of each row kernel:
//   *_lines (CPU adapters): no barriers and no per-row arrays. The walked rows go in register
//     blocks of BLOCK (their dot products accumulate together over a runtime-length head-dim
//     loop, one read of the own row's element serving BLOCK of them) and the row's accumulator
//     lives in its output row, updated once per block. Compiles fast for any head dim.
//   *_tiled (GPUs): the row (and its accumulators) in private arrays of compile-time length
//     HEAD_DIM / HEAD_DIM_V, so they stay in registers; TILE walked rows at a time are staged in
//     workgroup memory by the WG invocations together.
// Kernels:
//   attention_forward_*:         online softmax (running max m and sum l, the accumulator
//                                rescaled when m grows); O and lse = m + log(l) per row and split
//   attention_combine:           merges the splits' (O_s, lse_s) into O and lse
//   attention_row_stats:         stats[row] = (lse, delta = dO . O) for the backward
//   attention_backward_query_*:  dQ_i = scale * sum_j P_ij (dO_i . V_j - delta_i) K_j
//   attention_backward_key_*:    dK_j = scale * sum_i dS_ij Q_i, dV_j = sum_i P_ij dO_i
//   attention_weights:           P itself (B, H, Lq, Lk), for inspection
//   attention_probs:             P = exp(S - lse) from materialised scores S (the GEMM backward)
//   attention_score_grad:        dS = P (dP - delta) from materialised P and dP (the GEMM backward)
//   (and *_vec4: the same on 4 keys per invocation, when Lk is a multiple of 4)
// with P_ij = exp(scale * Q_i . K_j - lse_i) recomputed. A row with no attended key (all padded,
// or Lk = 0) outputs 0 and gets zero gradients; its lse is EMPTY_LSE, a finite stand-in for -inf
// (WGSL constants cannot hold infinities). Padded keys get zero dK and dV.
// Note: arrays declared without initialiser inside a loop body are not re-zeroed per iteration by
// every compiler here; the kernels initialise them explicitly.

struct Params {
  batch: u32,
  heads: u32,
  len_q: u32,
  len_k: u32,
  dim: u32,
  dim_v: u32,
  splits: u32,
  span: u32,
  scale: f32,
  has_mask: u32,
  q_offset: u32,
  k_offset: u32,
  v_offset: u32,
  mask_offset: u32,
  grad_out_offset: u32,
  mask_stride_b: u32,
  mask_stride_k: u32,
  q_strides: vec4<u32>,
  k_strides: vec4<u32>,
  v_strides: vec4<u32>,
  grad_out_strides: vec4<u32>,
  // Workgroup origin of this dispatch when the runtime splits a grid past the device's
  // per-dimension limit into repeated dispatches (0 otherwise): wid = workgroup_id + wg_base.
  wg_base: vec4<u32>,
}

// Largest head dimension (D and Dv): the length of the tiled kernels' row arrays and tile rows.
const D_MAX: u32 = 128u;
const EMPTY_LSE: f32 = -1.0e30;
// Walked rows per register block of the lines kernels.
const BLOCK: u32 = 8u;

override WG: u32 = 64u;
// Tiled kernels: walked rows staged per workgroup-memory tile (TILE * D_MAX floats per array) and
// the head dims D and Dv of the call (compile-time, so the row loops unroll into registers).
override TILE: u32 = 16u;
override HEAD_DIM: u32 = 64u;
override HEAD_DIM_V: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;
@group(0) @binding(7) var<storage, read> o: array<f32>;
@group(0) @binding(8) var<storage, read> lse_in: array<f32>;
@group(0) @binding(9) var<storage, read> grad_out: array<f32>;
@group(0) @binding(10) var<storage, read_write> stats: array<f32>;
@group(0) @binding(11) var<storage, read> stats_in: array<f32>;
@group(0) @binding(12) var<storage, read_write> grad_q: array<f32>;
@group(0) @binding(13) var<storage, read_write> grad_k: array<f32>;
@group(0) @binding(14) var<storage, read_write> grad_v: array<f32>;
@group(0) @binding(15) var<storage, read_write> weights: array<f32>;
@group(0) @binding(16) var<storage, read> scores: array<f32>;
@group(0) @binding(17) var<storage, read> probs_in: array<f32>;
@group(0) @binding(18) var<storage, read> scores4: array<vec4<f32>>;
@group(0) @binding(19) var<storage, read> probs4_in: array<vec4<f32>>;
@group(0) @binding(20) var<storage, read_write> weights4: array<vec4<f32>>;

var<workgroup> tile_a: array<f32, TILE * D_MAX>;
var<workgroup> tile_b: array<f32, TILE * D_MAX>;

// Element 0 of a row of each operand (element d of the row is at base + d * strides.w).
fn q_base(b: u32, h: u32, i: u32) -> u32 {
  return params.q_offset + b * params.q_strides.x + h * params.q_strides.y + i * params.q_strides.z;
}

fn k_base(b: u32, h: u32, j: u32) -> u32 {
  return params.k_offset + b * params.k_strides.x + h * params.k_strides.y + j * params.k_strides.z;
}

fn v_base(b: u32, h: u32, j: u32) -> u32 {
  return params.v_offset + b * params.v_strides.x + h * params.v_strides.y + j * params.v_strides.z;
}

fn grad_out_base(b: u32, h: u32, i: u32) -> u32 {
  return params.grad_out_offset + b * params.grad_out_strides.x + h * params.grad_out_strides.y + i * params.grad_out_strides.z;
}

fn key_attended(b: u32, j: u32) -> bool {
  if (params.has_mask == 0u) {
    return true;
  }
  return mask[params.mask_offset + b * params.mask_stride_b + j * params.mask_stride_k] != 0.0;
}

// ---- lines kernels: grid x = blocks of WG rows, y = batch * heads, z = splits ----

@compute @workgroup_size(WG)
fn attention_forward_lines(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let i = wid.x * WG + lid;
  if (i >= params.len_q) {
    return;
  }
  let bh = wid.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let qb = q_base(b, h, i);
  let row = (wid.z * params.batch * params.heads + bh) * params.len_q + i;
  let dst = row * params.dim_v;
  for (var e = 0u; e < params.dim_v; e++) {
    out[dst + e] = 0.0;
  }
  var m = EMPTY_LSE;
  var l = 0.0;
  let start = wid.z * params.span;
  let end = min(start + params.span, params.len_k);
  for (var j0 = start; j0 < end; j0 += BLOCK) {
    var kb: array<u32, BLOCK>;
    var vb: array<u32, BLOCK>;
    var live: array<bool, BLOCK>;
    var s: array<f32, BLOCK>;
    var any_live = false;
    for (var t = 0u; t < BLOCK; t++) {
      let j = min(j0 + t, end - 1u);
      kb[t] = k_base(b, h, j);
      vb[t] = v_base(b, h, j);
      live[t] = j0 + t < end && key_attended(b, j);
      any_live = any_live || live[t];
      s[t] = 0.0;
    }
    if (!any_live) {
      continue;
    }
    for (var d = 0u; d < params.dim; d++) {
      let qd = q[qb + d * params.q_strides.w];
      for (var t = 0u; t < BLOCK; t++) {
        s[t] = fma(qd, k[kb[t] + d * params.k_strides.w], s[t]);
      }
    }
    var m_new = m;
    for (var t = 0u; t < BLOCK; t++) {
      s[t] *= params.scale;
      m_new = select(m_new, max(m_new, s[t]), live[t]);
    }
    let c = exp(m - m_new);
    var p: array<f32, BLOCK>;
    l *= c;
    for (var t = 0u; t < BLOCK; t++) {
      p[t] = select(0.0, exp(s[t] - m_new), live[t]);
      l += p[t];
    }
    m = m_new;
    for (var e = 0u; e < params.dim_v; e++) {
      var a = out[dst + e] * c;
      for (var t = 0u; t < BLOCK; t++) {
        a = fma(p[t], v[vb[t] + e * params.v_strides.w], a);
      }
      out[dst + e] = a;
    }
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var e = 0u; e < params.dim_v; e++) {
    out[dst + e] *= inv;
  }
  lse[row] = select(EMPTY_LSE, m + log(l), l > 0.0);
}

// Writes scale * (the split's part of dQ) to grad_q[(split * rows + row) * D ..].
@compute @workgroup_size(WG)
fn attention_backward_query_lines(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let i = wid.x * WG + lid;
  if (i >= params.len_q) {
    return;
  }
  let bh = wid.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let row = bh * params.len_q + i;
  let row_lse = stats_in[2u * row];
  let row_delta = stats_in[2u * row + 1u];
  let qb = q_base(b, h, i);
  let gb = grad_out_base(b, h, i);
  let dst = (wid.z * params.batch * params.heads * params.len_q + row) * params.dim;
  for (var d = 0u; d < params.dim; d++) {
    grad_q[dst + d] = 0.0;
  }
  let start = wid.z * params.span;
  let end = min(start + params.span, params.len_k);
  for (var j0 = start; j0 < end; j0 += BLOCK) {
    var kb: array<u32, BLOCK>;
    var vb: array<u32, BLOCK>;
    var live: array<bool, BLOCK>;
    var s: array<f32, BLOCK>;
    var dp: array<f32, BLOCK>;
    var any_live = false;
    for (var t = 0u; t < BLOCK; t++) {
      let j = min(j0 + t, end - 1u);
      kb[t] = k_base(b, h, j);
      vb[t] = v_base(b, h, j);
      live[t] = j0 + t < end && key_attended(b, j);
      any_live = any_live || live[t];
      s[t] = 0.0;
      dp[t] = 0.0;
    }
    if (!any_live) {
      continue;
    }
    for (var d = 0u; d < params.dim; d++) {
      let qd = q[qb + d * params.q_strides.w];
      for (var t = 0u; t < BLOCK; t++) {
        s[t] = fma(qd, k[kb[t] + d * params.k_strides.w], s[t]);
      }
    }
    for (var e = 0u; e < params.dim_v; e++) {
      let ge = grad_out[gb + e * params.grad_out_strides.w];
      for (var t = 0u; t < BLOCK; t++) {
        dp[t] = fma(ge, v[vb[t] + e * params.v_strides.w], dp[t]);
      }
    }
    var ds: array<f32, BLOCK>;
    for (var t = 0u; t < BLOCK; t++) {
      ds[t] = select(0.0, exp(s[t] * params.scale - row_lse) * (dp[t] - row_delta), live[t]);
    }
    for (var d = 0u; d < params.dim; d++) {
      var a = grad_q[dst + d];
      for (var t = 0u; t < BLOCK; t++) {
        a = fma(ds[t], k[kb[t] + d * params.k_strides.w], a);
      }
      grad_q[dst + d] = a;
    }
  }
  for (var d = 0u; d < params.dim; d++) {
    grad_q[dst + d] *= params.scale;
  }
}

// Writes the split's part of dK (scaled) and dV to grad_k[(split * key_rows + key_row) * D ..] and
// grad_v likewise; padded keys get zeros.
@compute @workgroup_size(WG)
fn attention_backward_key_lines(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let j = wid.x * WG + lid;
  if (j >= params.len_k) {
    return;
  }
  let bh = wid.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let dst = wid.z * params.batch * params.heads * params.len_k + bh * params.len_k + j;
  let dk_at = dst * params.dim;
  let dv_at = dst * params.dim_v;
  for (var d = 0u; d < params.dim; d++) {
    grad_k[dk_at + d] = 0.0;
  }
  for (var e = 0u; e < params.dim_v; e++) {
    grad_v[dv_at + e] = 0.0;
  }
  if (!key_attended(b, j)) {
    return;
  }
  let kb = k_base(b, h, j);
  let vb = v_base(b, h, j);
  let start = wid.z * params.span;
  let end = min(start + params.span, params.len_q);
  for (var i0 = start; i0 < end; i0 += BLOCK) {
    var qb: array<u32, BLOCK>;
    var gb: array<u32, BLOCK>;
    var row_lse: array<f32, BLOCK>;
    var row_delta: array<f32, BLOCK>;
    var s: array<f32, BLOCK>;
    var dp: array<f32, BLOCK>;
    for (var t = 0u; t < BLOCK; t++) {
      let i = min(i0 + t, end - 1u);
      let row = bh * params.len_q + i;
      qb[t] = q_base(b, h, i);
      gb[t] = grad_out_base(b, h, i);
      row_lse[t] = stats_in[2u * row];
      row_delta[t] = stats_in[2u * row + 1u];
      s[t] = 0.0;
      dp[t] = 0.0;
    }
    for (var d = 0u; d < params.dim; d++) {
      let kd = k[kb + d * params.k_strides.w];
      for (var t = 0u; t < BLOCK; t++) {
        s[t] = fma(q[qb[t] + d * params.q_strides.w], kd, s[t]);
      }
    }
    for (var e = 0u; e < params.dim_v; e++) {
      let ve = v[vb + e * params.v_strides.w];
      for (var t = 0u; t < BLOCK; t++) {
        dp[t] = fma(grad_out[gb[t] + e * params.grad_out_strides.w], ve, dp[t]);
      }
    }
    var p: array<f32, BLOCK>;
    var ds: array<f32, BLOCK>;
    for (var t = 0u; t < BLOCK; t++) {
      p[t] = select(0.0, exp(s[t] * params.scale - row_lse[t]), i0 + t < end);
      ds[t] = p[t] * (dp[t] - row_delta[t]);
    }
    for (var d = 0u; d < params.dim; d++) {
      var a = grad_k[dk_at + d];
      for (var t = 0u; t < BLOCK; t++) {
        a = fma(ds[t], q[qb[t] + d * params.q_strides.w], a);
      }
      grad_k[dk_at + d] = a;
    }
    for (var e = 0u; e < params.dim_v; e++) {
      var a = grad_v[dv_at + e];
      for (var t = 0u; t < BLOCK; t++) {
        a = fma(p[t], grad_out[gb[t] + e * params.grad_out_strides.w], a);
      }
      grad_v[dv_at + e] = a;
    }
  }
  for (var d = 0u; d < params.dim; d++) {
    grad_k[dk_at + d] *= params.scale;
  }
}

// ---- tiled kernels: grid x = blocks of WG rows, y = batch * heads, z = splits ----
// Invocations past the last row walk a valid row (clamped) so every barrier is reached by the
// whole workgroup, and skip the final write.

// Stages K and V rows start .. start+count-1 into tile_a / tile_b (row stride D_MAX).
fn stage_keys(b: u32, h: u32, start: u32, count: u32, lid: u32) {
  workgroupBarrier();
  for (var t = lid; t < count * HEAD_DIM; t += WG) {
    let r = t / max(HEAD_DIM, 1u);
    let d = t % max(HEAD_DIM, 1u);
    tile_a[r * D_MAX + d] = k[k_base(b, h, start + r) + d * params.k_strides.w];
  }
  for (var t = lid; t < count * HEAD_DIM_V; t += WG) {
    let r = t / max(HEAD_DIM_V, 1u);
    let e = t % max(HEAD_DIM_V, 1u);
    tile_b[r * D_MAX + e] = v[v_base(b, h, start + r) + e * params.v_strides.w];
  }
  workgroupBarrier();
}

// Stages Q and dO rows start .. start+count-1 into tile_a / tile_b (row stride D_MAX).
fn stage_queries(b: u32, h: u32, start: u32, count: u32, lid: u32) {
  workgroupBarrier();
  for (var t = lid; t < count * HEAD_DIM; t += WG) {
    let r = t / max(HEAD_DIM, 1u);
    let d = t % max(HEAD_DIM, 1u);
    tile_a[r * D_MAX + d] = q[q_base(b, h, start + r) + d * params.q_strides.w];
  }
  for (var t = lid; t < count * HEAD_DIM_V; t += WG) {
    let r = t / max(HEAD_DIM_V, 1u);
    let e = t % max(HEAD_DIM_V, 1u);
    tile_b[r * D_MAX + e] = grad_out[grad_out_base(b, h, start + r) + e * params.grad_out_strides.w];
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn attention_forward_tiled(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let bh = wid.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let i_raw = wid.x * WG + lid;
  let i = min(i_raw, params.len_q - 1u);
  var qv: array<f32, D_MAX>;
  let qb = q_base(b, h, i);
  for (var d = 0u; d < HEAD_DIM; d++) {
    qv[d] = q[qb + d * params.q_strides.w];
  }
  var acc: array<f32, D_MAX>;
  var m = EMPTY_LSE;
  var l = 0.0;
  let start = wid.z * params.span;
  let end = min(start + params.span, params.len_k);
  for (var j0 = start; j0 < end; j0 += TILE) {
    let count = min(TILE, end - j0);
    stage_keys(b, h, j0, count, lid);
    for (var t = 0u; t < count; t++) {
      if (!key_attended(b, j0 + t)) {
        continue;
      }
      var s = 0.0;
      for (var d = 0u; d < HEAD_DIM; d++) {
        s = fma(qv[d], tile_a[t * D_MAX + d], s);
      }
      s *= params.scale;
      if (s > m) {
        let c = exp(m - s);
        l *= c;
        for (var e = 0u; e < HEAD_DIM_V; e++) {
          acc[e] *= c;
        }
        m = s;
      }
      let p = exp(s - m);
      l += p;
      for (var e = 0u; e < HEAD_DIM_V; e++) {
        acc[e] = fma(p, tile_b[t * D_MAX + e], acc[e]);
      }
    }
  }
  if (i_raw >= params.len_q) {
    return;
  }
  let row = (wid.z * params.batch * params.heads + bh) * params.len_q + i;
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var e = 0u; e < HEAD_DIM_V; e++) {
    out[row * HEAD_DIM_V + e] = acc[e] * inv;
  }
  lse[row] = select(EMPTY_LSE, m + log(l), l > 0.0);
}

@compute @workgroup_size(WG)
fn attention_backward_query_tiled(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let bh = wid.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let i_raw = wid.x * WG + lid;
  let i = min(i_raw, params.len_q - 1u);
  let row = bh * params.len_q + i;
  let row_lse = stats_in[2u * row];
  let row_delta = stats_in[2u * row + 1u];
  var qv: array<f32, D_MAX>;
  var gv: array<f32, D_MAX>;
  var dq: array<f32, D_MAX>;
  let qb = q_base(b, h, i);
  for (var d = 0u; d < HEAD_DIM; d++) {
    qv[d] = q[qb + d * params.q_strides.w];
  }
  let gb = grad_out_base(b, h, i);
  for (var e = 0u; e < HEAD_DIM_V; e++) {
    gv[e] = grad_out[gb + e * params.grad_out_strides.w];
  }
  let start = wid.z * params.span;
  let end = min(start + params.span, params.len_k);
  for (var j0 = start; j0 < end; j0 += TILE) {
    let count = min(TILE, end - j0);
    stage_keys(b, h, j0, count, lid);
    for (var t = 0u; t < count; t++) {
      if (!key_attended(b, j0 + t)) {
        continue;
      }
      var s = 0.0;
      for (var d = 0u; d < HEAD_DIM; d++) {
        s = fma(qv[d], tile_a[t * D_MAX + d], s);
      }
      var dp = 0.0;
      for (var e = 0u; e < HEAD_DIM_V; e++) {
        dp = fma(gv[e], tile_b[t * D_MAX + e], dp);
      }
      let ds = exp(s * params.scale - row_lse) * (dp - row_delta);
      for (var d = 0u; d < HEAD_DIM; d++) {
        dq[d] = fma(ds, tile_a[t * D_MAX + d], dq[d]);
      }
    }
  }
  if (i_raw >= params.len_q) {
    return;
  }
  let dst = (wid.z * params.batch * params.heads * params.len_q + row) * HEAD_DIM;
  for (var d = 0u; d < HEAD_DIM; d++) {
    grad_q[dst + d] = params.scale * dq[d];
  }
}

@compute @workgroup_size(WG)
fn attention_backward_key_tiled(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let bh = wid.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let j_raw = wid.x * WG + lid;
  let j = min(j_raw, params.len_k - 1u);
  let attended = key_attended(b, j);
  var kv: array<f32, D_MAX>;
  var vv: array<f32, D_MAX>;
  var dk: array<f32, D_MAX>;
  var dv: array<f32, D_MAX>;
  let kb = k_base(b, h, j);
  for (var d = 0u; d < HEAD_DIM; d++) {
    kv[d] = k[kb + d * params.k_strides.w];
  }
  let vb = v_base(b, h, j);
  for (var e = 0u; e < HEAD_DIM_V; e++) {
    vv[e] = v[vb + e * params.v_strides.w];
  }
  let start = wid.z * params.span;
  let end = min(start + params.span, params.len_q);
  for (var i0 = start; i0 < end; i0 += TILE) {
    let count = min(TILE, end - i0);
    stage_queries(b, h, i0, count, lid);
    for (var t = 0u; t < count; t++) {
      if (!attended) {
        continue;
      }
      let row = bh * params.len_q + i0 + t;
      var s = 0.0;
      for (var d = 0u; d < HEAD_DIM; d++) {
        s = fma(tile_a[t * D_MAX + d], kv[d], s);
      }
      let p = exp(s * params.scale - stats_in[2u * row]);
      var dp = 0.0;
      for (var e = 0u; e < HEAD_DIM_V; e++) {
        let g = tile_b[t * D_MAX + e];
        dp = fma(g, vv[e], dp);
        dv[e] = fma(p, g, dv[e]);
      }
      let ds = p * (dp - stats_in[2u * row + 1u]);
      for (var d = 0u; d < HEAD_DIM; d++) {
        dk[d] = fma(ds, tile_a[t * D_MAX + d], dk[d]);
      }
    }
  }
  if (j_raw >= params.len_k) {
    return;
  }
  let dst = wid.z * params.batch * params.heads * params.len_k + bh * params.len_k + j;
  for (var d = 0u; d < HEAD_DIM; d++) {
    grad_k[dst * HEAD_DIM + d] = params.scale * dk[d];
  }
  for (var e = 0u; e < HEAD_DIM_V; e++) {
    grad_v[dst * HEAD_DIM_V + e] = dv[e];
  }
}

// ---- per-row kernels shared by both structures: one invocation per (batch, head, query row) ----

// out/lse of the forward kernel's splits, read here through `o` and `lse_in`: O_s at
// o[(s * rows + row) * Dv ..], lse_s at lse_in[s * rows + row]. Writes
// O = sum_s exp(lse_s - lse) O_s and lse = log(sum_s exp(lse_s)) to `out` and `lse`.
@compute @workgroup_size(WG)
fn attention_combine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * WG;
  let rows = params.batch * params.heads * params.len_q;
  if (row >= rows) {
    return;
  }
  var m = EMPTY_LSE;
  for (var s = 0u; s < params.splits; s++) {
    m = max(m, lse_in[s * rows + row]);
  }
  if (m <= EMPTY_LSE) {
    for (var e = 0u; e < params.dim_v; e++) {
      out[row * params.dim_v + e] = 0.0;
    }
    lse[row] = EMPTY_LSE;
    return;
  }
  var total = 0.0;
  for (var s = 0u; s < params.splits; s++) {
    total += exp(lse_in[s * rows + row] - m);
  }
  for (var e = 0u; e < params.dim_v; e++) {
    var acc = 0.0;
    for (var s = 0u; s < params.splits; s++) {
      acc += exp(lse_in[s * rows + row] - m) * o[(s * rows + row) * params.dim_v + e];
    }
    out[row * params.dim_v + e] = acc / total;
  }
  lse[row] = m + log(total);
}

// stats[2 row] = lse (from lse_in), stats[2 row + 1] = delta = dO . O (O contiguous, in `o`).
@compute @workgroup_size(WG)
fn attention_row_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= params.batch * params.heads * params.len_q) {
    return;
  }
  let i = row % params.len_q;
  let bh = row / params.len_q;
  let gb = grad_out_base(bh / params.heads, bh % params.heads, i);
  var total = 0.0;
  for (var e = 0u; e < params.dim_v; e++) {
    total = fma(grad_out[gb + e * params.grad_out_strides.w], o[row * params.dim_v + e], total);
  }
  stats[2u * row] = lse_in[row];
  stats[2u * row + 1u] = total;
}

// The row of probabilities, in two passes (online max and sum, then exp(s - m) / l); padded keys
// and rows with no attended key get 0.
@compute @workgroup_size(WG)
fn attention_weights(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= params.batch * params.heads * params.len_q) {
    return;
  }
  let i = row % params.len_q;
  let bh = row / params.len_q;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let qb = q_base(b, h, i);
  var m = EMPTY_LSE;
  var l = 0.0;
  for (var j = 0u; j < params.len_k; j++) {
    if (!key_attended(b, j)) {
      continue;
    }
    let s = params.scale * score(qb, k_base(b, h, j));
    if (s > m) {
      l *= exp(m - s);
      m = s;
    }
    l += exp(s - m);
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var j = 0u; j < params.len_k; j++) {
    var p = 0.0;
    if (key_attended(b, j)) {
      p = exp(params.scale * score(qb, k_base(b, h, j)) - m) * inv;
    }
    weights[row * params.len_k + j] = p;
  }
}

// Q_i . K_j for rows at q[qb ..] and k[kb ..].
fn score(qb: u32, kb: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < params.dim; d++) {
    s = fma(q[qb + d * params.q_strides.w], k[kb + d * params.k_strides.w], s);
  }
  return s;
}

// ---- elementwise row kernels of the GEMM backward: grid x = blocks of WG keys, y = batch * heads,
// z = query rows; scores, probs_in and weights are contiguous (B, H, Lq, Lk) ----

// weights = P = exp(S - lse) on attended keys, 0 on padded ones (so also on rows with none);
// S (already scaled) in `scores`, lse in `lse_in`.
@compute @workgroup_size(WG)
fn attention_probs(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let j = wid.x * WG + lid;
  if (j >= params.len_k) {
    return;
  }
  let row = wid.y * params.len_q + wid.z;
  let at = row * params.len_k + j;
  weights[at] = select(0.0, exp(scores[at] - lse_in[row]), key_attended(wid.y / params.heads, j));
}

// weights = dS = P (dP - delta): dP in `scores`, P in `probs_in`, delta = stats_in[2 row + 1].
@compute @workgroup_size(WG)
fn attention_score_grad(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let j = wid.x * WG + lid;
  if (j >= params.len_k) {
    return;
  }
  let row = wid.y * params.len_q + wid.z;
  let at = row * params.len_k + j;
  weights[at] = probs_in[at] * (scores[at] - stats_in[2u * row + 1u]);
}

// The two kernels above on 4 keys per invocation (Lk a multiple of 4): x = blocks of WG vec4s.

// Whether each of keys 4 j4 .. 4 j4 + 3 is attended.
fn keys_attended4(b: u32, j4: u32) -> vec4<bool> {
  if (params.has_mask == 0u) {
    return vec4<bool>(true);
  }
  return vec4<bool>(key_attended(b, 4u * j4), key_attended(b, 4u * j4 + 1u), key_attended(b, 4u * j4 + 2u), key_attended(b, 4u * j4 + 3u));
}

@compute @workgroup_size(WG)
fn attention_probs_vec4(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let j4 = wid.x * WG + lid;
  let len4 = params.len_k / 4u;
  if (j4 >= len4) {
    return;
  }
  let row = wid.y * params.len_q + wid.z;
  let at = row * len4 + j4;
  weights4[at] = select(vec4<f32>(0.0), exp(scores4[at] - vec4<f32>(lse_in[row])), keys_attended4(wid.y / params.heads, j4));
}

@compute @workgroup_size(WG)
fn attention_score_grad_vec4(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let j4 = wid.x * WG + lid;
  let len4 = params.len_k / 4u;
  if (j4 >= len4) {
    return;
  }
  let row = wid.y * params.len_q + wid.z;
  let at = row * len4 + j4;
  weights4[at] = probs4_in[at] * (scores4[at] - vec4<f32>(stats_in[2u * row + 1u]));
}
