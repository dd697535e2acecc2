// The attention forward for CPU adapters with 8-lane subgroups (lavapipe on AVX2), in its own file
// because it needs `enable subgroups` (attention.wgsl must compile without it). Same uniform
// struct as attention.wgsl; the same outputs as attention_forward_lines (O and lse per query row
// and key split, merged by attention_combine when there are several splits).
// On a CPU adapter a subgroup is one SIMD register of 8 invocations; a storage load costs about as
// much per lane whether the lanes' addresses differ or not (a vec4 costs little more than a
// scalar), while a shuffle is one register permute. So a workgroup is one subgroup that owns 8
// query rows (one per lane) and walks the keys in tiles of 8 * KEYS_PER_LANE:
//   scores:  lane l loads its query row and the rows of its own keys (j0 + t * 8 + l) as vec4s;
//            the query rows reach every lane by shuffles, so each lane holds S[i, its keys] for
//            the 8 queries i, and every K element is read once per 8 queries;
//   softmax: per query, the tile's max over all lanes (a shuffle butterfly) updates the running
//            max m_i (the same in every lane); each lane keeps its own part of the running sum
//            l_i, summed across lanes at the end;
//   P V:     lane l owns the vec4 chunks l, l + 8, .. of the value dims; for each key of the tile
//            P[i, key] reaches every lane by a shuffle from the lane that computed it, and the
//            lanes read the key's V row together (8 consecutive vec4s).
// Operands are read as vec4s: D and Dv multiples of 4, unit inner strides, and offsets and outer
// strides multiples of 4 (the op checks, and runs the lines kernel otherwise). Queries past Lq
// walk the last row and are not stored; keys past the split or padded get weight 0.

enable subgroups;

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

const SUBGROUP: u32 = 8u;
const EMPTY_LSE: f32 = -1.0e30;
// Largest KEYS_PER_LANE, and value chunks per lane for Dv <= 128 (32 vec4 chunks over 8 lanes).
const MAX_KEYS_PER_LANE: u32 = 4u;
const MAX_VALUE_CHUNKS: u32 = 4u;

// Head dims D and Dv of the call (multiples of 4), and keys per lane per tile (1..MAX_KEYS_PER_LANE).
override HEAD_DIM: u32 = 64u;
override HEAD_DIM_V: u32 = 64u;
override KEYS_PER_LANE: u32 = 2u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;

// Element 0 of a row, in vec4s.
fn row4(offset: u32, strides: vec4<u32>, b: u32, h: u32, r: u32) -> u32 {
  return (offset + b * strides.x + h * strides.y + r * strides.z) / 4u;
}

fn key_attended(b: u32, j: u32) -> bool {
  if (params.has_mask == 0u) {
    return true;
  }
  return mask[params.mask_offset + b * params.mask_stride_b + j * params.mask_stride_k] != 0.0;
}

// The max of x over the 8 lanes, in every lane.
fn lanes_max(x: f32, lane: u32) -> f32 {
  var m = max(x, subgroupShuffle(x, lane ^ 1u));
  m = max(m, subgroupShuffle(m, lane ^ 2u));
  return max(m, subgroupShuffle(m, lane ^ 4u));
}

// The sum of x over the 8 lanes, in every lane.
fn lanes_sum(x: f32, lane: u32) -> f32 {
  var s = x + subgroupShuffle(x, lane ^ 1u);
  s += subgroupShuffle(s, lane ^ 2u);
  return s + subgroupShuffle(s, lane ^ 4u);
}

// grid x = blocks of 8 query rows, y = batch * heads, z = key splits
@compute @workgroup_size(SUBGROUP)
fn attention_forward_subgroup(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let lane = sg_lane % SUBGROUP;
  let bh = wid.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let i0 = wid.x * SUBGROUP;
  let q_row = row4(params.q_offset, params.q_strides, b, h, min(i0 + lane, params.len_q - 1u));
  let chunks = HEAD_DIM / 4u;
  let value_chunks = HEAD_DIM_V / 4u;
  let tile = SUBGROUP * KEYS_PER_LANE;
  var m: array<f32, SUBGROUP>;
  var l: array<f32, SUBGROUP>;
  var acc: array<vec4<f32>, SUBGROUP * MAX_VALUE_CHUNKS>;
  for (var i = 0u; i < SUBGROUP; i++) {
    m[i] = EMPTY_LSE;
    l[i] = 0.0;
    for (var u = 0u; u < MAX_VALUE_CHUNKS; u++) {
      acc[i * MAX_VALUE_CHUNKS + u] = vec4<f32>(0.0);
    }
  }
  let start = wid.z * params.span;
  let end = min(start + params.span, params.len_k);
  for (var j0 = start; j0 < end; j0 += tile) {
    var k_row: array<u32, MAX_KEYS_PER_LANE>;
    var live: array<bool, MAX_KEYS_PER_LANE>;
    var s: array<f32, SUBGROUP * MAX_KEYS_PER_LANE>;
    for (var t = 0u; t < KEYS_PER_LANE; t++) {
      let j = j0 + t * SUBGROUP + lane;
      let jc = min(j, end - 1u);
      k_row[t] = row4(params.k_offset, params.k_strides, b, h, jc);
      live[t] = j < end && key_attended(b, jc);
      for (var i = 0u; i < SUBGROUP; i++) {
        s[i * MAX_KEYS_PER_LANE + t] = 0.0;
      }
    }
    for (var c = 0u; c < chunks; c++) {
      let qc = q4[q_row + c];
      var kc: array<vec4<f32>, MAX_KEYS_PER_LANE>;
      for (var t = 0u; t < KEYS_PER_LANE; t++) {
        kc[t] = k4[k_row[t] + c];
      }
      for (var i = 0u; i < SUBGROUP; i++) {
        let qi = subgroupShuffle(qc, i);
        for (var t = 0u; t < KEYS_PER_LANE; t++) {
          s[i * MAX_KEYS_PER_LANE + t] += dot(qi, kc[t]);
        }
      }
    }
    // Online softmax: s becomes P (relative to the new running max), padded keys 0.
    for (var i = 0u; i < SUBGROUP; i++) {
      var tile_max = EMPTY_LSE;
      for (var t = 0u; t < KEYS_PER_LANE; t++) {
        let x = s[i * MAX_KEYS_PER_LANE + t] * params.scale;
        s[i * MAX_KEYS_PER_LANE + t] = x;
        tile_max = select(tile_max, max(tile_max, x), live[t]);
      }
      let m_new = max(m[i], lanes_max(tile_max, lane));
      let rescale = exp(m[i] - m_new);
      m[i] = m_new;
      var p_sum = l[i] * rescale;
      for (var t = 0u; t < KEYS_PER_LANE; t++) {
        let p = select(0.0, exp(s[i * MAX_KEYS_PER_LANE + t] - m_new), live[t]);
        s[i * MAX_KEYS_PER_LANE + t] = p;
        p_sum += p;
      }
      l[i] = p_sum;
      for (var u = 0u; u < MAX_VALUE_CHUNKS; u++) {
        acc[i * MAX_VALUE_CHUNKS + u] *= rescale;
      }
    }
    for (var t = 0u; t < KEYS_PER_LANE; t++) {
      for (var src = 0u; src < SUBGROUP; src++) {
        let j = min(j0 + t * SUBGROUP + src, end - 1u);
        let v_row = row4(params.v_offset, params.v_strides, b, h, j);
        var vc: array<vec4<f32>, MAX_VALUE_CHUNKS>;
        for (var u = 0u; u < MAX_VALUE_CHUNKS; u++) {
          let cc = lane + u * SUBGROUP;
          vc[u] = vec4<f32>(0.0);
          if (u * SUBGROUP < value_chunks) {
            vc[u] = select(vec4<f32>(0.0), v4[v_row + min(cc, value_chunks - 1u)], cc < value_chunks);
          }
        }
        for (var i = 0u; i < SUBGROUP; i++) {
          let p = subgroupShuffle(s[i * MAX_KEYS_PER_LANE + t], src);
          for (var u = 0u; u < MAX_VALUE_CHUNKS; u++) {
            if (u * SUBGROUP < value_chunks) {
              acc[i * MAX_VALUE_CHUNKS + u] = fma(vec4<f32>(p), vc[u], acc[i * MAX_VALUE_CHUNKS + u]);
            }
          }
        }
      }
    }
  }
  let rows = params.batch * params.heads * params.len_q;
  for (var i = 0u; i < SUBGROUP; i++) {
    let total = lanes_sum(l[i], lane);
    if (i0 + i < params.len_q) {
      let row = wid.z * rows + bh * params.len_q + i0 + i;
      let inv = select(0.0, 1.0 / total, total > 0.0);
      for (var u = 0u; u < MAX_VALUE_CHUNKS; u++) {
        let cc = lane + u * SUBGROUP;
        if (cc < value_chunks) {
          out4[row * value_chunks + cc] = acc[i * MAX_VALUE_CHUNKS + u] * inv;
        }
      }
      if (lane == i) {
        lse[row] = select(EMPTY_LSE, m[i] + log(total), total > 0.0);
      }
    }
  }
}
