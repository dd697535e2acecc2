// 2-D max and average pooling over (planes, H, W) with stride and zero/-inf padding, and their
// gradients written as gathers (each input element sums the outputs it fed), so the backward
// passes are deterministic and need no atomics.
//   max_pool_forward:  the max of each window (padding counts as -inf) and its argmax, the flat
//                      index y * W + x in the plane of the first maximum in scan order (as PyTorch)
//   max_pool_backward: dx[p, y, x] = sum of g over the outputs of plane p whose argmax is y * W + x
//   avg_pool_forward:  the window's sum over its divisor: the window clipped to the padded input
//                      (count_include_pad = 1, as PyTorch) or its elements inside the input
//   avg_pool_backward: dx[p, y, x] = sum over the windows containing (y, x) of g / divisor
// Two structures, both with x along the row and rows (plane, y) from the workgroup grid, so a
// workgroup never straddles a row:
//   *_forward / *_backward: one invocation per output element (forward) or input element
//     (backward), scalar loads; any geometry and layout.
//   *_vec4 (CPU adapters, where a load costs about the same per lane for 1 or 4 floats): rows read
//     and written as vec4s (W, OW multiples of 4, the input at an offset that is a multiple of 4).
//     The window geometry along x is compile-time (K_W, STRIDE_W, PAD_W), so each invocation
//     keeps a row segment in registers and picks its taps by constant indices:
//       forward:  4 OUT_VEC4 outputs from 4 OUT_VEC4 t on, in each of OUT_ROWS consecutive output
//                 rows (a band: rows[at.y] is band at.y of its plane); per input row of the
//                 band's windows (read once for all its output rows) it loads the SPAN4 vec4s
//                 covering their windows (columns from 4 OUT_VEC4 t STRIDE_W - PAD_W on, the
//                 segment starting LEAD vec4s before vec4 OUT_VEC4 t STRIDE_W); max pooling
//                 writes the argmaxes only with WRITE_ARGMAX (they are needed for the backward);
//       backward: 4 STRIDE_W inputs (so the outputs covering them start at a fixed offset from
//                 4t); per output row that covers the input row it loads G_SPAN4 vec4s of the
//                 gradient (and of argmax) from vec4 t + G_LEAD on (the gradient element by
//                 element through its strides with G_DENSE off).

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
  // The vec4 backwards with G_DENSE off read g (N, C, OH, OW) through these: planes = N * C.
  channels: u32,
  g_offset: u32,
  g_strides: vec4<u32>,
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
@group(0) @binding(6) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> g4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> argmax4_in: array<vec4<i32>>;
@group(0) @binding(9) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> argmax4: array<vec4<i32>>;

// The vec4 kernels' window geometry along x, and what follows from it.
override K_W: u32 = 3u;
override STRIDE_W: u32 = 2u;
override PAD_W: u32 = 1u;
// Forward: vec4s of outputs per output row of an invocation (1 or 2), output rows per invocation
// (1 or 2), whether max pooling writes its argmaxes,
// vec4s before vec4 OUT_VEC4 t STRIDE_W where the segment starts, the column of the first tap in
// the segment, and the segment's length in vec4s (at most MAX_SPAN4).
override OUT_VEC4: u32 = 2u;
override OUT_ROWS: u32 = 2u;
override WRITE_ARGMAX: bool = true;
override LEAD: u32 = (PAD_W + 3u) / 4u;
override SHIFT: u32 = 4u * LEAD - PAD_W;
override SPAN4: u32 = (SHIFT + (4u * OUT_VEC4 - 1u) * STRIDE_W + K_W + 3u) / 4u;
// Backward: outputs that may cover inputs 4 t STRIDE_W + e (e < 4 STRIDE_W) are 4 t + r for r in
// [R_LO, R_HI]; their gradient vec4s are t + G_LEAD .. (G_SPAN4 of them, at most MAX_SPAN4).
override R_LO: i32 = -((i32(K_W) - i32(PAD_W) - 1) / i32(STRIDE_W));
override R_HI: i32 = (4 * i32(STRIDE_W) - 1 + i32(PAD_W)) / i32(STRIDE_W);
override G_LEAD: i32 = -((3 - R_LO) / 4);
override G_SPAN4: u32 = u32((R_HI - 4 * G_LEAD) / 4 + 1);
// The window of gradient element c of that segment starts at input c STRIDE_W - TAP_SHIFT
// (relative to 4 t STRIDE_W).
override TAP_SHIFT: u32 = u32(PAD_W) + u32(-4 * G_LEAD) * STRIDE_W;
// The backwards read the output gradient as contiguous vec4s (g4), or else element by element
// through its strides (g; any view: an expanded gradient is read in place, not copied).
override G_DENSE: bool = true;
// On lavapipe a private array indexed by a non-constant lives in memory and costs many times
// more than registers, so the loops below over register arrays must unroll (constant trip
// counts, unsigned index arithmetic: signed division does not fold) and stay small (NIR unrolls
// a nest only below a size limit): their bodies are a few vector operations.
const MAX_SPAN4: u32 = 8u;

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

// ---- vec4 kernels: grid x = blocks of WG vec4 groups of a row, rows from the grid ----

// Row segment of input row y for the output group t: SPAN4 vec4s from vec4 OUT_VEC4 t STRIDE_W -
// LEAD, with whether each lies inside the row.
struct Segment {
  v: array<vec4<f32>, MAX_SPAN4>,
  inside: array<bool, MAX_SPAN4>,
}

fn load_segment(plane: u32, y: u32, t: u32) -> Segment {
  var seg: Segment;
  let w4 = i32(params.in_w / 4u);
  let row4 = (params.x_offset + (plane * params.in_h + y) * params.in_w) / 4u;
  let first = i32(OUT_VEC4 * t * STRIDE_W) - i32(LEAD);
  for (var v = 0u; v < SPAN4; v++) {
    let c4 = first + i32(v);
    seg.inside[v] = c4 >= 0 && c4 < w4;
    seg.v[v] = x4[row4 + u32(clamp(c4, 0, w4 - 1))];
  }
  return seg;
}

// Tap kx of the windows of the 4 outputs of quad q: the segment's columns SHIFT + (4q + j)
// STRIDE_W + kx.
struct Taps {
  v: vec4<f32>,
  inside: vec4<bool>,
}

fn window_taps(seg: ptr<function, Segment>, q: u32, kx: u32) -> Taps {
  var taps: Taps;
  for (var j = 0u; j < 4u; j++) {
    let c = SHIFT + (4u * q + j) * STRIDE_W + kx;
    taps.v[j] = (*seg).v[c / 4u][c % 4u];
    taps.inside[j] = (*seg).inside[c / 4u];
  }
  return taps;
}

// The OUT_ROWS output rows of invocation row at.y: its plane, first output row, and the input row
// of its first window.
struct Band {
  plane: u32,
  oy: u32,
  y0: i32,
}

// Bands of OUT_ROWS output rows per plane (the vec4 forwards' grid has planes * output_bands() rows).
fn output_bands() -> u32 {
  return (params.out_h + OUT_ROWS - 1u) / OUT_ROWS;
}

fn output_band(at: vec2<u32>) -> Band {
  let bands = output_bands();
  let plane = at.y / bands;
  let oy = (at.y - plane * bands) * OUT_ROWS;
  return Band(plane, oy, i32(oy * params.stride_h) - i32(params.pad_h));
}

// Whether input row ky of a band (from its first window's top) lies in the window of each of
// its output rows.
fn band_rows(ky: u32) -> array<bool, 2> {
  var rows: array<bool, 2>;
  for (var r = 0u; r < 2u; r++) {
    rows[r] = ky >= r * params.stride_h && ky < r * params.stride_h + params.k_h;
  }
  return rows;
}

@compute @workgroup_size(WG)
fn max_pool_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                         @builtin(num_workgroups) nwg: vec3<u32>) {
  let quads = params.out_w / 4u;
  let at = position(gid, wid, params.planes * output_bands());
  let band = output_band(at);
  if (at.x * OUT_VEC4 >= quads || band.plane >= params.planes) {
    return;
  }
  let col0 = i32(at.x * OUT_VEC4 * STRIDE_W * 4u) - i32(PAD_W);
  // [r * 2 + q]: output row r of the band, output vec4 q
  var best: array<vec4<f32>, 4>;
  var best_at = array<vec4<i32>, 4>(vec4<i32>(-1), vec4<i32>(-1), vec4<i32>(-1), vec4<i32>(-1));
  for (var ky = 0u; ky < params.k_h + (OUT_ROWS - 1u) * params.stride_h; ky++) {
    let y = band.y0 + i32(ky);
    if (y < 0 || y >= i32(params.in_h)) {
      continue;
    }
    let rows = band_rows(ky);
    var seg = load_segment(band.plane, u32(y), at.x);
    for (var q = 0u; q < OUT_VEC4; q++) {
      let flat = vec4<i32>(y * i32(params.in_w) + col0) + (vec4<i32>(0, 1, 2, 3) + vec4<i32>(4 * i32(q))) * i32(STRIDE_W);
      for (var kx = 0u; kx < K_W; kx++) {
        let taps = window_taps(&seg, q, kx);
        for (var r = 0u; r < OUT_ROWS; r++) {
          let i = 2u * r + q;
          let take = taps.inside & vec4<bool>(rows[r]) & ((best_at[i] < vec4<i32>(0)) | (taps.v > best[i]));
          best[i] = select(best[i], taps.v, take);
          best_at[i] = select(best_at[i], flat + vec4<i32>(i32(kx)), take);
        }
      }
    }
  }
  for (var r = 0u; r < OUT_ROWS; r++) {
    for (var q = 0u; q < OUT_VEC4; q++) {
      let o = (band.plane * params.out_h + band.oy + r) * quads + at.x * OUT_VEC4 + q;
      if (at.x * OUT_VEC4 + q < quads && band.oy + r < params.out_h) {
        out4[o] = best[2u * r + q];
        if (WRITE_ARGMAX) {
          argmax4[o] = best_at[2u * r + q];
        }
      }
    }
  }
}

@compute @workgroup_size(WG)
fn avg_pool_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                         @builtin(num_workgroups) nwg: vec3<u32>) {
  let quads = params.out_w / 4u;
  let at = position(gid, wid, params.planes * output_bands());
  let band = output_band(at);
  if (at.x * OUT_VEC4 >= quads || band.plane >= params.planes) {
    return;
  }
  let col0 = i32(at.x * OUT_VEC4 * STRIDE_W * 4u) - i32(PAD_W);
  // [r * 2 + q]: output row r of the band, output vec4 q
  var total: array<vec4<f32>, 4>;
  for (var ky = 0u; ky < params.k_h + (OUT_ROWS - 1u) * params.stride_h; ky++) {
    let y = band.y0 + i32(ky);
    if (y < 0 || y >= i32(params.in_h)) {
      continue;
    }
    let rows = band_rows(ky);
    var seg = load_segment(band.plane, u32(y), at.x);
    for (var q = 0u; q < OUT_VEC4; q++) {
      for (var kx = 0u; kx < K_W; kx++) {
        let taps = window_taps(&seg, q, kx);
        for (var r = 0u; r < OUT_ROWS; r++) {
          total[2u * r + q] += select(vec4<f32>(0.0), taps.v, taps.inside & vec4<bool>(rows[r]));
        }
      }
    }
  }
  for (var r = 0u; r < OUT_ROWS; r++) {
    let y0 = band.y0 + i32(r * params.stride_h);
    for (var q = 0u; q < OUT_VEC4; q++) {
      var d: vec4<f32>;
      for (var j = 0u; j < 4u; j++) {
        d[j] = divisor(vec2<i32>(y0, col0 + i32((4u * q + j) * STRIDE_W)));
      }
      if (at.x * OUT_VEC4 + q < quads && band.oy + r < params.out_h) {
        out4[(band.plane * params.out_h + band.oy + r) * quads + at.x * OUT_VEC4 + q] = total[2u * r + q] / d;
      }
    }
  }
}

// Gradient vec4s t + G_LEAD .. of output row oy, with whether each lies inside the row.
struct GradSegment {
  g: array<vec4<f32>, MAX_SPAN4>,
  inside: array<bool, MAX_SPAN4>,
}

fn load_grad(plane: u32, oy: u32, t: u32) -> GradSegment {
  var seg: GradSegment;
  let w4 = i32(params.out_w / 4u);
  let row4 = params.g_offset / 4u + (plane * params.out_h + oy) * params.out_w / 4u;
  // with G_DENSE off: the row's first element in g
  let n = plane / max(params.channels, 1u);
  let row = params.g_offset + n * params.g_strides.x + (plane - n * params.channels) * params.g_strides.y + oy * params.g_strides.z;
  let sw = params.g_strides.w;
  for (var v = 0u; v < G_SPAN4; v++) {
    let c4 = i32(t) + G_LEAD + i32(v);
    seg.inside[v] = c4 >= 0 && c4 < w4;
    let c = u32(clamp(c4, 0, w4 - 1));
    if (G_DENSE) {
      seg.g[v] = g4[row4 + c];
    } else {
      let x0 = row + 4u * c * sw;
      seg.g[v] = vec4<f32>(g[x0], g[x0 + sw], g[x0 + 2u * sw], g[x0 + 3u * sw]);
    }
  }
  return seg;
}

// Writes the STRIDE_W vec4s of input gradients of group at.x in input row at.y (those inside the row).
fn store_inputs(at: vec2<u32>, dx: ptr<function, array<vec4<f32>, MAX_SPAN4>>) {
  let w4 = params.in_w / 4u;
  let dst = at.y * w4 + at.x * STRIDE_W;
  for (var v = 0u; v < STRIDE_W; v++) {
    if (at.x * STRIDE_W + v < w4) {
      out4[dst + v] = (*dx)[v];
    }
  }
}

@compute @workgroup_size(WG)
fn max_pool_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                          @builtin(num_workgroups) nwg: vec3<u32>) {
  let at = position(gid, wid, params.planes * params.in_h);
  let w4 = params.in_w / 4u;
  if (at.x * STRIDE_W >= w4 || at.y >= params.planes * params.in_h) {
    return;
  }
  let plane = at.y / params.in_h;
  let iy = at.y - plane * params.in_h;
  let rows = covering(iy, params.k_h, params.stride_h, params.pad_h, params.out_h);
  let col0 = i32(at.x * STRIDE_W * 4u);
  let out_w4 = i32(params.out_w / 4u);
  var dx: array<vec4<f32>, MAX_SPAN4>;
  for (var v = 0u; v < STRIDE_W; v++) {
    dx[v] = vec4<f32>(0.0);
  }
  for (var oy = rows.x; oy <= rows.y; oy++) {
    var seg = load_grad(plane, u32(oy), at.x);
    var arg: array<vec4<i32>, MAX_SPAN4>;
    let row4 = (plane * params.out_h + u32(oy)) * params.out_w / 4u;
    for (var v = 0u; v < G_SPAN4; v++) {
      arg[v] = argmax4_in[row4 + u32(clamp(i32(at.x) + G_LEAD + i32(v), 0, out_w4 - 1))];
    }
    // An output's argmax lies in its window, so only the outputs covering an input can name it:
    // each gradient element goes to the input its argmax names, if that input is one of ours.
    let flat_row = i32(iy * params.in_w) + col0;
    for (var v = 0u; v < G_SPAN4; v++) {
      let named = select(vec4<i32>(-1), arg[v] - vec4<i32>(flat_row), seg.inside[v]);
      for (var i = 0u; i < 4u; i++) {
        for (var b = 0u; b < STRIDE_W; b++) {
          let hit = vec4<i32>(named[i]) == vec4<i32>(0, 1, 2, 3) + vec4<i32>(4 * i32(b));
          dx[b] += select(vec4<f32>(0.0), vec4<f32>(seg.g[v][i]), hit);
        }
      }
    }
  }
  store_inputs(at, &dx);
}

@compute @workgroup_size(WG)
fn avg_pool_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                          @builtin(num_workgroups) nwg: vec3<u32>) {
  let at = position(gid, wid, params.planes * params.in_h);
  let w4 = params.in_w / 4u;
  if (at.x * STRIDE_W >= w4 || at.y >= params.planes * params.in_h) {
    return;
  }
  let plane = at.y / params.in_h;
  let iy = at.y - plane * params.in_h;
  let rows = covering(iy, params.k_h, params.stride_h, params.pad_h, params.out_h);
  var dx: array<vec4<f32>, MAX_SPAN4>;
  for (var v = 0u; v < STRIDE_W; v++) {
    dx[v] = vec4<f32>(0.0);
  }
  for (var oy = rows.x; oy <= rows.y; oy++) {
    var seg = load_grad(plane, u32(oy), at.x);
    // g / divisor of each gradient element of the segment
    var share: array<vec4<f32>, MAX_SPAN4>;
    for (var v = 0u; v < G_SPAN4; v++) {
      for (var i = 0u; i < 4u; i++) {
        let ox = i32(at.x * 4u) + 4 * G_LEAD + i32(4u * v + i);
        share[v][i] = seg.g[v][i] / divisor(window_corner(u32(oy), u32(max(ox, 0))));
      }
    }
    // Each gradient element goes to the inputs of its window that are ours.
    for (var v = 0u; v < G_SPAN4; v++) {
      for (var i = 0u; i < 4u; i++) {
        let start = i32((4u * v + i) * STRIDE_W) - i32(TAP_SHIFT);
        let amount = select(0.0, share[v][i], seg.inside[v]);
        for (var b = 0u; b < STRIDE_W; b++) {
          let e = vec4<i32>(0, 1, 2, 3) + vec4<i32>(4 * i32(b));
          let hit = (e >= vec4<i32>(start)) & (e < vec4<i32>(start + i32(K_W)));
          dx[b] += select(vec4<f32>(0.0), vec4<f32>(amount), hit);
        }
      }
    }
  }
  store_inputs(at, &dx);
}
