// f16 storage kernels: casts f32 <-> f16 and the strided copy of f16 views. f16 tensors are
// stored packed, element e in the low (e even) or high (e odd) half of 32-bit word e / 2, so these
// kernels read and write words (`array<u32>`) and convert with integer operations only: they need
// no `shader-f16` feature and give the same bits on every adapter (a driver's float conversion may
// flush subnormals or saturate, and WGSL lets it assume there are no infinities; the loss scaler
// relies on an overflowing cast giving +-inf).
// Same uniform struct and operand conventions as elementwise.wgsl (launch.ts drives both): input
// `a` is a strided view of rank <= 8 (offsets and strides in elements), output `out` contiguous.
// The f16-writing entry points produce one output word (two elements) per invocation; an odd
// count leaves the last word's high half 0.

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
  row4: u32,
}

override WG: u32 = 256;
override CONTIGUOUS: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
// f32 bit patterns (cast_f32_to_f16) or packed f16 pairs (the others)
@group(0) @binding(1) var<storage, read> a: array<u32>;
// packed f16 pairs (cast_f32_to_f16, copy_f16) or f32 bit patterns (cast_f16_to_f32)
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Storage offset (in elements) of row-major element i of the input view.
fn strided(i: u32) -> u32 {
  if (CONTIGUOUS) {
    return params.offset_a + i;
  }
  var rem = i;
  var off = params.offset_a;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let size = params.shape[d / 4][d % 4];
    off += (rem % size) * params.strides_a[d / 4][d % 4];
    rem = rem / size;
  }
  return off;
}

// The 16 bits of f16 element e of the input.
fn half_at(e: u32) -> u32 {
  return (a[e >> 1u] >> ((e & 1u) * 16u)) & 0xffffu;
}

// Nearest f16 to the f32 with these bits, ties to even; overflow gives +-inf, NaN a quiet NaN.
fn f32_bits_to_f16(bits: u32) -> u32 {
  let sign = (bits >> 16u) & 0x8000u;
  let exponent = i32((bits >> 23u) & 0xffu);
  let mantissa = bits & 0x7fffffu;
  if (exponent == 255) {
    return sign | 0x7c00u | select(0u, 0x200u | (mantissa >> 13u), mantissa != 0u);
  }
  let half_exponent = exponent - 112;
  if (half_exponent >= 31) {
    return sign | 0x7c00u;
  }
  if (half_exponent <= 0) {
    // subnormal or zero: (1.mantissa) * 2^(half_exponent - 1) in units of 2^-24
    if (half_exponent < -10) {
      return sign;
    }
    let full = mantissa | 0x800000u;
    let shift = u32(14 - half_exponent);
    let kept = full >> shift;
    let rest = full & ((1u << shift) - 1u);
    let halfway = 1u << (shift - 1u);
    let up = rest > halfway || (rest == halfway && (kept & 1u) == 1u);
    return sign | (kept + select(0u, 1u, up));
  }
  let kept = (u32(half_exponent) << 10u) | (mantissa >> 13u);
  let rest = mantissa & 0x1fffu;
  let up = rest > 0x1000u || (rest == 0x1000u && (kept & 1u) == 1u);
  // a carry out of the mantissa steps the exponent (to inf past 65504), as it should
  return sign | (kept + select(0u, 1u, up));
}

// The f32 bits of an f16 value (exact for every pattern; NaN payloads keep their top bits).
fn f16_to_f32_bits(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let exponent = (h >> 10u) & 0x1fu;
  let mantissa = h & 0x3ffu;
  if (exponent == 31u) {
    return sign | 0x7f800000u | (mantissa << 13u);
  }
  if (exponent != 0u) {
    return sign | ((exponent + 112u) << 23u) | (mantissa << 13u);
  }
  if (mantissa == 0u) {
    return sign;
  }
  // subnormal: normalise so the leading 1 becomes the implicit bit
  let lead = 31u - countLeadingZeros(mantissa);
  return sign | ((lead + 103u) << 23u) | ((mantissa << (23u - lead)) & 0x7fffffu);
}

@compute @workgroup_size(WG)
fn cast_f32_to_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = item_index(gid, nwg);
  let i = 2u * w;
  if (i >= params.numel) {
    return;
  }
  let first = f32_bits_to_f16(a[strided(i)]);
  let second = select(0u, f32_bits_to_f16(a[strided(min(i + 1u, params.numel - 1u))]), i + 1u < params.numel);
  out[w] = first | (second << 16u);
}

@compute @workgroup_size(WG)
fn cast_f16_to_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.numel) {
    return;
  }
  out[i] = f16_to_f32_bits(half_at(strided(i)));
}

// Bit-exact copy of a strided f16 view into a contiguous one.
@compute @workgroup_size(WG)
fn copy_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = item_index(gid, nwg);
  let i = 2u * w;
  if (i >= params.numel) {
    return;
  }
  let second = select(0u, half_at(strided(min(i + 1u, params.numel - 1u))), i + 1u < params.numel);
  out[w] = half_at(strided(i)) | (second << 16u);
}
