// General matrix multiply C[b] = A[b] (M x K) * B[b] (K x N), the tiling shared by matmul and the
// convolutions (implicit GEMM). Operands are read and results written only through the hooks
// `load_a`, `load_b` and `store_c`: a variant swaps them to gather an image patch (convolution)
// or scatter into NCHW, so one tiling serves every product.
// Each invocation computes a TM x TN block of C; rows i*WG_Y + ly and columns j*WG_X + lx of the
// workgroup's tile (interleaved, so neighbouring invocations touch neighbouring addresses).
//   gemm_tiled:  A and B tiles staged in workgroup memory (for GPUs)
//   gemm_direct: operands read straight from storage, no barriers (for CPU adapters, where
//                workgroup barriers are expensive and caches do the staging)

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

fn load_a(batch: u32, m: u32, k: u32) -> f32 {
  if (m >= params.M || k >= params.K) {
    return 0.0;
  }
  let base = params.a_offset + batch * params.a_batch_stride;
  return a[base + select(m * params.lda + k, k * params.lda + m, A_T)];
}

fn load_b(batch: u32, k: u32, n: u32) -> f32 {
  if (k >= params.K || n >= params.N) {
    return 0.0;
  }
  let base = params.b_offset + batch * params.b_batch_stride;
  return b[base + select(k * params.ldb + n, n * params.ldb + k, B_T)];
}

fn store_c(batch: u32, m: u32, n: u32, v: f32) {
  c[params.c_offset + batch * params.c_batch_stride + m * params.ldc + n] = params.alpha * v;
}


var<workgroup> tile_a: array<f32, TILE_K * WG_Y * TM>;
var<workgroup> tile_b: array<f32, TILE_K * WG_X * TN>;

fn write_block(batch: u32, m_base: u32, n_base: u32, lx: u32, ly: u32, acc: ptr<function, array<f32, 16>>) {
  for (var i = 0u; i < TM; i++) {
    let m = m_base + i * WG_Y + ly;
    if (m >= params.M) {
      continue;
    }
    for (var j = 0u; j < TN; j++) {
      let n = n_base + j * WG_X + lx;
      if (n < params.N) {
        store_c(batch, m, n, (*acc)[i * TN + j]);
      }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
              @builtin(local_invocation_index) lidx: u32) {
  let batch = wid.z;
  let tile_m = WG_Y * TM;
  let tile_n = WG_X * TN;
  let m_base = wid.y * tile_m;
  let n_base = wid.x * tile_n;
  let threads = WG_X * WG_Y;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < params.K; k0 += TILE_K) {
    for (var e = lidx; e < TILE_K * tile_m; e += threads) {
      // consecutive invocations take consecutive k when A is row-major (k contiguous in memory)
      let kk = select(e / tile_m, e % TILE_K, !A_T);
      let mm = select(e % tile_m, e / TILE_K, !A_T);
      tile_a[kk * tile_m + mm] = load_a(batch, m_base + mm, k0 + kk);
    }
    for (var e = lidx; e < TILE_K * tile_n; e += threads) {
      let kk = select(e / tile_n, e % TILE_K, B_T);
      let nn = select(e % tile_n, e / TILE_K, B_T);
      tile_b[kk * tile_n + nn] = load_b(batch, k0 + kk, n_base + nn);
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
  write_block(batch, m_base, n_base, lid.x, lid.y, &acc);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let batch = wid.z;
  let m_base = wid.y * WG_Y * TM;
  let n_base = wid.x * WG_X * TN;
  var acc: array<f32, 16>;
  for (var k = 0u; k < params.K; k++) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var i = 0u; i < TM; i++) {
      av[i] = load_a(batch, m_base + i * WG_Y + lid.y, k);
    }
    for (var j = 0u; j < TN; j++) {
      bv[j] = load_b(batch, k, n_base + j * WG_X + lid.x);
    }
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN; j++) {
        acc[i * TN + j] = fma(av[i], bv[j], acc[i * TN + j]);
      }
    }
  }
  write_block(batch, m_base, n_base, lid.x, lid.y, &acc);
}
