/**
 * Specs of the batched outer product (shaders/outer.wgsl) and float64 references of the forward
 * and of the two backward matrix-vector products.
 */
import { defineKernel, grid1d, MAX_WORKGROUPS_PER_DIM } from './spec.js';

const base = { shader: 'outer', uniforms: ['batch', 'rows', 'cols', 'u_offset', 'v_offset'], constants: { WG: 256 }, variants: { default: {} } } as const;
const ITEMS = 4;

/** out (B, I, J) = u (B, I) x v (B, J), one invocation per output element, a row of workgroups per (b, i). */
export const outerKernel = defineKernel({
  ...base, name: 'outer', entryPoint: 'outer_forward', inputs: ['u', 'v'], outputs: ['out'],
  constants: { WG: 64 },
  dispatch: (u, c) => {
    const rows = (u.batch as number) * (u.rows as number);
    const y = Math.max(1, Math.min(rows, MAX_WORKGROUPS_PER_DIM));
    // x capped: the shader loops over a longer row (grid-stride)
    return [Math.min(Math.ceil((u.cols as number) / c.WG), MAX_WORKGROUPS_PER_DIM), y, Math.ceil(rows / y)];
  },
});

/** The forward for J and v's offset divisible by 4: ITEMS vec4s of a row per invocation. */
export const outerVec4Kernel = defineKernel({
  ...base, name: 'outer_vec4', entryPoint: 'outer_forward_vec4', inputs: ['u', 'v4'], outputs: ['out4'],
  constants: { WG: 64, ITEMS },
  dispatch: (u, c) => grid1d((u.batch as number) * (u.rows as number) * Math.ceil((u.cols as number) / 4 / c.ITEMS), c.WG),
});

/** du (B, I) = g (B, I, J) v, one invocation per (b, i). */
export const outerBackwardUKernel = defineKernel({
  ...base, name: 'outer_backward_u', entryPoint: 'outer_backward_u', inputs: ['g', 'v'], outputs: ['out'],
  dispatch: (u, c) => grid1d((u.batch as number) * (u.rows as number), c.WG),
});

/** dv (B, J) = g^T u, one invocation per (b, j). */
export const outerBackwardVKernel = defineKernel({
  ...base, name: 'outer_backward_v', entryPoint: 'outer_backward_v', inputs: ['g', 'u'], outputs: ['out'],
  dispatch: (u, c) => grid1d((u.batch as number) * (u.cols as number), c.WG),
});

/** Float64 batched outer product of u (B, I) and v (B, J). */
export function outerReference(u: ArrayLike<number>, v: ArrayLike<number>, B: number, I: number, J: number): Float64Array {
  const out = new Float64Array(B * I * J);
  for (let b = 0; b < B; b++) for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) out[(b * I + i) * J + j] = u[b * I + i] * v[b * J + j];
  return out;
}

/** Float64 gradients of the outer product: du = g v, dv = g^T u per batch entry. */
export function outerBackwardReference(
  g: ArrayLike<number>, u: ArrayLike<number>, v: ArrayLike<number>, B: number, I: number, J: number,
): { du: Float64Array; dv: Float64Array } {
  const du = new Float64Array(B * I);
  const dv = new Float64Array(B * J);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < I; i++) {
      for (let j = 0; j < J; j++) {
        const gv = g[(b * I + i) * J + j];
        du[b * I + i] += gv * v[b * J + j];
        dv[b * J + j] += gv * u[b * I + i];
      }
    }
  }
  return { du, dv };
}
