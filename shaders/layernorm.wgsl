// Layer normalisation over the last dimension of a contiguous (rows, dim) view, and its backward.
//   forward, writing y and stats = [mean, invstd] per row (interleaved, (rows, 2)); it reads its
//   input through `input_at`, which the 'residual' variant makes x + residual (a residual add
//   fused into the norm, "add & norm"), and hands each input value to `keep_input`, which that
//   variant writes to sum_out (the input the backward needs):
//     layernorm_rows:     one invocation per row, two passes for the statistics (CPU adapters)
//     layernorm_rows_wg:  one workgroup per row, tree reductions (GPUs)
//   input gradient, with gw = g * weight:
//     dx = invstd * (gw - mean(gw) - xhat * mean(gw * xhat))
//     layernorm_backward_rows / layernorm_backward_rows_wg: as the forward
//   parameter gradients, summed over rows in chunks (the caller sums the chunks):
//     layernorm_backward_params: one invocation per (chunk, column):
//     param_partial[chunk] = [sum(g * xhat) (dim), sum(g) (dim)]

struct Params {
  rows: u32,
  dim: u32,
  chunk: u32,
  chunks: u32,
  x_offset: u32,
  weight_offset: u32,
  bias_offset: u32,
  has_weight: u32,
  has_bias: u32,
  eps: f32,
  residual_offset: u32,
}

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats_out: array<f32>;
@group(0) @binding(8) var<storage, read_write> param_partial: array<f32>;
@group(0) @binding(9) var<storage, read> residual: array<f32>;
@group(0) @binding(10) var<storage, read_write> sum_out: array<f32>;

// The forward's input value at element i of the (rows, dim) view.
fn input_at(i: u32) -> f32 {
  return x[params.x_offset + i];
}

// Called with each input value the forward normalises (at element i of the output).
fn keep_input(i: u32, v: f32) {
}

fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn weight_at(d: u32) -> f32 {
  if (params.has_weight != 0u) {
    return weight[params.weight_offset + d];
  }
  return 1.0;
}

fn bias_at(d: u32) -> f32 {
  if (params.has_bias != 0u) {
    return bias[params.bias_offset + d];
  }
  return 0.0;
}

@compute @workgroup_size(WG)
fn layernorm_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = item_index(gid, nwg);
  if (row >= params.rows) {
    return;
  }
  let base = row * params.dim;
  let n = f32(params.dim);
  var s = 0.0;
  for (var d = 0u; d < params.dim; d++) {
    s += input_at(base + d);
  }
  let mean0 = s / n;
  var d_sum = 0.0;
  var d2_sum = 0.0;
  for (var d = 0u; d < params.dim; d++) {
    let v = input_at(base + d) - mean0;
    d_sum += v;
    d2_sum += v * v;
  }
  // The corrected two-pass form removes the rounding error left in the first mean.
  let mean = mean0 + d_sum / n;
  let invstd = inverseSqrt(max(d2_sum - d_sum * d_sum / n, 0.0) / n + params.eps);
  for (var d = 0u; d < params.dim; d++) {
    let v = input_at(base + d);
    keep_input(base + d, v);
    out[base + d] = (v - mean) * invstd * weight_at(d) + bias_at(d);
  }
  stats_out[2u * row] = mean;
  stats_out[2u * row + 1u] = invstd;
}

var<workgroup> partial_a: array<f32, WG>;
var<workgroup> partial_b: array<f32, WG>;

// Sums v_a and v_b over the workgroup (every invocation gets both totals).
fn workgroup_sum2(v_a: f32, v_b: f32, lid: u32) -> vec2<f32> {
  partial_a[lid] = v_a;
  partial_b[lid] = v_b;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lid < width) {
      partial_a[lid] = partial_a[lid] + partial_a[lid + width];
      partial_b[lid] = partial_b[lid] + partial_b[lid + width];
    }
    workgroupBarrier();
  }
  let result = vec2<f32>(partial_a[0], partial_b[0]);
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(WG)
fn layernorm_rows_wg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= params.rows) {
    return;
  }
  let base = row * params.dim;
  let n = f32(params.dim);
  var s = 0.0;
  for (var d = lid.x; d < params.dim; d += WG) {
    s += input_at(base + d);
  }
  let mean0 = workgroup_sum2(s, 0.0, lid.x).x / n;
  var d_sum = 0.0;
  var d2_sum = 0.0;
  for (var d = lid.x; d < params.dim; d += WG) {
    let v = input_at(base + d) - mean0;
    d_sum += v;
    d2_sum += v * v;
  }
  let sums = workgroup_sum2(d_sum, d2_sum, lid.x);
  let mean = mean0 + sums.x / n;
  let invstd = inverseSqrt(max(sums.y - sums.x * sums.x / n, 0.0) / n + params.eps);
  for (var d = lid.x; d < params.dim; d += WG) {
    let v = input_at(base + d);
    keep_input(base + d, v);
    out[base + d] = (v - mean) * invstd * weight_at(d) + bias_at(d);
  }
  if (lid.x == 0u) {
    stats_out[2u * row] = mean;
    stats_out[2u * row + 1u] = invstd;
  }
}

// x is the forward input (at x_offset), g the output gradient (contiguous at 0).
@compute @workgroup_size(WG)
fn layernorm_backward_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = item_index(gid, nwg);
  if (row >= params.rows) {
    return;
  }
  let base = row * params.dim;
  let mean = stats[2u * row];
  let invstd = stats[2u * row + 1u];
  var s_gw = 0.0;
  var s_gw_xhat = 0.0;
  for (var d = 0u; d < params.dim; d++) {
    let gw = g[base + d] * weight_at(d);
    s_gw += gw;
    s_gw_xhat += gw * (x[params.x_offset + base + d] - mean) * invstd;
  }
  let n = f32(params.dim);
  let a = s_gw / n;
  let b = s_gw_xhat / n;
  for (var d = 0u; d < params.dim; d++) {
    let xhat = (x[params.x_offset + base + d] - mean) * invstd;
    out[base + d] = invstd * (g[base + d] * weight_at(d) - a - xhat * b);
  }
}

@compute @workgroup_size(WG)
fn layernorm_backward_rows_wg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                              @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= params.rows) {
    return;
  }
  let base = row * params.dim;
  let mean = stats[2u * row];
  let invstd = stats[2u * row + 1u];
  var s_gw = 0.0;
  var s_gw_xhat = 0.0;
  for (var d = lid.x; d < params.dim; d += WG) {
    let gw = g[base + d] * weight_at(d);
    s_gw += gw;
    s_gw_xhat += gw * (x[params.x_offset + base + d] - mean) * invstd;
  }
  let sums = workgroup_sum2(s_gw, s_gw_xhat, lid.x);
  let n = f32(params.dim);
  let a = sums.x / n;
  let b = sums.y / n;
  for (var d = lid.x; d < params.dim; d += WG) {
    let xhat = (x[params.x_offset + base + d] - mean) * invstd;
    out[base + d] = invstd * (g[base + d] * weight_at(d) - a - xhat * b);
  }
}

// One invocation per (chunk, column d): sums over the chunk's rows of g * xhat and of g.
@compute @workgroup_size(WG)
fn layernorm_backward_params(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = item_index(gid, nwg);
  if (t >= params.chunks * params.dim) {
    return;
  }
  let d = t % params.dim;
  let k = t / params.dim;
  let r0 = k * params.chunk;
  let r1 = min(r0 + params.chunk, params.rows);
  var s_g_xhat = 0.0;
  var s_g = 0.0;
  for (var r = r0; r < r1; r++) {
    let gv = g[r * params.dim + d];
    s_g_xhat += gv * (x[params.x_offset + r * params.dim + d] - stats[2u * r]) * stats[2u * r + 1u];
    s_g += gv;
  }
  param_partial[(2u * k) * params.dim + d] = s_g_xhat;
  param_partial[(2u * k + 1u) * params.dim + d] = s_g;
}
