// 2-D max and average pooling over (planes, H, W) with stride and zero/-inf padding, and their
// gradients written as gathers (each input element sums the outputs it fed), so the backward
// passes are deterministic and need no atomics.
//   max_pool_forward:  the max of each window (padding counts as -inf) and its argmax, the flat
//                      index y * W + x in the plane of the first maximum in scan order (as PyTorch)
//   max_pool_backward: dx[p, y, x] = sum of g over the outputs of plane p whose argmax is y * W + x
//   avg_pool_forward:  the window's sum over its divisor: the window clipped to the padded input
//                      (count_include_pad = 1, as PyTorch) or its elements inside the input
//   avg_pool_backward: dx[p, y, x] = sum over the windows containing (y, x) of g / divisor
// One invocation per output element (forward) or input element (backward): x along the row,
// rows (plane, y) from the workgroup grid, so a workgroup never straddles a row.

struct Params {
  planes: u32,
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
  k_h: u32,
  k_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_h: u32,
  pad_w: u32,
  x_offset: u32,
  count_include_pad: u32,
  // Origin of this dispatch in the whole grid: the runtime splits grids past the per-dimension
  // limit into repeated dispatches (0 otherwise).
  wg_base: vec4<u32>,
}

override WG: u32 = 32u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read> argmax_in: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> argmax: array<i32>;

// The (column, row) of this invocation in a grid of `rows` rows: column along x, row = plane *
// height + y, the rows folded into z past the per-dimension limit (rowGrid in kernels/src/pool.ts;
// its y extent is recomputed here because a split dispatch sees only its piece in num_workgroups).
fn position(gid: vec3<u32>, wid: vec3<u32>, rows: u32) -> vec2<u32> {
  let w = wid + params.wg_base.xyz;
  let grid_y = max(1u, min(rows, 65535u));
  return vec2<u32>(gid.x + params.wg_base.x * WG, w.y + w.z * grid_y);
}

// Top-left corner of output (oy, ox)'s window in input coordinates (may be negative: padding).
fn window_corner(oy: u32, ox: u32) -> vec2<i32> {
  return vec2<i32>(i32(oy * params.stride_h) - i32(params.pad_h), i32(ox * params.stride_w) - i32(params.pad_w));
}

// Outputs [first, last] along one axis whose windows contain input index i (empty when first > last).
fn covering(i: u32, k: u32, stride: u32, pad: u32, out_size: u32) -> vec2<i32> {
  let t = i32(i + pad);
  let first = select(0, (t - i32(k) + i32(stride)) / i32(stride), t >= i32(k));
  let last = min(t / i32(stride), i32(out_size) - 1);
  return vec2<i32>(first, last);
}

// Average pooling's divisor for the window at corner c.
fn divisor(c: vec2<i32>) -> f32 {
  let h = vec2<i32>(i32(params.in_h), i32(params.in_w));
  let k = vec2<i32>(i32(params.k_h), i32(params.k_w));
  let pad = vec2<i32>(i32(params.pad_h), i32(params.pad_w));
  if (params.count_include_pad != 0u) {
    let span = min(c + k, h + pad) - c;
    return f32(span.x * span.y);
  }
  let span = min(c + k, h) - max(c, vec2<i32>(0, 0));
  return f32(span.x * span.y);
}

@compute @workgroup_size(WG)
fn max_pool_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                    @builtin(num_workgroups) nwg: vec3<u32>) {
  let at = position(gid, wid, params.planes * params.out_h);
  if (at.x >= params.out_w || at.y >= params.planes * params.out_h) {
    return;
  }
  let plane = at.y / params.out_h;
  let oy = at.y - plane * params.out_h;
  let c = window_corner(oy, at.x);
  let base = params.x_offset + plane * params.in_h * params.in_w;
  var best = 0.0;
  var best_at = -1;
  for (var ky = 0u; ky < params.k_h; ky++) {
    let y = c.x + i32(ky);
    if (y < 0 || y >= i32(params.in_h)) {
      continue;
    }
    for (var kx = 0u; kx < params.k_w; kx++) {
      let xx = c.y + i32(kx);
      if (xx < 0 || xx >= i32(params.in_w)) {
        continue;
      }
      let flat = y * i32(params.in_w) + xx;
      let v = x[base + u32(flat)];
      if (best_at < 0 || v > best) {
        best = v;
        best_at = flat;
      }
    }
  }
  let o = at.y * params.out_w + at.x;
  out[o] = best;
  argmax[o] = best_at;
}

@compute @workgroup_size(WG)
fn max_pool_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
  let at = position(gid, wid, params.planes * params.in_h);
  if (at.x >= params.in_w || at.y >= params.planes * params.in_h) {
    return;
  }
  let plane = at.y / params.in_h;
  let iy = at.y - plane * params.in_h;
  let flat = i32(iy * params.in_w + at.x);
  let rows = covering(iy, params.k_h, params.stride_h, params.pad_h, params.out_h);
  let cols = covering(at.x, params.k_w, params.stride_w, params.pad_w, params.out_w);
  let base = plane * params.out_h * params.out_w;
  var total = 0.0;
  for (var oy = rows.x; oy <= rows.y; oy++) {
    for (var ox = cols.x; ox <= cols.y; ox++) {
      let o = base + u32(oy) * params.out_w + u32(ox);
      if (argmax_in[o] == flat) {
        total += g[o];
      }
    }
  }
  out[at.y * params.in_w + at.x] = total;
}

@compute @workgroup_size(WG)
fn avg_pool_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                    @builtin(num_workgroups) nwg: vec3<u32>) {
  let at = position(gid, wid, params.planes * params.out_h);
  if (at.x >= params.out_w || at.y >= params.planes * params.out_h) {
    return;
  }
  let plane = at.y / params.out_h;
  let oy = at.y - plane * params.out_h;
  let c = window_corner(oy, at.x);
  let base = params.x_offset + plane * params.in_h * params.in_w;
  var total = 0.0;
  for (var ky = 0u; ky < params.k_h; ky++) {
    let y = c.x + i32(ky);
    if (y < 0 || y >= i32(params.in_h)) {
      continue;
    }
    for (var kx = 0u; kx < params.k_w; kx++) {
      let xx = c.y + i32(kx);
      if (xx >= 0 && xx < i32(params.in_w)) {
        total += x[base + u32(y) * params.in_w + u32(xx)];
      }
    }
  }
  out[at.y * params.out_w + at.x] = total / divisor(c);
}

@compute @workgroup_size(WG)
fn avg_pool_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
  let at = position(gid, wid, params.planes * params.in_h);
  if (at.x >= params.in_w || at.y >= params.planes * params.in_h) {
    return;
  }
  let plane = at.y / params.in_h;
  let iy = at.y - plane * params.in_h;
  let rows = covering(iy, params.k_h, params.stride_h, params.pad_h, params.out_h);
  let cols = covering(at.x, params.k_w, params.stride_w, params.pad_w, params.out_w);
  let base = plane * params.out_h * params.out_w;
  var total = 0.0;
  for (var oy = rows.x; oy <= rows.y; oy++) {
    for (var ox = cols.x; ox <= cols.y; ox++) {
      total += g[base + u32(oy) * params.out_w + u32(ox)] / divisor(window_corner(u32(oy), u32(ox)));
    }
  }
  out[at.y * params.in_w + at.x] = total;
}
