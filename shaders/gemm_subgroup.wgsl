// The GEMM family's kernel for CPU adapters with 8-lane subgroups (lavapipe on AVX2), in its own
// file because it needs `enable subgroups` (gemm.wgsl must compile without it). Same uniform
// struct, bindings and hooks as gemm.wgsl, so every variant (plain product, convolution gathers)
// applies to both files unchanged.
// On a CPU adapter each subgroup is one SIMD register of 8 invocations, and a storage load whose
// address differs per lane costs 8 scalar loads, as does a load whose address is the same in
// every lane. So each lane loads different data and shares it by shuffles, which are register
// permutes:
//   - lane l of the subgroup loads A[m0 + g * 8 + l, k] for each of ROW_GROUPS row groups g, and
//     subgroupShuffle hands row i's value to every lane (8 * ROW_GROUPS rows per workgroup);
//   - lane l loads B[k, n0 + j * WG_X + l] for j < TN (its own columns; TN is an override, 1..MAX_TN);
//   so one step of K costs ROW_GROUPS + TN loads for 8 * ROW_GROUPS * TN fused multiply-adds per lane.
// Rows and columns beyond M and N load 0 and are not stored; every subgroup of the workgroup works
// on the same rows and different columns. Correct for any subgroup size >= 8 (lanes beyond 8
// repeat the loads of lanes 0..7); fast where it is exactly 8.

enable subgroups;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch: u32,
  a_offset: u32,
  b_offset: u32,
  c_offset: u32,
  bias_offset: u32,
  a_batch_stride: u32,
  b_batch_stride: u32,
  c_batch_stride: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  alpha: f32,
  beta: f32,
  images: u32,
  c_in: u32,
  in_h: u32,
  in_w: u32,
  c_out: u32,
  k_h: u32,
  k_w: u32,
  out_h: u32,
  out_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_h: u32,
  pad_w: u32,
  dil_h: u32,
  dil_w: u32,
  groups_unused: u32,
  k_splits: u32,
  k_chunk: u32,
  k_fold: u32,
  phase_pixels: vec4<i32>,
  phase_dy: vec4<i32>,
  phase_taps: vec4<i32>,
  phase_tap_step: vec2<i32>,
  // Workgroup origin of this dispatch when the runtime splits a grid past the device's
  // per-dimension limit into repeated dispatches (0 otherwise): wid = workgroup_id + wg_base.
  wg_base: vec4<u32>,
}

const SUBGROUP: u32 = 8u;
const MAX_ROW_GROUPS: u32 = 4u;
const MAX_TN: u32 = 8u;
// Columns per lane, 1..MAX_TN.
override TN: u32 = 2u;
// Row groups of SUBGROUP rows per workgroup, 1..MAX_ROW_GROUPS (fewer for products with few rows).
override ROW_GROUPS: u32 = 4u;
// Invocations per workgroup: a multiple of SUBGROUP; the tile is (ROW_GROUPS * SUBGROUP) x (WG_X * TN).
override WG_X: u32 = 16u;
override A_T: bool = false;
override B_T: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

fn row_info(batch: u32, m: u32) -> vec4<i32> {
  return vec4<i32>(i32(params.a_offset + batch * params.a_batch_stride + select(m * params.lda, m, A_T)), 0, 0, 0);
}

fn col_info(batch: u32, n: u32) -> vec4<i32> {
  return vec4<i32>(i32(params.b_offset + batch * params.b_batch_stride + select(n, n * params.ldb, B_T)), 0, 0, 0);
}

fn k_info(batch: u32, k: u32) -> vec4<i32> {
  return vec4<i32>(i32(select(k, k * params.lda, A_T)), i32(select(k * params.ldb, k, B_T)), 0, 0);
}

// k_info of step k + 1 from that of step k (kernels walking K in order call it instead of k_info,
// so the gathers' decoding of a step is a few additions, not divisions).
fn k_next(batch: u32, k: u32, kk: vec4<i32>) -> vec4<i32> {
  return k_info(batch, k + 1u);
}

// B by element index (hooks shared with gemm_blocked.wgsl, whose operands are vec4 arrays, read
// through it).
fn b_at(i: u32) -> f32 {
  return b[i];
}

fn load_a(batch: u32, m: u32, k: u32, row: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = m < params.M && k < params.K;
  return select(0.0, a[select(0u, u32(row.x + kk.x), inside)], inside);
}

fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = k < params.K && n < params.N;
  return select(0.0, b[select(0u, u32(col.x + kk.y), inside)], inside);
}

// The value stored at C[m, n] (index `at` past c_offset) for the accumulated product v.
fn epilogue(m: u32, n: u32, at: u32, v: f32) -> f32 {
  return params.alpha * v;
}

fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let at = slice * params.c_batch_stride + m * params.ldc + n;
  c[params.c_offset + at] = epilogue(m, n, at, v);
}

// floor(n / d) for n < 2^24 without an integer division or a float-to-integer conversion, both of
// which CPU adapters run one lane at a time: the float quotient is floored and read back through
// the bits of 2^23 + q, then corrected by one step. For the gathers' index decoding.
fn quotient(n: u32, d: u32) -> u32 {
  let q = bitcast<u32>(floor(f32(n) / f32(d)) + 8388608.0) - 0x4b000000u;
  let lower = select(q, q - 1u, q * d > n);
  return select(lower, lower + 1u, (lower + 1u) * d <= n);
}

struct KRange {
  batch: u32,
  begin: u32,
  end: u32,
}

fn k_range(z: u32) -> KRange {
  let splits = max(params.k_splits, 1u);
  let split = z % splits;
  if (splits == 1u) {
    return KRange(z, 0u, params.K);
  }
  let begin = split * params.k_chunk;
  return KRange(z / splits, begin, min(params.K, begin + params.k_chunk));
}

@compute @workgroup_size(WG_X, 1, 1)
fn gemm_subgroup(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                 @builtin(subgroup_invocation_id) sg_lane: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let lane = sg_lane % SUBGROUP;
  let range = k_range(wid.z);
  let batch = range.batch;
  // M tiles along x: consecutive workgroups share a column strip of B, which stays in cache
  let m_base = wid.x * ROW_GROUPS * SUBGROUP;
  let n_base = wid.y * WG_X * TN + lid.x;
  var rows: array<vec4<i32>, MAX_ROW_GROUPS>;
  var cols: array<vec4<i32>, MAX_TN>;
  for (var g = 0u; g < ROW_GROUPS; g++) {
    rows[g] = row_info(batch, m_base + g * SUBGROUP + lane);
  }
  for (var j = 0u; j < TN; j++) {
    cols[j] = col_info(batch, n_base + j * WG_X);
  }
  var acc: array<f32, MAX_ROW_GROUPS * SUBGROUP * MAX_TN>;
  var kk = k_info(batch, range.begin);
  for (var k = range.begin; k < range.end; k++) {
    var av: array<f32, MAX_ROW_GROUPS>;
    var bv: array<f32, MAX_TN>;
    for (var g = 0u; g < ROW_GROUPS; g++) {
      av[g] = load_a(batch, m_base + g * SUBGROUP + lane, k, rows[g], kk);
    }
    for (var j = 0u; j < TN; j++) {
      bv[j] = load_b(batch, k, n_base + j * WG_X, cols[j], kk);
    }
    for (var i = 0u; i < ROW_GROUPS * SUBGROUP; i++) {
      let ai = subgroupShuffle(av[i / SUBGROUP], i % SUBGROUP);
      for (var j = 0u; j < TN; j++) {
        acc[i * TN + j] = fma(ai, bv[j], acc[i * TN + j]);
      }
    }
    kk = k_next(batch, k, kk);
  }
  for (var i = 0u; i < ROW_GROUPS * SUBGROUP; i++) {
    let m = m_base + i;
    for (var j = 0u; j < TN; j++) {
      let n = n_base + j * WG_X;
      if (m < params.M && n < params.N) {
        store_c(wid.z, m, n, acc[i * TN + j]);
      }
    }
  }
}
