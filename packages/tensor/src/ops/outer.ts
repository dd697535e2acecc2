/**
 * outer(u, v): the batched outer product out[b, i, j] = u[b, i] v[b, j] (CLIP-style fusion), and
 * its backward as two dedicated batched matrix-vector kernels:
 *   d(u v^T) = g v (for u) and g^T u (for v), per batch entry.
 * Each backward product is memory-bound (two FLOPs per element of g); one pass over g with no
 * transposed copies or size-1 GEMM tiles is the cheapest way to do it.
 */
import { outerKernel, outerVec4Kernel, outerBackwardUKernel, outerBackwardVKernel } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { chooseVariant } from '../gpu/variants.js';
import { checkDType } from '../dtype.js';
import { fmt } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    outer: { u: Tensor; v: Tensor };
  }
}

function geometry(u: Tensor, v: Tensor): { batch: number; rows: number; cols: number; u_offset: number; v_offset: number } {
  return { batch: u.shape[0], rows: u.shape[1], cols: v.shape[1], u_offset: u.offset, v_offset: v.offset };
}

/**
 * Batched outer product of u (B, I) and v (B, J).
 * Shape: (B, I), (B, J) -> (B, I, J)
 */
export function outer(u: Tensor, v: Tensor): Tensor {
  checkDType(u.dtype, 'f32', 'outer (u)');
  checkDType(v.dtype, 'f32', 'outer (v)');
  if (u.rank !== 2 || v.rank !== 2 || u.shape[0] !== v.shape[0]) {
    throw new Error(`outer: expected u (B, I) and v (B, J) with the same B, got ${fmt(u.shape)} and ${fmt(v.shape)}`);
  }
  const uc = u.isContiguous ? u : contiguousCopy(u);
  const vc = v.isContiguous ? v : contiguousCopy(v);
  const out = Tensor.empty([u.shape[0], u.shape[1], v.shape[1]], 'f32', 'outer');
  if (out.size > 0) {
    const wanted = chooseVariant('outer', u.shape[0], u.shape[1], v.shape[1]).variant;
    const vec4 = wanted === 'vec4' && v.shape[1] % 4 === 0 && vc.offset % 4 === 0;
    if (vec4) runtime().run(outerVec4Kernel, 'default', { buffers: { u: uc.buffer, v4: vc.buffer, out4: out.buffer }, uniforms: geometry(uc, vc) });
    else runtime().run(outerKernel, 'default', { buffers: { u: uc.buffer, v: vc.buffer, out: out.buffer }, uniforms: geometry(uc, vc) });
  }
  if (needsGrad(u, v)) record('outer', [u, v], { u: saved(uc), v: saved(vc) }, out);
  if (uc !== u) uc.dispose();
  if (vc !== v) vc.dispose();
  return out;
}

export function outerGrad(g: Tensor, c: { u: Tensor; v: Tensor }, needs: readonly boolean[]): (Tensor | null)[] {
  const gc = g.isContiguous && g.offset === 0 ? g : contiguousCopy(g);
  const uniforms = geometry(c.u, c.v);
  const product = (spec: typeof outerBackwardUKernel, vector: { u: GPUBuffer } | { v: GPUBuffer }, shape: readonly number[]) => {
    const d = Tensor.empty(shape, 'f32', spec.name);
    if (d.size > 0) runtime().run(spec, 'default', { buffers: { g: gc.buffer, ...vector, out: d.buffer }, uniforms });
    return d;
  };
  const du = needs[0] ? product(outerBackwardUKernel, { v: c.v.buffer }, c.u.shape) : null;
  const dv = needs[1] ? product(outerBackwardVKernel, { u: c.u.buffer }, c.v.shape) : null;
  if (gc !== g) gc.dispose();
  return [du, dv];
}
