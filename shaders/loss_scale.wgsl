// Dynamic loss scaling's per-step check: multiplies every gradient (one flat buffer) by 1 / scale
// in place and raises `found` when any gradient is infinite or NaN, so the step is skipped. The
// test reads exponent bits (all ones: inf or NaN) instead of comparing floats, which WGSL lets a
// compiler assume finite. `found` must be 0 before the dispatch; any invocation may set it to 1.

struct Params {
  numel: u32,
  inv_scale: f32,
}

override WG: u32 = 256;
// elements per invocation
override ITEMS: u32 = 4;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> found: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn unscale_check(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let first = (gid.x + gid.y * nwg.x * WG) * ITEMS;
  var bad = false;
  for (var k = 0u; k < ITEMS; k++) {
    let i = first + k;
    if (i < params.numel) {
      let g = grads[i];
      bad = bad || (bitcast<u32>(g) & 0x7f800000u) == 0x7f800000u;
      grads[i] = g * params.inv_scale;
    }
  }
  if (bad) {
    atomicOr(&found[0], 1u);
  }
}
