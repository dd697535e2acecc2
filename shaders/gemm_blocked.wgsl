// Register-blocked GEMM for discrete GPUs: C[b] = A[b] (M x K) * B[b] (K x N), the product of
// matmul and the convolutions (implicit GEMM) on a GPU. Same uniform fields and hooks as
// gemm.wgsl (row_info, col_info, k_info, k_next, load_a, load_b, store_c and the epilogue(m, n,
// at, v) that store_c calls, alpha * v by default), so the convolution's index decoding, gemm.ts's
// fold variants (k_fold) and its named epilogues apply unchanged: a bias per row or column, and
// here also BatchNorm's scale and shift, a residual of C's layout and ReLU (the scale and residual
// bindings are this file's). It adds two hooks of its own:
//   load_a4(batch, m, k) -> vec4<f32>: a quad of A: 4 k of row m (A_QUAD_M false) or 4 rows
//       m..m+3 at k (A_QUAD_M true), whichever is contiguous in memory; one vec4 load when VEC_A
//       says the quads are 16-byte aligned runs, else 4 gathers through load_a (gather_a4);
//   load_b4(batch, k, n) -> vec4<f32>: likewise 4 columns n..n+3 at k, or 4 k at column n (B_QUAD_K).
// Tiling: a workgroup of WG_X x WG_Y invocations computes a (WG_Y * TM) x (WG_X * TN) tile of C;
// invocation (x, y) holds rows i * WG_Y + y (i < TM) and the column quads j * WG_X + x (j < TN/4)
// in registers as vec4s. A and B tiles of TILE_K steps are staged in workgroup memory, A as
// [m][k/4] and B as [k][n/4] vec4s, double-buffered: the quads of tile t + 1 are fetched into
// registers before tile t is multiplied and stored into the other buffer after it, so one barrier
// per tile suffices and the global loads overlap the arithmetic.
// CHECK_BOUNDS = false is the specialisation for M, N and every K range that divide the tile:
// no bounds tests in the loads, the K loop or the stores. Split-K as in gemm.wgsl (k_splits,
// k_chunk a multiple of TILE_K); workgroup z = batch * k_splits + split.
// Operands are bound as vec4 arrays (bindings must be multiples of 16 bytes: the runtime's pool
// buckets are); scalar reads go through a_at / b_at. C is written one f32 at a time.

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
  wg_base: vec4<u32>,
  // Epilogue operands: offsets of the per-channel scale and of the residual (C's layout).
  scale_offset: u32,
  residual_offset: u32,
}

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
// Register block per invocation: TM rows (4 or 8) x TN columns (4 or 8).
override TM: u32 = 4u;
override TN: u32 = 4u;
// Steps of K per staged tile (a multiple of 4).
override TILE_K: u32 = 16u;
// Plain product layouts, as gemm.wgsl.
override A_T: bool = false;
override B_T: bool = false;
// Quad orientation (see the file comment) and whether quads are aligned vec4 runs in memory.
override A_QUAD_M: bool = false;
override B_QUAD_K: bool = false;
override VEC_A: bool = false;
override VEC_B: bool = false;
override CHECK_BOUNDS: bool = true;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
@group(0) @binding(5) var<storage, read> scale: array<f32>;
@group(0) @binding(6) var<storage, read> residual: array<f32>;

fn a_at(i: u32) -> f32 {
  return a[i >> 2u][i & 3u];
}

fn b_at(i: u32) -> f32 {
  return b[i >> 2u][i & 3u];
}

fn row_info(batch: u32, m: u32) -> vec4<i32> {
  return vec4<i32>(i32(params.a_offset + batch * params.a_batch_stride + select(m * params.lda, m, A_T)), 0, 0, 0);
}

fn col_info(batch: u32, n: u32) -> vec4<i32> {
  return vec4<i32>(i32(params.b_offset + batch * params.b_batch_stride + select(n, n * params.ldb, B_T)), 0, 0, 0);
}

fn k_info(batch: u32, k: u32) -> vec4<i32> {
  return vec4<i32>(i32(select(k, k * params.lda, A_T)), i32(select(k * params.ldb, k, B_T)), 0, 0);
}

// Not walked here (every quad decodes its own step), but the convolution variants replace it.
fn k_next(batch: u32, k: u32, kk: vec4<i32>) -> vec4<i32> {
  return k_info(batch, k + 1u);
}

fn load_a(batch: u32, m: u32, k: u32, row: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = !CHECK_BOUNDS || (m < params.M && k < params.K);
  return select(0.0, a_at(select(0u, u32(row.x + kk.x), inside)), inside);
}

fn load_b(batch: u32, k: u32, n: u32, col: vec4<i32>, kk: vec4<i32>) -> f32 {
  let inside = !CHECK_BOUNDS || (k < params.K && n < params.N);
  return select(0.0, b_at(select(0u, u32(col.x + kk.y), inside)), inside);
}

// An A quad element by element through the gathers.
fn gather_a4(batch: u32, m: u32, k: u32) -> vec4<f32> {
  var q: vec4<f32>;
  if (A_QUAD_M) {
    let kk = k_info(batch, k);
    for (var e = 0u; e < 4u; e++) {
      q[e] = load_a(batch, m + e, k, row_info(batch, m + e), kk);
    }
  } else {
    let row = row_info(batch, m);
    for (var e = 0u; e < 4u; e++) {
      q[e] = load_a(batch, m, k + e, row, k_info(batch, k + e));
    }
  }
  return q;
}

fn gather_b4(batch: u32, k: u32, n: u32) -> vec4<f32> {
  var q: vec4<f32>;
  if (B_QUAD_K) {
    let col = col_info(batch, n);
    for (var e = 0u; e < 4u; e++) {
      q[e] = load_b(batch, k + e, n, col, k_info(batch, k + e));
    }
  } else {
    let kk = k_info(batch, k);
    for (var e = 0u; e < 4u; e++) {
      q[e] = load_b(batch, k, n + e, col_info(batch, n + e), kk);
    }
  }
  return q;
}

// With VEC_A the quad's run is whole inside A or whole outside (its length divides by 4).
fn load_a4(batch: u32, m: u32, k: u32) -> vec4<f32> {
  if (VEC_A) {
    let inside = !CHECK_BOUNDS || (m < params.M && k < params.K);
    let i = u32(row_info(batch, m).x + k_info(batch, k).x);
    return select(vec4<f32>(0.0), a[select(0u, i >> 2u, inside)], inside);
  }
  return gather_a4(batch, m, k);
}

fn load_b4(batch: u32, k: u32, n: u32) -> vec4<f32> {
  if (VEC_B) {
    let inside = !CHECK_BOUNDS || (k < params.K && n < params.N);
    let i = u32(col_info(batch, n).x + k_info(batch, k).y);
    return select(vec4<f32>(0.0), b[select(0u, i >> 2u, inside)], inside);
  }
  return gather_b4(batch, k, n);
}

// The value stored at C[m, n] (index `at` past c_offset) for the accumulated product v.
fn epilogue(m: u32, n: u32, at: u32, v: f32) -> f32 {
  return params.alpha * v;
}

fn store_c(slice: u32, m: u32, n: u32, v: f32) {
  let at = slice * params.c_batch_stride + m * params.ldc + n;
  c[params.c_offset + at] = epilogue(m, n, at, v);
}

// floor(n / d) for n < 2^24 (see gemm.wgsl; the convolution hooks call it).
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
  if (splits == 1u) {
    return KRange(z, 0u, params.K);
  }
  let begin = (z % splits) * params.k_chunk;
  return KRange(z / splits, begin, min(params.K, begin + params.k_chunk));
}

// Quads fetched per invocation per tile and operand, at most (checked by the specs).
const MAX_FETCH: u32 = 8u;

var<workgroup> a_tile: array<vec4<f32>, 2u * WG_Y * TM * TILE_K / 4u>;
var<workgroup> b_tile: array<vec4<f32>, 2u * WG_X * TN * TILE_K / 4u>;

// The quad q of the A tile starting at step k0: its (m, k).
fn a_quad_at(q: u32, m_base: u32, k0: u32) -> vec2<u32> {
  if (A_QUAD_M) {
    let quads_m = WG_Y * TM / 4u;
    return vec2<u32>(m_base + (q % quads_m) * 4u, k0 + q / quads_m);
  }
  return vec2<u32>(m_base + q / (TILE_K / 4u), k0 + (q % (TILE_K / 4u)) * 4u);
}

// The quad q of the B tile starting at step k0: its (k, n).
fn b_quad_at(q: u32, n_base: u32, k0: u32) -> vec2<u32> {
  if (B_QUAD_K) {
    return vec2<u32>(k0 + (q % (TILE_K / 4u)) * 4u, n_base + q / (TILE_K / 4u));
  }
  let quads_n = WG_X * TN / 4u;
  return vec2<u32>(k0 + q / quads_n, n_base + (q % quads_n) * 4u);
}

// Stores quad q (tile position relative to the tile's origin) into A tile buffer `buf`.
fn put_a(buf: u32, q: u32, v: vec4<f32>) {
  let base = buf * (WG_Y * TM * TILE_K / 4u);
  if (A_QUAD_M) {
    let quads_m = WG_Y * TM / 4u;
    let m = (q % quads_m) * 4u;
    let k = q / quads_m;
    for (var e = 0u; e < 4u; e++) {
      a_tile[base + (m + e) * (TILE_K / 4u) + k / 4u][k % 4u] = v[e];
    }
  } else {
    a_tile[base + q] = v;
  }
}

fn put_b(buf: u32, q: u32, v: vec4<f32>) {
  let quads_n = WG_X * TN / 4u;
  let base = buf * (TILE_K * quads_n);
  if (B_QUAD_K) {
    let n = q / (TILE_K / 4u);
    let k = (q % (TILE_K / 4u)) * 4u;
    for (var e = 0u; e < 4u; e++) {
      b_tile[base + (k + e) * quads_n + n / 4u][n % 4u] = v[e];
    }
  } else {
    b_tile[base + q] = v;
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm_blocked(@builtin(workgroup_id) dispatch_wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(local_invocation_index) lidx: u32) {
  let wid = dispatch_wid + params.wg_base.xyz;
  let range = k_range(wid.z);
  let batch = range.batch;
  let threads = WG_X * WG_Y;
  let m_base = wid.y * WG_Y * TM;
  let n_base = wid.x * WG_X * TN;
  let a_quads = WG_Y * TM * TILE_K / 4u;
  let b_quads = WG_X * TN * TILE_K / 4u;
  let a_fetches = (a_quads + threads - 1u) / threads;
  let b_fetches = (b_quads + threads - 1u) / threads;
  let quads_n = WG_X * TN / 4u;
  let tiles = (range.end - range.begin + TILE_K - 1u) / TILE_K;

  var acc: array<vec4<f32>, 16>;
  var next_a: array<vec4<f32>, MAX_FETCH>;
  var next_b: array<vec4<f32>, MAX_FETCH>;

  // The first tile goes straight into buffer 0; each later one through registers (next_a,
  // next_b), fetched before the current tile is multiplied. Quads past the K range are zeros.
  for (var r = 0u; r < a_fetches; r++) {
    let q = r * threads + lidx;
    if (q < a_quads) {
      let at = a_quad_at(q, m_base, range.begin);
      put_a(0u, q, select(vec4<f32>(0.0), load_a4(batch, at.x, at.y), !CHECK_BOUNDS || at.y < range.end));
    }
  }
  for (var r = 0u; r < b_fetches; r++) {
    let q = r * threads + lidx;
    if (q < b_quads) {
      let at = b_quad_at(q, n_base, range.begin);
      put_b(0u, q, select(vec4<f32>(0.0), load_b4(batch, at.x, at.y), !CHECK_BOUNDS || at.x < range.end));
    }
  }
  workgroupBarrier();

  for (var t = 0u; t < tiles; t++) {
    let cur = t & 1u;
    let more = t + 1u < tiles;
    let k_next_tile = range.begin + (t + 1u) * TILE_K;
    if (more) {
      for (var r = 0u; r < a_fetches; r++) {
        let q = r * threads + lidx;
        if (q < a_quads) {
          let at = a_quad_at(q, m_base, k_next_tile);
          next_a[r] = select(vec4<f32>(0.0), load_a4(batch, at.x, at.y), !CHECK_BOUNDS || at.y < range.end);
        }
      }
      for (var r = 0u; r < b_fetches; r++) {
        let q = r * threads + lidx;
        if (q < b_quads) {
          let at = b_quad_at(q, n_base, k_next_tile);
          next_b[r] = select(vec4<f32>(0.0), load_b4(batch, at.x, at.y), !CHECK_BOUNDS || at.x < range.end);
        }
      }
    }
    let a_base = cur * a_quads;
    let b_base = cur * b_quads;
    for (var k4 = 0u; k4 < TILE_K / 4u; k4++) {
      // B rows k4*4 .. k4*4+3 of this invocation's column quads: bq[e * 2 + j]
      var bq: array<vec4<f32>, 8>;
      for (var e = 0u; e < 4u; e++) {
        for (var j = 0u; j < TN / 4u; j++) {
          bq[e * 2u + j] = b_tile[b_base + (k4 * 4u + e) * quads_n + j * WG_X + lid.x];
        }
      }
      for (var i = 0u; i < TM; i++) {
        let av = a_tile[a_base + (i * WG_Y + lid.y) * (TILE_K / 4u) + k4];
        for (var j = 0u; j < TN / 4u; j++) {
          var s = acc[i * 2u + j];
          s = fma(vec4<f32>(av.x), bq[j], s);
          s = fma(vec4<f32>(av.y), bq[2u + j], s);
          s = fma(vec4<f32>(av.z), bq[4u + j], s);
          s = fma(vec4<f32>(av.w), bq[6u + j], s);
          acc[i * 2u + j] = s;
        }
      }
    }
    if (more) {
      for (var r = 0u; r < a_fetches; r++) {
        let q = r * threads + lidx;
        if (q < a_quads) {
          put_a(1u - cur, q, next_a[r]);
        }
      }
      for (var r = 0u; r < b_fetches; r++) {
        let q = r * threads + lidx;
        if (q < b_quads) {
          put_b(1u - cur, q, next_b[r]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let m = m_base + i * WG_Y + lid.y;
    if (CHECK_BOUNDS && m >= params.M) {
      continue;
    }
    for (var j = 0u; j < TN / 4u; j++) {
      let n = n_base + (j * WG_X + lid.x) * 4u;
      let v = acc[i * 2u + j];
      for (var e = 0u; e < 4u; e++) {
        if (!CHECK_BOUNDS || n + e < params.N) {
          store_c(wid.z, m, n + e, v[e]);
        }
      }
    }
  }
}
