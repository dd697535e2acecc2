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
// Both run on a grid of (ceil(width / WG), rows) workgroups, rows = planes * height of the
// written tensor (folded into the third dimension past the per-dimension limit): a workgroup
// writes part of one row, whose plane and row index come from the workgroup id, so invocations
// do no integer division (slow on CPU adapters) and neighbours touch neighbouring addresses.

struct Params {
  planes: u32,
  in_h: u32,
  in_w: u32,
  x_offset: u32,
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

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn axis_taps(o: u32, size: u32) -> Taps {
  return Taps(o / 2u, o / 2u, 1.0, 0.0);
}

// Output indices [lo, hi) that may tap input index i (at most 4; clipped to the output size by
// the caller).
fn axis_window(i: u32) -> vec2<u32> {
  return vec2<u32>(2u * i, 2u * i + 2u);
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
