// 2x upsampling of a contiguous (planes, H, W) view (planes = N * C) to (planes, 2H, 2W), and its
// backward written as a gather (no atomics). Each axis maps an output index to two taps of the
// input with weights (`axis_taps`); the variants replace it:
//   nearest:  o -> (o / 2, weight 1)
//   bilinear: PyTorch's align_corners = false: src = max((o + 0.5) / 2 - 0.5, 0),
//             i0 = floor(src), i1 = min(i0 + 1, size - 1), weights (1 - (src - i0), src - i0)
// The backward visits, for each input index i, the output indices `axis_window(i)` that may tap
// it (a superset), and adds each one's weight on i from the same `axis_taps`, so both passes use
// identical weights.
//   upsample2x_forward:  one invocation per output element
//   upsample2x_backward: one invocation per input element: dx = sum of wy * wx * g
//   upsample2x_forward_vec4 (CPU adapters, where a load costs about the same per lane for 1 or 4
//     floats): 8 outputs of a row per invocation from one vec4 of each tapped input row (and,
//     with NEIGHBOURS, the columns on either side, edges clamped as axis_taps clamps them);
//     `expand_row` turns them into the 8 outputs
//   upsample2x_backward_vec4: 4 inputs of a row per invocation from two vec4s of each output row
//     that taps it (and, with NEIGHBOURS, the columns on either side, clamped likewise; with
//     G_DENSE off, the same 8 or 10 elements through g's strides); `gather_row` folds them into
//     the 4 inputs' gradients. Both need W a multiple of 4.
// All run on a grid of (ceil(width / WG), rows) workgroups, rows = planes * height of the
// written tensor (folded into the third dimension past the per-dimension limit; a grid still past
// it is split by the runtime, each piece dispatched at its origin wg_base): a workgroup writes
// part of one row, whose plane and row index come from the workgroup id, so invocations do no
// integer division (slow on CPU adapters) and neighbours touch neighbouring addresses.

struct Params {
  planes: u32,
  in_h: u32,
  in_w: u32,
  x_offset: u32,
  // The vec4 backward with G_DENSE off reads g (N, C, 2H, 2W) through these: planes = N * C.
  channels: u32,
  g_offset: u32,
  g_strides: vec4<u32>,
  // Origin of this dispatch in the whole grid: the runtime splits grids past the per-dimension
  // limit into repeated dispatches (0 otherwise).
  wg_base: vec4<u32>,
}

struct Taps {
  i0: u32,
  i1: u32,
  w0: f32,
  w1: f32,
}

override WG: u32 = 32u;
// The vec4 kernels also read the column on either side of their vec4s (bilinear).
override NEIGHBOURS: bool = false;
// The vec4 backward reads the output gradient as contiguous vec4s (g4), or else element by
// element through its strides (g; any view: an expanded gradient is read in place, not copied).
override G_DENSE: bool = true;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> g4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4<f32>>;

// Two vec4s of a row: 8 consecutive values.
struct Pair {
  a: vec4<f32>,
  b: vec4<f32>,
}

fn axis_taps(o: u32, size: u32) -> Taps {
  return Taps(o / 2u, o / 2u, 1.0, 0.0);
}

// Output indices [lo, hi) that may tap input index i (at most 4; clipped to the output size by
// the caller).
fn axis_window(i: u32) -> vec2<u32> {
  return vec2<u32>(2u * i, 2u * i + 2u);
}

// The 8 outputs 8t .. 8t + 7 of a row from its input columns c = 4t .. 4t + 3, the column before
// (`left`) and after (`right`).
fn expand_row(left: f32, c: vec4<f32>, right: f32) -> Pair {
  return Pair(c.xxyy, c.zzww);
}

// The gradients of input columns 4t .. 4t + 3 of a row from its output columns row = 8t .. 8t + 7,
// the column before (`left`) and after (`right`).
fn gather_row(left: f32, row: Pair, right: f32) -> vec4<f32> {
  return vec4<f32>(row.a.xz, row.b.xz) + vec4<f32>(row.a.yw, row.b.yw);
}

// The row of this workgroup in a grid of `rows` rows folded into z past the per-dimension limit
// (rowGrid in kernels/src/upsample.ts; its y extent is recomputed here because a split dispatch
// sees only its piece in num_workgroups).
fn row_of(wid: vec3<u32>, rows: u32) -> u32 {
  let w = wid + params.wg_base.xyz;
  return w.y + w.z * max(1u, min(rows, 65535u));
}

fn tap_weight(t: Taps, i: u32) -> f32 {
  return select(0.0, t.w0, t.i0 == i) + select(0.0, t.w1, t.i1 == i);
}

@compute @workgroup_size(WG)
fn upsample2x_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>) {
  let out_h = 2u * params.in_h;
  let out_w = 2u * params.in_w;
  let row = row_of(wid, params.planes * out_h);
  let ox = gid.x + params.wg_base.x * WG;
  if (ox >= out_w || row >= params.planes * out_h) {
    return;
  }
  let oy = row % out_h;
  let plane = row / out_h;
  let i = row * out_w + ox;
  let ty = axis_taps(oy, params.in_h);
  let tx = axis_taps(ox, params.in_w);
  let base = params.x_offset + plane * params.in_h * params.in_w;
  let r0 = base + ty.i0 * params.in_w;
  let r1 = base + ty.i1 * params.in_w;
  let top = tx.w0 * x[r0 + tx.i0] + tx.w1 * x[r0 + tx.i1];
  let bottom = tx.w0 * x[r1 + tx.i0] + tx.w1 * x[r1 + tx.i1];
  out[i] = ty.w0 * top + ty.w1 * bottom;
}

// g is the output gradient (planes, 2H, 2W), contiguous at offset 0.
@compute @workgroup_size(WG)
fn upsample2x_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                       @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = row_of(wid, params.planes * params.in_h);
  let ix = gid.x + params.wg_base.x * WG;
  if (ix >= params.in_w || row >= params.planes * params.in_h) {
    return;
  }
  let iy = row % params.in_h;
  let plane = row / params.in_h;
  let i = row * params.in_w + ix;
  let out_h = 2u * params.in_h;
  let out_w = 2u * params.in_w;
  let wy = axis_window(iy);
  let wx = axis_window(ix);
  let x_end = min(wx.y, out_w);
  // The weights along x are the same for every output row of the window: compute them once.
  var weight_x: array<f32, 4>;
  for (var ox = wx.x; ox < x_end; ox++) {
    weight_x[ox - wx.x] = tap_weight(axis_taps(ox, params.in_w), ix);
  }
  let base = plane * out_h * out_w;
  var s = 0.0;
  for (var oy = wy.x; oy < min(wy.y, out_h); oy++) {
    let weight_y = tap_weight(axis_taps(oy, params.in_h), iy);
    let g_row = base + oy * out_w;
    var row = 0.0;
    for (var ox = wx.x; ox < x_end; ox++) {
      row += weight_x[ox - wx.x] * g[g_row + ox];
    }
    s += weight_y * row;
  }
  out[i] = s;
}

// ---- vec4 kernels ----

// Input row y of plane `plane` expanded to the 8 outputs of group t.
fn expanded_input_row(plane: u32, y: u32, t: u32) -> Pair {
  let w4 = params.in_w / 4u;
  let row4 = (params.x_offset + (plane * params.in_h + y) * params.in_w) / 4u;
  let c = x4[row4 + t];
  var left = c.x;
  var right = c.w;
  if (NEIGHBOURS) {
    left = select(c.x, x4[row4 + max(t, 1u) - 1u].w, t > 0u);
    right = select(c.w, x4[row4 + min(t + 1u, w4 - 1u)].x, t + 1u < w4);
  }
  return expand_row(left, c, right);
}

@compute @workgroup_size(WG)
fn upsample2x_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                           @builtin(num_workgroups) nwg: vec3<u32>) {
  let out_h = 2u * params.in_h;
  let row = row_of(wid, params.planes * out_h);
  let t = gid.x + params.wg_base.x * WG;
  if (t >= params.in_w / 4u || row >= params.planes * out_h) {
    return;
  }
  let oy = row % out_h;
  let plane = row / out_h;
  let ty = axis_taps(oy, params.in_h);
  let top = expanded_input_row(plane, ty.i0, t);
  var a = top.a;
  var b = top.b;
  if (ty.w1 != 0.0) {
    let bottom = expanded_input_row(plane, ty.i1, t);
    a = ty.w0 * a + ty.w1 * bottom.a;
    b = ty.w0 * b + ty.w1 * bottom.b;
  }
  let dst = row * (params.in_w / 2u) + 2u * t;
  out4[dst] = a;
  out4[dst + 1u] = b;
}

// Output row oy of plane `plane` folded into the gradients of the 4 inputs of group t; with
// G_DENSE off, g_plane is the plane's first element in g.
fn gathered_output_row(plane: u32, g_plane: u32, oy: u32, t: u32) -> vec4<f32> {
  let out_w4 = params.in_w / 2u;
  var grad: Pair;
  var left: f32;
  var right: f32;
  if (G_DENSE) {
    let row4 = params.g_offset / 4u + (plane * 2u * params.in_h + oy) * out_w4;
    grad = Pair(g4[row4 + 2u * t], g4[row4 + 2u * t + 1u]);
    left = grad.a.x;
    right = grad.b.w;
    if (NEIGHBOURS) {
      left = select(grad.a.x, g4[row4 + max(2u * t, 1u) - 1u].w, t > 0u);
      right = select(grad.b.w, g4[row4 + min(2u * t + 2u, out_w4 - 1u)].x, 2u * t + 2u < out_w4);
    }
  } else {
    let row = g_plane + oy * params.g_strides.z;
    let sw = params.g_strides.w;
    let x0 = row + 8u * t * sw;
    grad = Pair(vec4<f32>(g[x0], g[x0 + sw], g[x0 + 2u * sw], g[x0 + 3u * sw]),
                vec4<f32>(g[x0 + 4u * sw], g[x0 + 5u * sw], g[x0 + 6u * sw], g[x0 + 7u * sw]));
    left = grad.a.x;
    right = grad.b.w;
    if (NEIGHBOURS) {
      left = select(grad.a.x, g[row + (max(8u * t, 1u) - 1u) * sw], t > 0u);
      right = select(grad.b.w, g[row + min(8u * t + 8u, 4u * out_w4 - 1u) * sw], 2u * t + 2u < out_w4);
    }
  }
  return gather_row(left, grad, right);
}

@compute @workgroup_size(WG)
fn upsample2x_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                            @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = row_of(wid, params.planes * params.in_h);
  let t = gid.x + params.wg_base.x * WG;
  if (t >= params.in_w / 4u || row >= params.planes * params.in_h) {
    return;
  }
  let iy = row % params.in_h;
  let plane = row / params.in_h;
  let out_h = 2u * params.in_h;
  var g_plane = 0u;
  if (!G_DENSE) {
    let n = plane / params.channels;
    g_plane = params.g_offset + n * params.g_strides.x + (plane - n * params.channels) * params.g_strides.y;
  }
  let wy = axis_window(iy);
  var s = vec4<f32>(0.0);
  for (var oy = wy.x; oy < min(wy.y, out_h); oy++) {
    let weight_y = tap_weight(axis_taps(oy, params.in_h), iy);
    if (weight_y != 0.0) {
      s += weight_y * gathered_output_row(plane, g_plane, oy, t);
    }
  }
  out4[row * (params.in_w / 4u) + t] = s;
}
