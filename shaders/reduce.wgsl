// Reduction of the middle axis of a contiguous [outer, reduce, inner] view, in chunks:
// out[o, c, i] = fold(x[o, r, i] for r in chunk c). The runtime repeats passes until one chunk
// is left, so long reductions stay parallel and sum in short runs (better f32 accuracy).
// Variants replace `reduce_step` (sum, max, min). Every chunk is non-empty (reduce >= 1), so the
// fold starts from the chunk's first element and needs no identity (no infinities in WGSL consts).
// Four interleaved partial folds (independent chains a CPU runs in parallel; a sum's rounding
// error grows with a quarter of the length), combined at the end. The result is multiplied by
// `scale` (1, or 1 / count in the last pass of a mean).

struct Params {
  outer: u32,
  reduce: u32,
  inner: u32,
  chunk: u32,
  chunks: u32,
  x_offset: u32,
  scale: f32,
}

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn reduce_step(acc: f32, v: f32) -> f32 {
  return acc + v;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  let total = params.outer * params.chunks * params.inner;
  if (t >= total) {
    return;
  }
  let i = t % params.inner;
  let oc = t / params.inner;
  let c = oc % params.chunks;
  let o = oc / params.chunks;
  let r0 = c * params.chunk;
  let r1 = min(r0 + params.chunk, params.reduce);
  let stride = params.inner;
  var idx = params.x_offset + (o * params.reduce + r0) * stride + i;
  var acc = x[idx];
  var r = r0 + 1u;
  idx += stride;
  if (r1 - r0 >= 4u) {
    var acc1 = x[idx];
    var acc2 = x[idx + stride];
    var acc3 = x[idx + 2u * stride];
    r = r0 + 4u;
    idx += 3u * stride;
    for (; r + 4u <= r1; r += 4u) {
      acc = reduce_step(acc, x[idx]);
      acc1 = reduce_step(acc1, x[idx + stride]);
      acc2 = reduce_step(acc2, x[idx + 2u * stride]);
      acc3 = reduce_step(acc3, x[idx + 3u * stride]);
      idx += 4u * stride;
    }
    acc = reduce_step(reduce_step(acc, acc1), reduce_step(acc2, acc3));
  }
  for (; r < r1; r++) {
    acc = reduce_step(acc, x[idx]);
    idx += stride;
  }
  out[t] = acc * params.scale;
}
