// Embedding lookup out[p, :] = weight[ids[p], :] and its deterministic backward (no float atomics).
// Ids are clamped into [0, vocab - 1] on the device (the host checks what it cheaply can).
//   embedding_gather:          one invocation per output element
//   backward, in two steps:
//     1. a stable counting sort of the positions by id: order (count) lists the positions grouped
//        by id, in increasing position within an id; row_start (vocab + 1) is where each id's
//        group starts. Integer atomics count (order independent); the placement is stable.
//          embedding_sort_serial: a single invocation, O(count + vocab) (CPU adapters)
//          embedding_sort_wg:     a single workgroup; the placement ranks each tile of positions
//                                 by comparing ids in workgroup memory (GPUs)
//     2. the rows of the gradient: each sums its group's rows of g in position order, so the
//        result does not depend on scheduling; untouched rows and the padding_idx row get 0.
//          embedding_backward_lines: one invocation per id (CPU adapters)
//          embedding_backward_rows:  one invocation per (id, column) (GPUs: coalesced reads)

struct Params {
  count: u32,
  vocab: u32,
  dim: u32,
  ids_offset: u32,
  weight_offset: u32,
  // Row whose gradient stays zero (PyTorch's padding_idx), or -1 for none.
  padding_idx: i32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read> order_in: array<i32>;
@group(0) @binding(5) var<storage, read> row_start_in: array<i32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> order: array<i32>;
@group(0) @binding(8) var<storage, read_write> row_start: array<atomic<i32>>;
@group(0) @binding(9) var<storage, read_write> cursor: array<i32>;

fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn clamped_id(p: u32) -> u32 {
  return u32(clamp(ids[params.ids_offset + p], 0, i32(params.vocab) - 1));
}

@compute @workgroup_size(WG)
fn embedding_gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.count * params.dim) {
    return;
  }
  let p = i / params.dim;
  let d = i - p * params.dim;
  out[i] = weight[params.weight_offset + clamped_id(p) * params.dim + d];
}

@compute @workgroup_size(1)
fn embedding_sort_serial() {
  for (var v = 0u; v <= params.vocab; v++) {
    atomicStore(&row_start[v], 0);
  }
  for (var p = 0u; p < params.count; p++) {
    let v = clamped_id(p) + 1u;
    atomicStore(&row_start[v], atomicLoad(&row_start[v]) + 1);
  }
  // Counts shifted by one, summed inclusively, give each group's start; the cursor starts there.
  var run = 0;
  for (var v = 0u; v <= params.vocab; v++) {
    run += atomicLoad(&row_start[v]);
    atomicStore(&row_start[v], run);
    if (v < params.vocab) {
      cursor[v] = run;
    }
  }
  for (var p = 0u; p < params.count; p++) {
    let v = clamped_id(p);
    let slot = cursor[v];
    order[slot] = i32(p);
    cursor[v] = slot + 1;
  }
}

var<workgroup> lane_sums: array<i32, WG>;
var<workgroup> tile_ids: array<u32, WG>;

@compute @workgroup_size(WG)
fn embedding_sort_wg(@builtin(local_invocation_id) lid: vec3<u32>) {
  let lane = lid.x;
  let entries = params.vocab + 1u;
  for (var v = lane; v < entries; v += WG) {
    atomicStore(&row_start[v], 0);
  }
  storageBarrier();
  for (var p = lane; p < params.count; p += WG) {
    atomicAdd(&row_start[clamped_id(p) + 1u], 1);
  }
  storageBarrier();
  // Scan: each lane sums a contiguous segment, lane 0 scans the lane sums, each lane rescans.
  let seg = (entries + WG - 1u) / WG;
  let lo = min(lane * seg, entries);
  let hi = min(lo + seg, entries);
  var seg_sum = 0;
  for (var v = lo; v < hi; v++) {
    seg_sum += atomicLoad(&row_start[v]);
  }
  lane_sums[lane] = seg_sum;
  workgroupBarrier();
  if (lane == 0u) {
    var run = 0;
    for (var k = 0u; k < WG; k++) {
      let s = lane_sums[k];
      lane_sums[k] = run;
      run += s;
    }
  }
  workgroupBarrier();
  var run = lane_sums[lane];
  for (var v = lo; v < hi; v++) {
    run += atomicLoad(&row_start[v]);
    atomicStore(&row_start[v], run);
    if (v < params.vocab) {
      cursor[v] = run;
    }
  }
  storageBarrier();
  // Stable placement, one tile of WG positions at a time: a position's slot is its id's cursor
  // plus the number of earlier positions of the tile with the same id; the tile's last position
  // of each id advances the cursor.
  for (var base = 0u; base < params.count; base += WG) {
    let p = base + lane;
    let valid = p < params.count;
    var v = 0xffffffffu;
    if (valid) {
      v = clamped_id(p);
    }
    tile_ids[lane] = v;
    workgroupBarrier();
    var rank = 0;
    var last = true;
    var slot_base = 0;
    if (valid) {
      for (var s = 0u; s < WG; s++) {
        if (tile_ids[s] == v) {
          if (s < lane) {
            rank += 1;
          } else if (s > lane) {
            last = false;
          }
        }
      }
      slot_base = cursor[v];
      order[slot_base + rank] = i32(p);
    }
    storageBarrier();
    if (valid && last) {
      cursor[v] = slot_base + rank + 1;
    }
    storageBarrier();
  }
}

// One invocation per id: its gradient row, the sum of its positions' rows of g in order.
@compute @workgroup_size(WG)
fn embedding_backward_lines(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let v = item_index(gid, nwg);
  if (v >= params.vocab) {
    return;
  }
  let base = v * params.dim;
  for (var d = 0u; d < params.dim; d++) {
    out[base + d] = 0.0;
  }
  if (i32(v) == params.padding_idx) {
    return;
  }
  for (var k = row_start_in[v]; k < row_start_in[v + 1u]; k++) {
    let row = u32(order_in[k]) * params.dim;
    for (var d = 0u; d < params.dim; d++) {
      out[base + d] += g[row + d];
    }
  }
}

// One invocation per (id, column): the sum of the gradient rows of the id's positions, in order.
@compute @workgroup_size(WG)
fn embedding_backward_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.vocab * params.dim) {
    return;
  }
  let v = i / params.dim;
  let d = i - v * params.dim;
  var s = 0.0;
  if (i32(v) != params.padding_idx) {
    for (var k = row_start_in[v]; k < row_start_in[v + 1u]; k++) {
      s += g[u32(order_in[k]) * params.dim + d];
    }
  }
  out[i] = s;
}
