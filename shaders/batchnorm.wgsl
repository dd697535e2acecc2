// Batch normalisation over the channels of a contiguous (N, C, H, W) tensor: per-channel
// statistics over the M = N * H * W elements of a channel, the normalising map, and the backward.
// A channel's element m lives at (m / plane) * C * plane + c * plane + m % plane (plane = H * W).
//   statistics (training), two strategies:
//     batchnorm_partial_stats + batchnorm_finalize_stats: one invocation per (channel, chunk)
//         computes the chunk's mean and sum of squared deviations (two passes over the chunk),
//         then one invocation per channel combines the chunks (Chan et al.); no barriers (CPUs)
//     batchnorm_stats_wg: one workgroup per channel, Welford per invocation, tree combine (GPUs)
//     Both work on x - shift, with shift = the channel's first element (shifted data: the
//     centred mean is small, so it keeps the digits a rounded f32 mean of large values loses),
//     and write the per-channel output channel_out = stats = [shift (C), centred mean (C),
//     invstd (C)], mean = shift + centred mean; when update_running, they update the running
//     statistics in place: running = (1 - momentum) running + momentum * batch statistic
//     (unbiased variance).
//   batchnorm_eval_stats: stats from the running statistics (evaluation mode; centred mean 0)
//   batchnorm_apply: y = xhat * weight + bias, xhat = ((x - shift) - centred mean) * invstd
//   gradient sums, channel_out = sums = [sum(dy) (C), sum(dy xhat) (C)] (dbias, dweight), two
//   strategies as above:
//     batchnorm_partial_grad + batchnorm_finalize_grad, or batchnorm_grad_sums_wg
//   batchnorm_input_grad: dx = weight * invstd * input_grad(...), the hook being
//     training: dy - sum(dy) / M - xhat * sum(dy xhat) / M;  eval: dy
//   the statistics kernels count the batch (counter += 1, num_batches_tracked) in passing when
//     update_counter is set
//   fused strategy (CPU adapters, where dispatches are the cost): one workgroup per channel
//     batchnorm_fused_forward: the statistics (two passes over the channel: shifted mean, then the
//         corrected sum of squared deviations), then the normalising map, in one dispatch
//     batchnorm_fused_backward: the gradient sums, then dx (when write_dx), in one dispatch
//     Invocations walk each image's plane of the channel at s = lid, lid + WG, ... (no division).
// Fused activation (variants 'relu'): `activate` follows the affine map in batchnorm_apply, and
// the gradient kernels first take dy through `activation_grad`, recomputing y = xhat * weight +
// bias (no mask is stored).
// Fused residual (variants '_residual'): `residual_at` adds a tensor of x's shape (contiguous at
// residual_offset) before the activation, y = activate(xhat * weight + bias + residual) (a
// ResNet block's end); the gradient kernels recompute it the same way, and the dx kernels hand
// the gradient of the sum (the residual's gradient) to `keep_residual_grad`, which writes it to
// residual_grad (contiguous at 0).
// The tree reductions need WG to be a power of two.

struct Params {
  batch: u32,
  channels: u32,
  plane: u32,
  chunk: u32,
  chunks: u32,
  x_offset: u32,
  weight_offset: u32,
  bias_offset: u32,
  running_mean_offset: u32,
  running_var_offset: u32,
  counter_offset: u32,
  has_weight: u32,
  has_bias: u32,
  update_running: u32,
  momentum: f32,
  eps: f32,
  update_counter: u32,
  write_dx: u32,
  residual_offset: u32,
}

override WG: u32 = 64u;
// Elements of a plane each invocation of the elementwise entry points handles: the dispatch
// sizes the grid's width from it, and invocations stride by that width (neighbouring invocations
// touch neighbouring addresses); per-channel values are loaded once per invocation.
override PER_INVOCATION: u32 = 4u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;
@group(0) @binding(6) var<storage, read> sums: array<f32>;
@group(0) @binding(7) var<storage, read> partial_in: array<f32>;
@group(0) @binding(8) var<storage, read> running_mean_in: array<f32>;
@group(0) @binding(9) var<storage, read> running_var_in: array<f32>;
@group(0) @binding(10) var<storage, read_write> out: array<f32>;
@group(0) @binding(11) var<storage, read_write> channel_out: array<f32>;
@group(0) @binding(12) var<storage, read_write> partial: array<f32>;
@group(0) @binding(13) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(14) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(15) var<storage, read_write> counter: array<i32>;
@group(0) @binding(16) var<storage, read> residual: array<f32>;
@group(0) @binding(17) var<storage, read_write> residual_grad: array<f32>;

// The residual added before the activation at element e (without x_offset) of the (N, C, plane) view.
fn residual_at(e: u32) -> f32 {
  return 0.0;
}

// Called with the gradient of the pre-activation sum at element e (the residual's gradient).
fn keep_residual_grad(e: u32, dz: f32) {
}

// dx / (weight * invstd) from dy, xhat and the channel sums; count = M.
fn input_grad(dy: f32, xhat: f32, sum_dy: f32, sum_dy_xhat: f32, count: f32) -> f32 {
  return dy - sum_dy / count - xhat * sum_dy_xhat / count;
}

fn activate(y: f32) -> f32 {
  return y;
}

// dy of the affine output from dy of the activation's output, at the affine output y.
fn activation_grad(dy: f32, y: f32) -> f32 {
  return dy;
}

fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn count_per_channel() -> u32 {
  return params.batch * params.plane;
}

// Offset (without x_offset) of element (n, s) of channel c; steps (n, s) to the next element,
// so serial loops over a channel divide once, not per element.
fn next_element(c: u32, n: ptr<function, u32>, s: ptr<function, u32>) -> u32 {
  let e = ((*n) * params.channels + c) * params.plane + *s;
  *s += 1u;
  if (*s == params.plane) {
    *s = 0u;
    *n += 1u;
  }
  return e;
}

// Offset (without x_offset) of element m of channel c.
fn channel_element(c: u32, m: u32) -> u32 {
  let n = m / params.plane;
  return (n * params.channels + c) * params.plane + (m - n * params.plane);
}

fn weight_at(c: u32) -> f32 {
  if (params.has_weight != 0u) {
    return weight[params.weight_offset + c];
  }
  return 1.0;
}

fn bias_at(c: u32) -> f32 {
  if (params.has_bias != 0u) {
    return bias[params.bias_offset + c];
  }
  return 0.0;
}

// The shift of channel c: its first element.
fn channel_shift(c: u32) -> f32 {
  return x[params.x_offset + channel_element(c, 0u)];
}

// xhat of value v of channel c from stats.
fn normalized(c: u32, v: f32) -> f32 {
  return ((v - stats[c]) - stats[params.channels + c]) * stats[2u * params.channels + c];
}

// Writes the channel's stats from the centred mean and M2; updates the running statistics.
fn finish_channel(c: u32, shift: f32, centred_mean: f32, m2: f32) {
  let count = f32(count_per_channel());
  let biased = m2 / count;
  channel_out[c] = shift;
  channel_out[params.channels + c] = centred_mean;
  channel_out[2u * params.channels + c] = inverseSqrt(biased + params.eps);
  if (params.update_running != 0u) {
    let mean = shift + centred_mean;
    let unbiased = m2 / max(count - 1.0, 1.0);
    let rm = params.running_mean_offset + c;
    let rv = params.running_var_offset + c;
    running_mean[rm] = (1.0 - params.momentum) * running_mean[rm] + params.momentum * mean;
    running_var[rv] = (1.0 - params.momentum) * running_var[rv] + params.momentum * unbiased;
  }
  if (params.update_counter != 0u && c == 0u) {
    counter[params.counter_offset] = counter[params.counter_offset] + 1;
  }
}

// One invocation per (channel, chunk): partial = [chunk mean, chunk sum of squared deviations]
// of x - shift.
@compute @workgroup_size(WG)
fn batchnorm_partial_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = item_index(gid, nwg);
  if (t >= params.channels * params.chunks) {
    return;
  }
  let c = t / params.chunks;
  let k = t % params.chunks;
  let m0 = k * params.chunk;
  let m1 = min(m0 + params.chunk, count_per_channel());
  let shift = channel_shift(c);
  let n0 = m0 / params.plane;
  let s0 = m0 - n0 * params.plane;
  var n_at = n0;
  var s_at = s0;
  var total = 0.0;
  for (var m = m0; m < m1; m++) {
    total += x[params.x_offset + next_element(c, &n_at, &s_at)] - shift;
  }
  let n = f32(m1 - m0);
  let mean = total / n;
  var d_sum = 0.0;
  var d2_sum = 0.0;
  n_at = n0;
  s_at = s0;
  for (var m = m0; m < m1; m++) {
    let d = (x[params.x_offset + next_element(c, &n_at, &s_at)] - shift) - mean;
    d_sum += d;
    d2_sum += d * d;
  }
  // The corrected two-pass form removes the rounding error left in the mean.
  partial[2u * t] = mean + d_sum / n;
  partial[2u * t + 1u] = max(d2_sum - d_sum * d_sum / n, 0.0);
}

// One invocation per channel: combines the chunks' (mean, M2) pairs in order (Chan et al.).
@compute @workgroup_size(WG)
fn batchnorm_finalize_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = item_index(gid, nwg);
  if (c >= params.channels) {
    return;
  }
  let total = count_per_channel();
  var n_a = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var k = 0u; k < params.chunks; k++) {
    let t = c * params.chunks + k;
    let n_b = f32(min(params.chunk, total - k * params.chunk));
    let n = n_a + n_b;
    let delta = partial_in[2u * t] - mean;
    mean += delta * (n_b / n);
    m2 += partial_in[2u * t + 1u] + delta * delta * (n_a * n_b / n);
    n_a = n;
  }
  finish_channel(c, channel_shift(c), mean, m2);
}

var<workgroup> wg_count: array<f32, WG>;
var<workgroup> wg_mean: array<f32, WG>;
var<workgroup> wg_m2: array<f32, WG>;

// One workgroup per channel: each invocation runs Welford over a strided subset, then a tree
// combines the (count, mean, M2) triples; invocation 0 writes the channel.
@compute @workgroup_size(WG)
fn batchnorm_stats_wg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= params.channels) {
    return;
  }
  let total = count_per_channel();
  let shift = channel_shift(c);
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var m = lid.x; m < total; m += WG) {
    let v = x[params.x_offset + channel_element(c, m)] - shift;
    n += 1.0;
    let delta = v - mean;
    mean += delta / n;
    m2 += delta * (v - mean);
  }
  wg_count[lid.x] = n;
  wg_mean[lid.x] = mean;
  wg_m2[lid.x] = m2;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lid.x < width) {
      let n_a = wg_count[lid.x];
      let n_b = wg_count[lid.x + width];
      let n_ab = n_a + n_b;
      if (n_b > 0.0) {
        let delta = wg_mean[lid.x + width] - wg_mean[lid.x];
        wg_mean[lid.x] = wg_mean[lid.x] + delta * (n_b / n_ab);
        wg_m2[lid.x] = wg_m2[lid.x] + wg_m2[lid.x + width] + delta * delta * (n_a * n_b / n_ab);
        wg_count[lid.x] = n_ab;
      }
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    finish_channel(c, shift, wg_mean[0], wg_m2[0]);
  }
}

// One invocation per channel: stats from the running statistics (evaluation mode).
@compute @workgroup_size(WG)
fn batchnorm_eval_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = item_index(gid, nwg);
  if (c >= params.channels) {
    return;
  }
  channel_out[c] = running_mean_in[params.running_mean_offset + c];
  channel_out[params.channels + c] = 0.0;
  channel_out[2u * params.channels + c] = inverseSqrt(running_var_in[params.running_var_offset + c] + params.eps);
}

// The elementwise entry points run on a grid of (ceil(plane / (WG * PER_INVOCATION)), N * C)
// workgroups (the second dimension folded into the third past the per-dimension limit): the plane
// (n, c) comes from the workgroup id, so no invocation divides by a runtime size (slow on CPU
// adapters).
fn plane_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y + wid.z * nwg.y;
}

// y = xhat * weight + bias, elementwise.
@compute @workgroup_size(WG)
fn batchnorm_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                   @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = plane_of(wid, nwg);
  if (p >= params.batch * params.channels) {
    return;
  }
  let c = p % params.channels;
  let shift = stats[c];
  let centred_mean = stats[params.channels + c];
  let scale = stats[2u * params.channels + c] * weight_at(c);
  let offset = bias_at(c);
  let base = p * params.plane;
  for (var s = gid.x; s < params.plane; s += nwg.x * WG) {
    out[base + s] = activate(((x[params.x_offset + base + s] - shift) - centred_mean) * scale + offset + residual_at(base + s));
  }
}

// One invocation per (channel, chunk): partial = [sum(dy), sum(dy xhat)] over the chunk.
// g (dy) is contiguous at offset 0.
@compute @workgroup_size(WG)
fn batchnorm_partial_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = item_index(gid, nwg);
  if (t >= params.channels * params.chunks) {
    return;
  }
  let c = t / params.chunks;
  let k = t % params.chunks;
  let m0 = k * params.chunk;
  let m1 = min(m0 + params.chunk, count_per_channel());
  let shift = stats[c];
  let centred_mean = stats[params.channels + c];
  let invstd = stats[2u * params.channels + c];
  let w = weight_at(c);
  let b = bias_at(c);
  var n_at = m0 / params.plane;
  var s_at = m0 - n_at * params.plane;
  var s_dy = 0.0;
  var s_dy_xc = 0.0;
  for (var m = m0; m < m1; m++) {
    let e = next_element(c, &n_at, &s_at);
    let xc = (x[params.x_offset + e] - shift) - centred_mean;
    let dy = activation_grad(g[e], xc * invstd * w + b + residual_at(e));
    s_dy += dy;
    s_dy_xc += dy * xc;
  }
  let s_dy_xhat = s_dy_xc * stats[2u * params.channels + c];
  partial[2u * t] = s_dy;
  partial[2u * t + 1u] = s_dy_xhat;
}

// One invocation per channel: sums = [sum(dy) (C), sum(dy xhat) (C)] from the chunks.
@compute @workgroup_size(WG)
fn batchnorm_finalize_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = item_index(gid, nwg);
  if (c >= params.channels) {
    return;
  }
  var s_dy = 0.0;
  var s_dy_xhat = 0.0;
  for (var k = 0u; k < params.chunks; k++) {
    let t = c * params.chunks + k;
    s_dy += partial_in[2u * t];
    s_dy_xhat += partial_in[2u * t + 1u];
  }
  channel_out[c] = s_dy;
  channel_out[params.channels + c] = s_dy_xhat;
}

var<workgroup> wg_pair: array<vec2<f32>, WG>;

// The workgroup's sum of v, returned to every invocation (call in uniform control flow).
fn workgroup_sum(v: vec2<f32>, lid: u32) -> vec2<f32> {
  wg_pair[lid] = v;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lid < width) {
      wg_pair[lid] = wg_pair[lid] + wg_pair[lid + width];
    }
    workgroupBarrier();
  }
  let total = wg_pair[0];
  workgroupBarrier();
  return total;
}

// One workgroup per channel: the two gradient sums by strided partial sums and a tree.
@compute @workgroup_size(WG)
fn batchnorm_grad_sums_wg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                          @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= params.channels) {
    return;
  }
  let total = count_per_channel();
  var s_dy = 0.0;
  var s_dy_xhat = 0.0;
  let w = weight_at(c);
  let b = bias_at(c);
  for (var m = lid.x; m < total; m += WG) {
    let e = channel_element(c, m);
    let xhat = normalized(c, x[params.x_offset + e]);
    let dy = activation_grad(g[e], xhat * w + b + residual_at(e));
    s_dy += dy;
    s_dy_xhat += dy * xhat;
  }
  let totals = workgroup_sum(vec2<f32>(s_dy, s_dy_xhat), lid.x);
  if (lid.x == 0u) {
    channel_out[c] = totals.x;
    channel_out[params.channels + c] = totals.y;
  }
}

// dx = weight * invstd * input_grad(...), elementwise. g (dy) is contiguous at 0.
@compute @workgroup_size(WG)
fn batchnorm_input_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                        @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = plane_of(wid, nwg);
  if (p >= params.batch * params.channels) {
    return;
  }
  let c = p % params.channels;
  let shift = stats[c];
  let centred_mean = stats[params.channels + c];
  let invstd = stats[2u * params.channels + c];
  let w = weight_at(c);
  let b = bias_at(c);
  let scale = w * invstd;
  let sum_dy = sums[c];
  let sum_dy_xhat = sums[params.channels + c];
  let count = f32(count_per_channel());
  let base = p * params.plane;
  for (var s = gid.x; s < params.plane; s += nwg.x * WG) {
    let xhat = ((x[params.x_offset + base + s] - shift) - centred_mean) * invstd;
    let dz = activation_grad(g[base + s], xhat * w + b + residual_at(base + s));
    keep_residual_grad(base + s, dz);
    out[base + s] = scale * input_grad(dz, xhat, sum_dy, sum_dy_xhat, count);
  }
}


// One workgroup per channel: statistics (written to channel_out, running statistics and counter
// updated as in finish_channel), then y = activate(xhat * weight + bias).
@compute @workgroup_size(WG)
fn batchnorm_fused_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                           @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= params.channels) {
    return;
  }
  let count = f32(count_per_channel());
  let shift = channel_shift(c);
  var total = 0.0;
  for (var n = 0u; n < params.batch; n++) {
    let base = params.x_offset + (n * params.channels + c) * params.plane;
    for (var s = lid.x; s < params.plane; s += WG) {
      total += x[base + s] - shift;
    }
  }
  let mean = workgroup_sum(vec2<f32>(total, 0.0), lid.x).x / count;
  var d_sum = 0.0;
  var d2_sum = 0.0;
  for (var n = 0u; n < params.batch; n++) {
    let base = params.x_offset + (n * params.channels + c) * params.plane;
    for (var s = lid.x; s < params.plane; s += WG) {
      let d = (x[base + s] - shift) - mean;
      d_sum += d;
      d2_sum += d * d;
    }
  }
  let totals = workgroup_sum(vec2<f32>(d_sum, d2_sum), lid.x);
  // the corrected two-pass form removes the rounding error left in the mean
  let centred_mean = mean + totals.x / count;
  let m2 = max(totals.y - totals.x * totals.x / count, 0.0);
  if (lid.x == 0u) {
    finish_channel(c, shift, centred_mean, m2);
  }
  let scale = inverseSqrt(m2 / count + params.eps) * weight_at(c);
  let offset = bias_at(c);
  for (var n = 0u; n < params.batch; n++) {
    let base = (n * params.channels + c) * params.plane;
    for (var s = lid.x; s < params.plane; s += WG) {
      let e = base + s;
      out[e] = activate(((x[params.x_offset + e] - shift) - centred_mean) * scale + offset + residual_at(e));
    }
  }
}

// One workgroup per channel: sums = [sum(dy), sum(dy xhat)] into channel_out, then (when
// write_dx) dx = weight * invstd * input_grad(...). g (dy) is contiguous at 0.
@compute @workgroup_size(WG)
fn batchnorm_fused_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                            @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= params.channels) {
    return;
  }
  let shift = stats[c];
  let centred_mean = stats[params.channels + c];
  let invstd = stats[2u * params.channels + c];
  let w = weight_at(c);
  let b = bias_at(c);
  var s_dy = 0.0;
  var s_dy_xc = 0.0;
  for (var n = 0u; n < params.batch; n++) {
    let base = (n * params.channels + c) * params.plane;
    for (var s = lid.x; s < params.plane; s += WG) {
      let e = base + s;
      let xc = (x[params.x_offset + e] - shift) - centred_mean;
      let dy = activation_grad(g[e], xc * invstd * w + b + residual_at(e));
      s_dy += dy;
      s_dy_xc += dy * xc;
    }
  }
  let totals = workgroup_sum(vec2<f32>(s_dy, s_dy_xc), lid.x);
  let sum_dy = totals.x;
  let sum_dy_xhat = totals.y * invstd;
  if (lid.x == 0u) {
    channel_out[c] = sum_dy;
    channel_out[params.channels + c] = sum_dy_xhat;
  }
  if (params.write_dx == 0u) {
    return;
  }
  let scale = w * invstd;
  let count = f32(count_per_channel());
  for (var n = 0u; n < params.batch; n++) {
    let base = (n * params.channels + c) * params.plane;
    for (var s = lid.x; s < params.plane; s += WG) {
      let e = base + s;
      let xhat = ((x[params.x_offset + e] - shift) - centred_mean) * invstd;
      let dz = activation_grad(g[e], xhat * w + b + residual_at(e));
      keep_residual_grad(e, dz);
      out[e] = scale * input_grad(dz, xhat, sum_dy, sum_dy_xhat, count);
    }
  }
}
