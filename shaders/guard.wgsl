// Divergence guard: watches a scalar (the training loss) every step without a readback. One
// invocation reads value[value_offset] and, while no bad value has been seen, records the first
// one that is not finite or whose magnitude exceeds `bound`:
//   state[0] = index of the first bad call (-1 while none), state[1] = that value,
//   state[2] = calls so far (the index the next call gets; exact up to 2^24).
// Finiteness is read from the bits (exponent all ones), since WGSL lets a compiler assume that
// float arithmetic never produces NaN or infinity, so `v != v` may be folded away.

struct Params {
  value_offset: u32,
  bound: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> value: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;

@compute @workgroup_size(1)
fn guard_finite() {
  let index = state[2];
  state[2] = index + 1.0;
  if (state[0] >= 0.0) {
    return;
  }
  let v = value[params.value_offset];
  let nonfinite = (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
  if (nonfinite || abs(v) > params.bound) {
    state[0] = index;
    state[1] = v;
  }
}
