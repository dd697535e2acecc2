// Batched outer product out[b, i, j] = u[b, i] * v[b, j] of contiguous (B, I) and (B, J) views,
// and its backward as two batched matrix-vector products over the (B, I, J) gradient g
// (contiguous at offset 0), each reading g once:
//   outer_forward:    one invocation per output element, on a grid of (ceil(J / WG), B * I)
//                     workgroups (folded into the third dimension past the limit): the row
//                     (b, i) comes from the workgroup id, so invocations do no integer division
//   outer_forward_vec4: when J and v's offset are multiples of 4: each invocation writes ITEMS
//                     vec4s of one row (a flat grid; one division per invocation)
//   outer_backward_u: one invocation per (b, i): du = sum_j g[b, i, j] v[b, j]  (a row of g)
//   outer_backward_v: one invocation per (b, j): dv = sum_i g[b, i, j] u[b, i]  (a column of g;
//                     neighbouring invocations read neighbouring addresses)

struct Params {
  batch: u32,
  rows: u32,
  cols: u32,
  u_offset: u32,
  v_offset: u32,
}

override WG: u32 = 256u;
override ITEMS: u32 = 4u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> v4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4<f32>>;

fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn outer_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
  let bi = wid.y + wid.z * nwg.y;
  if (bi >= params.batch * params.rows) {
    return;
  }
  let b = bi / params.rows;
  // A grid-stride loop: the grid's x is capped at the per-dimension limit (outer.ts), so a row
  // longer than that many workgroups is covered in several passes.
  for (var j = gid.x; j < params.cols; j += nwg.x * WG) {
    out[bi * params.cols + j] = u[params.u_offset + bi] * v[params.v_offset + b * params.cols + j];
  }
}

@compute @workgroup_size(WG)
fn outer_backward_u(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = item_index(gid, nwg);
  if (t >= params.batch * params.rows) {
    return;
  }
  let b = t / params.rows;
  let row = t * params.cols;
  let vb = params.v_offset + b * params.cols;
  var s = 0.0;
  for (var j = 0u; j < params.cols; j++) {
    s += g[row + j] * v[vb + j];
  }
  out[t] = s;
}

@compute @workgroup_size(WG)
fn outer_backward_v(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = item_index(gid, nwg);
  if (t >= params.batch * params.cols) {
    return;
  }
  let b = t / params.cols;
  let j = t % params.cols;
  let ub = params.u_offset + b * params.rows;
  let gb = b * params.rows * params.cols + j;
  var s = 0.0;
  for (var i = 0u; i < params.rows; i++) {
    s += g[gb + i * params.cols] * u[ub + i];
  }
  out[t] = s;
}

@compute @workgroup_size(WG)
fn outer_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let cols4 = params.cols / 4u;
  let chunks = (cols4 + ITEMS - 1u) / ITEMS;
  let t = item_index(gid, nwg);
  if (t >= params.batch * params.rows * chunks) {
    return;
  }
  let bi = t / chunks;
  let first = (t - bi * chunks) * ITEMS;
  let b = bi / params.rows;
  let scale = u[params.u_offset + bi];
  let v_base = params.v_offset / 4u + b * cols4;
  for (var k = 0u; k < ITEMS; k++) {
    let j4 = first + k;
    if (j4 < cols4) {
      out4[bi * cols4 + j4] = scale * v4[v_base + j4];
    }
  }
}
