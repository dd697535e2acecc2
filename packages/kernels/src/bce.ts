/**
 * Spec of binary cross-entropy with logits (shaders/bce.wgsl), which writes the per-element loss
 * and its scaled gradient in one pass, and the float64 reference.
 */
import { defineKernel, grid1d } from './spec.js';

export const bceWithLogitsKernel = defineKernel({
  name: 'bce_with_logits', shader: 'bce', entryPoint: 'bce_with_logits', inputs: ['x', 'y', 'pw'], outputs: ['loss', 'grad'],
  uniforms: ['numel', 'x_offset', 'y_offset', 'pw_offset', 'pw_inner', 'pw_count', 'has_pw_tensor', 'write_grad', 'pos_weight', 'grad_scale'],
  constants: { WG: 256 }, variants: { default: {} },
  dispatch: (u, c) => grid1d(u.numel as number, c.WG),
});

/**
 * Float64 per-element loss -(p y log sigmoid(x) + (1 - y) log sigmoid(-x)) and its derivative
 * (1 - y) sigmoid(x) - p y sigmoid(-x); `posWeight` is a number or one weight per element.
 */
export function bceWithLogitsReference(
  x: ArrayLike<number>, y: ArrayLike<number>, posWeight: number | ArrayLike<number> = 1,
): { loss: Float64Array; grad: Float64Array } {
  const loss = new Float64Array(x.length);
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const p = typeof posWeight === 'number' ? posWeight : posWeight[i];
    const xi = x[i];
    const yi = y[i];
    // log sigmoid(x) = -(max(-x, 0) + log1p(exp(-|x|))), log sigmoid(-x) = -(max(x, 0) + log1p(exp(-|x|)))
    const soft = Math.log1p(Math.exp(-Math.abs(xi)));
    loss[i] = p * yi * (Math.max(-xi, 0) + soft) + (1 - yi) * (Math.max(xi, 0) + soft);
    const e = Math.exp(-Math.abs(xi));
    const sigPos = xi >= 0 ? 1 / (1 + e) : e / (1 + e);
    const sigNeg = xi >= 0 ? e / (1 + e) : 1 / (1 + e);
    grad[i] = (1 - yi) * sigPos - p * yi * sigNeg;
  }
  return { loss, grad };
}
