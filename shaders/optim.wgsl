// Optimizer updates in place over a range of elements: one parameter, or a run of parameters
// packed into one buffer (p, grad and state at their own offsets). PyTorch's update rules:
//   sgd:  g = grad + wd p; buf = momentum buf + (1 - dampening) g (buf = g on the first step);
//         g = nesterov ? g + momentum buf : buf; p -= lr g
//   adam: g = grad (+ wd p for Adam's L2 form); p *= 1 - lr wd (AdamW's decoupled form);
//         m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
//         p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), bc = 1 - beta^step

struct Params {
  numel: u32,
  first_step: u32,
  nesterov: u32,
  decoupled: u32,
  lr: f32,
  weight_decay: f32,
  momentum: f32,
  dampening: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  bias_correction1: f32,
  bias_correction2_sqrt: f32,
  p_offset: u32,
  g_offset: u32,
  s_offset: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.numel) {
    return;
  }
  let pi = params.p_offset + i;
  let si = params.s_offset + i;
  var g = grad[params.g_offset + i] + params.weight_decay * p[pi];
  if (params.momentum != 0.0) {
    var buf = g;
    if (params.first_step == 0u) {
      buf = params.momentum * m[si] + (1.0 - params.dampening) * g;
    }
    m[si] = buf;
    g = select(buf, g + params.momentum * buf, params.nesterov != 0u);
  }
  p[pi] = p[pi] - params.lr * g;
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = item_index(gid, nwg);
  if (i >= params.numel) {
    return;
  }
  let pi = params.p_offset + i;
  let si = params.s_offset + i;
  var param = p[pi];
  var g = grad[params.g_offset + i];
  if (params.decoupled != 0u) {
    param = param * (1.0 - params.lr * params.weight_decay);
  } else {
    g = g + params.weight_decay * param;
  }
  let mi = params.beta1 * m[si] + (1.0 - params.beta1) * g;
  let vi = params.beta2 * v[si] + (1.0 - params.beta2) * g * g;
  m[si] = mi;
  v[si] = vi;
  let denom = sqrt(vi) / params.bias_correction2_sqrt + params.eps;
  p[pi] = param - (params.lr / params.bias_correction1) * mi / denom;
}
