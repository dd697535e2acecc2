// Softmax and log-softmax along the middle axis of a contiguous [outer, R, inner] view, and their
// backward passes. The forward variants differ in `finish` (how the output is written from the
// max and the sum of exponentials); the backward variants in `backward_value`.
//   softmax_lines:    one invocation per (outer, inner) line, three passes over R (CPU adapters,
//                     short rows, or inner > 1)
//   softmax_rows_wg:  one workgroup per row when inner == 1 (GPUs, long rows)
//   softmax_rows_vec4: one invocation per row read as vec4s, when inner == 1 and the row length
//                     and offset divide by 4 (CPU adapters: a quarter of the loads)
//   *_backward:       dx from y (the forward output) and g (the output gradient):
//                     softmax: dx = y (g - sum(g y));  log-softmax: dx = g - exp(y) sum(g)

struct Params {
  outer: u32,
  len: u32,
  inner: u32,
  x_offset: u32,
}

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out4: array<vec4<f32>>;

fn finish(v: f32, row_max: f32, row_sum: f32) -> f32 {
  return exp(v - row_max) / row_sum;
}

// The gradient term the backward sum runs over: g * y for softmax, g for log-softmax.
fn backward_term(gv: f32, yv: f32) -> f32 {
  return gv * yv;
}

fn backward_value(gv: f32, yv: f32, total: f32) -> f32 {
  return yv * (gv - total);
}

fn line_base(t: u32) -> u32 {
  let i = t % params.inner;
  let o = t / params.inner;
  return o * params.len * params.inner + i;
}

@compute @workgroup_size(WG)
fn softmax_lines(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= params.outer * params.inner) {
    return;
  }
  let base = line_base(t);
  let step = params.inner;
  var m = x[params.x_offset + base];
  for (var r = 1u; r < params.len; r++) {
    m = max(m, x[params.x_offset + base + r * step]);
  }
  var s = 0.0;
  for (var r = 0u; r < params.len; r++) {
    s += exp(x[params.x_offset + base + r * step] - m);
  }
  for (var r = 0u; r < params.len; r++) {
    out[base + r * step] = finish(x[params.x_offset + base + r * step], m, s);
  }
}

var<workgroup> partial: array<f32, WG>;

fn workgroup_reduce(v: f32, lid: u32, use_max: bool) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lid < width) {
      let other = partial[lid + width];
      partial[lid] = select(partial[lid] + other, max(partial[lid], other), use_max);
    }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(WG)
fn softmax_rows_wg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                   @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= params.outer) {
    return;
  }
  let base = row * params.len;
  var m = -3.0e38;
  for (var r = lid.x; r < params.len; r += WG) {
    m = max(m, x[params.x_offset + base + r]);
  }
  m = workgroup_reduce(m, lid.x, true);
  var s = 0.0;
  for (var r = lid.x; r < params.len; r += WG) {
    s += exp(x[params.x_offset + base + r] - m);
  }
  s = workgroup_reduce(s, lid.x, false);
  for (var r = lid.x; r < params.len; r += WG) {
    out[base + r] = finish(x[params.x_offset + base + r], m, s);
  }
}

// x holds y (the forward output), g the output gradient; both contiguous, offsets 0 for g.
@compute @workgroup_size(WG)
fn softmax_lines_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= params.outer * params.inner) {
    return;
  }
  let base = line_base(t);
  let step = params.inner;
  var total = 0.0;
  for (var r = 0u; r < params.len; r++) {
    let k = base + r * step;
    total += backward_term(g[k], x[params.x_offset + k]);
  }
  for (var r = 0u; r < params.len; r++) {
    let k = base + r * step;
    out[k] = backward_value(g[k], x[params.x_offset + k], total);
  }
}

@compute @workgroup_size(WG)
fn softmax_rows_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= params.outer) {
    return;
  }
  let len4 = params.len / 4u;
  let base = params.x_offset / 4u + row * len4;
  var m4 = x4[base];
  for (var r = 1u; r < len4; r++) {
    m4 = max(m4, x4[base + r]);
  }
  let m = max(max(m4.x, m4.y), max(m4.z, m4.w));
  var s4 = vec4<f32>(0.0);
  for (var r = 0u; r < len4; r++) {
    s4 += exp(x4[base + r] - vec4<f32>(m));
  }
  let s = s4.x + s4.y + s4.z + s4.w;
  for (var r = 0u; r < len4; r++) {
    let v = x4[base + r];
    out4[row * len4 + r] = vec4<f32>(finish(v.x, m, s), finish(v.y, m, s), finish(v.z, m, s), finish(v.w, m, s));
  }
}
