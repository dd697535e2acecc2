// General matrix multiply C[b] = A[b] (M x K) * B[b] (K x N), the tiling shared by matmul and the
// convolutions (implicit GEMM). Operands are read and results written only through the hooks:
//   row_info(batch, m), col_info(batch, n), k_info(batch, k) -> vec4<i32>
//       what a gather needs about a row of A, a column of B, a step of K (image, pixel, tap),
//       computed once per row / column / step and passed to the loads (hoisted out of the K loop
//       where the kernel allows), so the loads themselves never divide;
//   k_next(batch, k, kk) -> vec4<i32>: k_info of step k + 1 from that of step k, by additions
//       (the kernels that walk K in order decode k_info once, then step);
//   load_a(batch, m, k, row, kk), load_b(batch, k, n, col, kk) -> f32 (0 outside the operand);
//   store_c(slice, m, n, v) with slice = batch * k_splits + split;
//   epilogue(m, n, at, v) -> f32: the value store_c writes for the accumulated product v of C[m, n]
//       (at: its index in C past c_offset; alpha * v by default; gemm.ts's GEMM_EPILOGUES add a
//       bias per row or per column), so a bias (and any later activation or residual) is applied
//       in the store, not by another dispatch. Every GEMM shader of the family (gemm_subgroup.wgsl,
//       gemm_blocked.wgsl) defines and calls it the same way, so one hook serves them all.
// A variant swaps them to gather an image patch (convolution) or scatter into NCHW, so one tiling
// serves every product. Split-K: with k_splits > 1, workgroup z = batch * k_splits + split sums
// K range [split * k_chunk, min(K, (split + 1) * k_chunk)) and store_c writes partial slices.
// Folded batches (gemm.ts's fold variants): with k_fold > 0, K runs over every batch entry's K
// (k_fold steps each), so C = sum over the batch of A[b] B[b] in one product (a weight's gradient).
// Each invocation computes a TM x TN block of C; rows i*WG_Y + ly and columns j*WG_X + lx of the
// workgroup's tile (interleaved, so neighbouring invocations touch neighbouring addresses).
//   gemm_tiled:  A and B tiles staged in workgroup memory (for GPUs)
//   gemm_direct: operands read straight from storage, no barriers (for CPU adapters, where
//                workgroup barriers are expensive and caches do the staging)
// gemm_subgroup.wgsl holds the CPU kernel built on subgroup shuffles (it needs `enable subgroups`).

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

const TM: u32 = 4u;
const TN: u32 = 4u;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override TILE_K: u32 = 16u;
// Operand layouts for the plain product: A is (M x K) row-major with leading dimension lda, or
// its transpose (K x M) when A_T; likewise B.
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

var<workgroup> tile_a: array<f32, TILE_K * WG_Y * TM>;
var<workgroup> tile_b: array<f32, TILE_K * WG_X * TN>;

fn write_block(slice: u32, m_base: u32, n_base: u32, lx: u32, ly: u32, acc: ptr<function, array<f32, 16>>) {
  for (var i = 0u; i < TM; i++) {
    let m = m_base + i * WG_Y + ly;
    if (m >= params.M) {
      continue;
    }
    for (var j = 0u; j < TN; j++) {
      let n = n_base + j * WG_X + lx;
      if (n < params.N) {
        store_c(slice, m, n, (*acc)[i * TN + j]);
      }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm_tiled(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
              @builtin(local_invocation_index) lidx: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let range = k_range(wid.z);
  let batch = range.batch;
  let tile_m = WG_Y * TM;
  let tile_n = WG_X * TN;
  let m_base = wid.y * tile_m;
  let n_base = wid.x * tile_n;
  let threads = WG_X * WG_Y;
  var acc: array<f32, 16>;
  for (var k0 = range.begin; k0 < range.end; k0 += TILE_K) {
    for (var e = lidx; e < TILE_K * tile_m; e += threads) {
      // consecutive invocations take consecutive k when A is row-major (k contiguous in memory)
      let kk = select(e / tile_m, e % TILE_K, !A_T);
      let mm = select(e % tile_m, e / TILE_K, !A_T);
      let k = k0 + kk;
      let m = m_base + mm;
      var v = 0.0;
      if (k < range.end) {
        v = load_a(batch, m, k, row_info(batch, m), k_info(batch, k));
      }
      tile_a[kk * tile_m + mm] = v;
    }
    for (var e = lidx; e < TILE_K * tile_n; e += threads) {
      let kk = select(e / tile_n, e % TILE_K, B_T);
      let nn = select(e % tile_n, e / TILE_K, B_T);
      let k = k0 + kk;
      let n = n_base + nn;
      var v = 0.0;
      if (k < range.end) {
        v = load_b(batch, k, n, col_info(batch, n), k_info(batch, k));
      }
      tile_b[kk * tile_n + nn] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < TM; i++) {
        av[i] = tile_a[kk * tile_m + i * WG_Y + lid.y];
      }
      for (var j = 0u; j < TN; j++) {
        bv[j] = tile_b[kk * tile_n + j * WG_X + lid.x];
      }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) {
          acc[i * TN + j] = fma(av[i], bv[j], acc[i * TN + j]);
        }
      }
    }
    workgroupBarrier();
  }
  write_block(wid.z, m_base, n_base, lid.x, lid.y, &acc);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm_direct(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let range = k_range(wid.z);
  let batch = range.batch;
  let m_base = wid.y * WG_Y * TM;
  let n_base = wid.x * WG_X * TN;
  // Row and column gathers are computed once, outside the K loop.
  var rows: array<vec4<i32>, 4>;
  var cols: array<vec4<i32>, 4>;
  for (var i = 0u; i < TM; i++) {
    rows[i] = row_info(batch, m_base + i * WG_Y + lid.y);
  }
  for (var j = 0u; j < TN; j++) {
    cols[j] = col_info(batch, n_base + j * WG_X + lid.x);
  }
  var acc: array<f32, 16>;
  var kk = k_info(batch, range.begin);
  for (var k = range.begin; k < range.end; k++) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var i = 0u; i < TM; i++) {
      av[i] = load_a(batch, m_base + i * WG_Y + lid.y, k, rows[i], kk);
    }
    for (var j = 0u; j < TN; j++) {
      bv[j] = load_b(batch, k, n_base + j * WG_X + lid.x, cols[j], kk);
    }
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN; j++) {
        acc[i * TN + j] = fma(av[i], bv[j], acc[i * TN + j]);
      }
    }
    kk = k_next(batch, k, kk);
  }
  write_block(wid.z, m_base, n_base, lid.x, lid.y, &acc);
}
