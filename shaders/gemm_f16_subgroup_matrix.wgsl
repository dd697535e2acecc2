// f16 x f16 -> f32 GEMM on tensor cores through `chromium_experimental_subgroup_matrix` (Dawn's
// Vulkan backend maps it to VK_KHR_cooperative_matrix), for adapters with an f16 16x16x16 config
// with f32 results and 32-lane subgroups (NVIDIA). Same uniform struct, bindings and hooks as
// gemm_f16.wgsl, so the convolution variants (implicit GEMM) apply unchanged.
// Tiling (after ONNX Runtime's WebGPU subgroup-matrix GEMMs, written anew): a workgroup of 128
// invocations = 4 subgroups in a 2 x 2 grid computes a 64 x 64 tile of C; each subgroup a 32 x 32
// block as 2 x 2 result matrices of 16 x 16 (named accumulators: arrays of subgroup matrices
// spill on some drivers). K advances by 32: the workgroup stages A (64 x 32) and B (32 x 64)
// through the load hooks into workgroup memory, rows padded by 8 halves against bank conflicts,
// then each subgroup loads its 16 x 16 left and right matrices from there, two K steps of 16.
// Results go through a 16 x 16 f32 staging area per subgroup to store_c (which scatters and applies
// the epilogue hook, e.g. a bias): one hook-driven store path for the plain product and the convolutions.
// Offsets of the matrix loads depend on the subgroup index, which WGSL's uniformity analysis
// cannot prove subgroup-uniform: the diagnostic is turned off (they are uniform per subgroup).
// UNVERIFIED: no adapter available while writing it had subgroup matrices (lavapipe lacks them);
// it is checked by reflection only until a GPU run (bench/f16-check.ts).

enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);

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
  // Convolution geometry (implicit-GEMM variants): input (images, C_in, H, W), kernel (KH, KW),
  // output (OH, OW), stride, padding, dilation.
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
  // Split-K: number of K chunks per batch entry (0 or 1: none) and the chunk length.
  k_splits: u32,
  k_chunk: u32,
  // Steps of K per batch entry when the batch is folded into K (fold variants; 0 otherwise).
  k_fold: u32,
  // One stride phase of the convolution's gradient w.r.t. the input, (y, x) pairs (conv.ts,
  // convInputPhases): the phase's dx rows and columns and its first row and column; the dy row and
  // column of its first pixel at its first tap and the dy step per tap; its taps per axis and the
  // first tap; the kernel-index step between its taps.
  phase_pixels: vec4<i32>,
  phase_dy: vec4<i32>,
  phase_taps: vec4<i32>,
  phase_tap_step: vec2<i32>,
  // Workgroup origin of this dispatch when the runtime splits a grid past the device's
  // per-dimension limit into repeated dispatches (0 otherwise): wid = workgroup_id + wg_base.
  wg_base: vec4<u32>,
}

// Operand layouts for the plain product: A is (M x K) row-major with leading dimension lda, or
// its transpose (K x M) when A_T; likewise B.
override A_T: bool = false;
override B_T: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f16>;
@group(0) @binding(2) var<storage, read> b: array<f16>;
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

// B by element index (the f32 family's hooks read B through it; here it returns f16).
fn b_at(i: u32) -> f16 {
  return b[i];
}

fn load_a(batch: u32, m: u32, k: u32, row: vec4<i32>, kk: vec4<i32>) -> f16 {
  let inside = m < params.M && k < params.K;
  return select(0.0, a[select(0u, u32(row.x + kk.x), inside)], inside);
}

fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f16 {
  let inside = k < params.K && n < params.N;
  return select(0.0, b[select(0u, u32(col.x + kk.y), inside)], inside);
}

// The value stored at C[m, n] (index `at` past c_offset) for the accumulated product v: the f32
// family's epilogue hook (gemm-epilogue.ts; the bias variants replace it).
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

// The batch entry and K range of workgroup z (split-K when k_splits > 1).
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


const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 32u;
const INVOCATIONS: u32 = 128u;
// row pitch of the staged tiles in halves (+8 against bank conflicts)
const A_PITCH: u32 = BK + 8u;
const B_PITCH: u32 = BN + 8u;

var<workgroup> tile_a: array<f16, BM * A_PITCH>;
var<workgroup> tile_b: array<f16, BK * B_PITCH>;
// one 16 x 16 result matrix per subgroup on its way to store_c
var<workgroup> staged: array<f32, 1024>;

// Stages A rows [m_base, m_base + BM) x K [k0, k0 + BK) and B K [k0, k0 + BK) x columns
// [n_base, n_base + BN) into workgroup memory (zeros outside the operands and the K range).
fn stage_tiles(batch: u32, m_base: u32, n_base: u32, k0: u32, k_end: u32, lidx: u32) {
  for (var e = lidx; e < BM * BK; e += INVOCATIONS) {
    // consecutive invocations take consecutive k when A is row-major (k contiguous in memory)
    let kk = select(e / BM, e % BK, !A_T);
    let mm = select(e % BM, e / BK, !A_T);
    let k = k0 + kk;
    let m = m_base + mm;
    var v = 0.0h;
    if (k < k_end) {
      v = load_a(batch, m, k, row_info(batch, m), k_info(batch, k));
    }
    tile_a[mm * A_PITCH + kk] = v;
  }
  for (var e = lidx; e < BK * BN; e += INVOCATIONS) {
    let kk = select(e / BN, e % BK, B_T);
    let nn = select(e % BN, e / BK, B_T);
    let k = k0 + kk;
    let n = n_base + nn;
    var v = 0.0h;
    if (k < k_end) {
      v = load_b(batch, k, n, col_info(batch, n), k_info(batch, k));
    }
    tile_b[kk * B_PITCH + nn] = v;
  }
}

// Writes the subgroup's staged 16 x 16 matrix (rows m0.., columns n0..) through store_c.
fn store_staged(slice: u32, sg: u32, lane: u32, lanes: u32, m0: u32, n0: u32) {
  for (var e = lane; e < 256u; e += lanes) {
    let m = m0 + e / 16u;
    let n = n0 + e % 16u;
    if (m < params.M && n < params.N) {
      store_c(slice, m, n, staged[sg * 256u + e]);
    }
  }
}

@compute @workgroup_size(INVOCATIONS, 1, 1)
fn gemm_f16_subgroup_matrix(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32,
                            @builtin(subgroup_size) lanes: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let range = k_range(wid.z);
  let m_base = wid.y * BM;
  let n_base = wid.x * BN;
  // 4 subgroups of 32 lanes (the variant table runs this kernel only where subgroups are 32 wide)
  let sg = lidx / lanes;
  let row0 = (sg / 2u) * 32u;
  let col0 = (sg % 2u) * 32u;
  var c00: subgroup_matrix_result<f32, 16, 16>;
  var c01: subgroup_matrix_result<f32, 16, 16>;
  var c10: subgroup_matrix_result<f32, 16, 16>;
  var c11: subgroup_matrix_result<f32, 16, 16>;
  for (var k0 = range.begin; k0 < range.end; k0 += BK) {
    stage_tiles(range.batch, m_base, n_base, k0, range.end, lidx);
    workgroupBarrier();
    for (var ks = 0u; ks < BK; ks += 16u) {
      let a0 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&tile_a, row0 * A_PITCH + ks, A_PITCH);
      let a1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&tile_a, (row0 + 16u) * A_PITCH + ks, A_PITCH);
      let b0 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, row_major>(&tile_b, ks * B_PITCH + col0, B_PITCH);
      let b1 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, row_major>(&tile_b, ks * B_PITCH + col0 + 16u, B_PITCH);
      c00 = subgroupMatrixMultiplyAccumulate(a0, b0, c00);
      c01 = subgroupMatrixMultiplyAccumulate(a0, b1, c01);
      c10 = subgroupMatrixMultiplyAccumulate(a1, b0, c10);
      c11 = subgroupMatrixMultiplyAccumulate(a1, b1, c11);
    }
    workgroupBarrier();
  }
  let m0 = m_base + row0;
  let n0 = n_base + col0;
  subgroupMatrixStore<row_major>(&staged, sg * 256u, c00, 16u);
  workgroupBarrier();
  store_staged(wid.z, sg, lane, lanes, m0, n0);
  workgroupBarrier();
  subgroupMatrixStore<row_major>(&staged, sg * 256u, c01, 16u);
  workgroupBarrier();
  store_staged(wid.z, sg, lane, lanes, m0, n0 + 16u);
  workgroupBarrier();
  subgroupMatrixStore<row_major>(&staged, sg * 256u, c10, 16u);
  workgroupBarrier();
  store_staged(wid.z, sg, lane, lanes, m0 + 16u, n0);
  workgroupBarrier();
  subgroupMatrixStore<row_major>(&staged, sg * 256u, c11, 16u);
  workgroupBarrier();
  store_staged(wid.z, sg, lane, lanes, m0 + 16u, n0 + 16u);
}
