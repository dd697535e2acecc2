// Counter-based random numbers (Philox4x32-10, as in PyTorch's CUDA generator and JAX):
// element i of a call draws from counter (offset + i) under key (seed_lo, seed_hi), so any
// element is reproducible without sequential state. Dropout recomputes its mask from the same
// (seed, offset) in backward instead of storing it.

struct Params {
  numel: u32,
  seed_lo: u32,
  seed_hi: u32,
  offset_lo: u32,
  offset_hi: u32,
  alpha: f32,
  beta: f32,
  x_offset: u32,
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

// Full 32x32 -> 64-bit product as (hi, lo).
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let ll = a_lo * b_lo;
  let lh = a_lo * b_hi;
  let hl = a_hi * b_lo;
  let hh = a_hi * b_hi;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  let lo = (mid << 16u) | (ll & 0xffffu);
  return vec2<u32>(hi, lo);
}

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let p0 = mul_wide(0xD2511F53u, c.x);
    let p1 = mul_wide(0xCD9E8D57u, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}

fn draw(i: u32) -> vec4<u32> {
  let lo = params.offset_lo + i;
  let carry = select(0u, 1u, lo < i);
  return philox(vec4<u32>(lo, params.offset_hi + carry, 0u, 0u), vec2<u32>(params.seed_lo, params.seed_hi));
}

// Uniform in [0, 1) with 24 random bits.
fn to_unit(bits: u32) -> f32 {
  return f32(bits >> 8u) * (1.0 / 16777216.0);
}

fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// out = alpha + (beta - alpha) * U[0, 1)
@compute @workgroup_size(WG)
fn uniform_fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.numel) {
    return;
  }
  out[i] = params.alpha + (params.beta - params.alpha) * to_unit(draw(i).x);
}

// out = alpha + beta * N(0, 1), Box-Muller on the first two words of the draw.
@compute @workgroup_size(WG)
fn normal_fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.numel) {
    return;
  }
  let r = draw(i);
  let u1 = (f32(r.x >> 8u) + 1.0) * (1.0 / 16777216.0);
  let u2 = to_unit(r.y);
  out[i] = params.alpha + params.beta * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

// out = 1 with probability alpha, else 0.
@compute @workgroup_size(WG)
fn bernoulli_fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.numel) {
    return;
  }
  out[i] = select(0.0, 1.0, to_unit(draw(i).x) < params.alpha);
}

// Inverted dropout: out = x * keep / (1 - p) where keep ~ Bernoulli(1 - p), p = alpha.
// The same (seed, offset) gives the same mask, so backward applies it to the gradient.
@compute @workgroup_size(WG)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.numel) {
    return;
  }
  let keep = to_unit(draw(i).x) >= params.alpha;
  out[i] = select(0.0, x[params.x_offset + i] / (1.0 - params.alpha), keep);
}
