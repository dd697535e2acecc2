// Elementwise kernels over strided views of rank <= 8: unary and binary maps (broadcasting is a
// stride of 0), ternary select, strided copy, fill, arange and dtype casts. Outputs are contiguous.
// The maps are structural variants: a variant replaces `unary_op` or `binary_op`.

struct Params {
  numel: u32,
  rank: u32,
  offset_a: u32,
  offset_b: u32,
  offset_c: u32,
  alpha: f32,
  beta: f32,
  bits: u32,
  shape: array<vec4<u32>, 2>,
  strides_a: array<vec4<u32>, 2>,
  strides_b: array<vec4<u32>, 2>,
  strides_c: array<vec4<u32>, 2>,
  // binary_vec4_row: b is one row of `row4` vec4s repeated over the rows of a (a bias add).
  row4: u32,
}

override WG: u32 = 256;
// Vec4 entry points: vec4s per invocation (several per invocation amortise the per-invocation
// cost, which dominates memory-bound kernels on CPU adapters).
override ITEMS: u32 = 4;
// True when every input is laid out like the output (row-major, no gaps): no index arithmetic.
override CONTIGUOUS: bool = false;
// Grid launch: views of rank <= 4 (shape and strides right-aligned to 4 dims by the caller) run on
// a (ceil(d3 / WG), d2, d0 * d1) grid, so an invocation's element comes from its ids: no index is
// divided per element (divisions run one lane at a time on CPU adapters; d0 and d1 are recovered
// from the workgroup id, the same for every lane).
override GRID: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> src_bits: array<u32>;
@group(0) @binding(6) var<storage, read_write> dst_bits: array<u32>;
@group(0) @binding(7) var<storage, read> src_i32: array<i32>;
@group(0) @binding(8) var<storage, read_write> out_i32: array<i32>;
// Contiguous operands as vec4 (the *_vec4 entry points: numel and every offset divisible by 4;
// params.numel and the offsets then count vec4s).
@group(0) @binding(9) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(12) var<storage, read> src_bits4: array<vec4<u32>>;
@group(0) @binding(13) var<storage, read_write> dst_bits4: array<vec4<u32>>;

fn unary_op(x: f32, alpha: f32, beta: f32) -> f32 {
  return x;
}

fn binary_op(x: f32, y: f32, alpha: f32) -> f32 {
  return x + y;
}

fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// An invocation's element: its row-major index, its (d0, d1, d2, d3) position in grid launches,
// and whether it lies inside the view.
struct Element {
  i: u32,
  at: vec4<u32>,
  valid: bool,
}

fn element(gid: vec3<u32>, nwg: vec3<u32>) -> Element {
  if (GRID) {
    let d = params.shape[0];
    let at = vec4<u32>(gid.z / d.y, gid.z % d.y, gid.y, gid.x);
    return Element(((at.x * d.y + at.y) * d.z + at.z) * d.w + at.w, at, at.w < d.w);
  }
  let i = item_index(gid, nwg);
  return Element(i, vec4<u32>(0u), i < params.numel);
}

// Storage offset of an element in a view with the given strides and base offset.
fn offset_of(e: Element, strides: array<vec4<u32>, 2>, base: u32) -> u32 {
  if (GRID) {
    return base + dot(e.at, strides[0]);
  }
  return strided(e.i, strides, base);
}

// Storage offset of row-major element i of a view with the given strides and base offset.
fn strided(i: u32, strides: array<vec4<u32>, 2>, base: u32) -> u32 {
  if (CONTIGUOUS) {
    return base + i;
  }
  var rem = i;
  var off = base;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let size = params.shape[d / 4][d % 4];
    off += (rem % size) * strides[d / 4][d % 4];
    rem = rem / size;
  }
  return off;
}

@compute @workgroup_size(WG)
fn unary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (!e.valid) {
    return;
  }
  out[e.i] = unary_op(a[offset_of(e, params.strides_a, params.offset_a)], params.alpha, params.beta);
}

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (!e.valid) {
    return;
  }
  let x = a[offset_of(e, params.strides_a, params.offset_a)];
  let y = b[offset_of(e, params.strides_b, params.offset_b)];
  out[e.i] = binary_op(x, y, params.alpha);
}

// out = cond != 0 ? a : b  (cond is bound as c)
@compute @workgroup_size(WG)
fn select_where(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (!e.valid) {
    return;
  }
  let cond = c[offset_of(e, params.strides_c, params.offset_c)];
  let x = a[offset_of(e, params.strides_a, params.offset_a)];
  let y = b[offset_of(e, params.strides_b, params.offset_b)];
  out[e.i] = select(y, x, cond != 0.0);
}

// Bit-exact copy between strided views (a: source, b: destination) of any 4-byte dtype.
@compute @workgroup_size(WG)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (!e.valid) {
    return;
  }
  dst_bits[offset_of(e, params.strides_b, params.offset_b)] = src_bits[offset_of(e, params.strides_a, params.offset_a)];
}

// Writes the 32-bit pattern `bits` to every element of the strided view b.
@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (!e.valid) {
    return;
  }
  dst_bits[offset_of(e, params.strides_b, params.offset_b)] = params.bits;
}

// out[i] = alpha + i * beta
@compute @workgroup_size(WG)
fn arange(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.numel) {
    return;
  }
  out[i] = params.alpha + f32(i) * params.beta;
}

// out_i32[i] = i32(alpha) + i * i32(beta)
@compute @workgroup_size(WG)
fn arange_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.numel) {
    return;
  }
  out_i32[i] = i32(params.alpha) + i32(i) * i32(params.beta);
}

@compute @workgroup_size(WG)
fn cast_to_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (!e.valid) {
    return;
  }
  out[e.i] = f32(src_i32[offset_of(e, params.strides_a, params.offset_a)]);
}

// Truncates toward zero, as a C cast.
@compute @workgroup_size(WG)
fn cast_to_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = element(gid, nwg);
  if (!e.valid) {
    return;
  }
  out_i32[e.i] = i32(a[offset_of(e, params.strides_a, params.offset_a)]);
}

fn unary_op4(x: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(unary_op(x.x, params.alpha, params.beta), unary_op(x.y, params.alpha, params.beta),
                   unary_op(x.z, params.alpha, params.beta), unary_op(x.w, params.alpha, params.beta));
}

fn binary_op4(x: vec4<f32>, y: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(binary_op(x.x, y.x, params.alpha), binary_op(x.y, y.y, params.alpha),
                   binary_op(x.z, y.z, params.alpha), binary_op(x.w, y.w, params.alpha));
}

@compute @workgroup_size(WG)
fn unary_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let first = item_index(gid, nwg) * ITEMS;
  for (var k = 0u; k < ITEMS; k++) {
    let i = first + k;
    if (i < params.numel) {
      out4[i] = unary_op4(a4[params.offset_a + i]);
    }
  }
}

@compute @workgroup_size(WG)
fn binary_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let first = item_index(gid, nwg) * ITEMS;
  for (var k = 0u; k < ITEMS; k++) {
    let i = first + k;
    if (i < params.numel) {
      out4[i] = binary_op4(a4[params.offset_a + i], b4[params.offset_b + i]);
    }
  }
}

@compute @workgroup_size(WG)
fn copy_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let first = item_index(gid, nwg) * ITEMS;
  for (var k = 0u; k < ITEMS; k++) {
    let i = first + k;
    if (i < params.numel) {
      dst_bits4[params.offset_b + i] = src_bits4[params.offset_a + i];
    }
  }
}

@compute @workgroup_size(WG)
fn binary_vec4_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let first = item_index(gid, nwg) * ITEMS;
  for (var k = 0u; k < ITEMS; k++) {
    let i = first + k;
    if (i < params.numel) {
      out4[i] = binary_op4(a4[params.offset_a + i], b4[params.offset_b + i % params.row4]);
    }
  }
}
