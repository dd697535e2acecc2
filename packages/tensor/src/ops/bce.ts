/**
 * bceWithLogits(logits, targets, { posWeight, reduction }): binary cross-entropy on logits, as
 * PyTorch's F.binary_cross_entropy_with_logits, stable for any logit (|x| = 1e4 gives a finite
 * loss and gradient). One fused kernel writes the per-element loss and its gradient
 *   d loss / dx = (1 - y) sigmoid(x) - p y sigmoid(-x)   (sigmoid(x) - y without pos_weight)
 * scaled by 1/numel for the mean; the backward multiplies the stored gradient by the incoming one:
 *   d bce = stored * g dx.
 * Targets are f32 in [0, 1] (soft labels allowed); no gradient flows to targets or pos_weight.
 */
import { bceWithLogitsKernel } from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { checkDType } from '../dtype.js';
import { fmt, numel, shapeEquals, broadcastShapes } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';
import { broadcastStrides } from './launch.js';
import { expand } from './shape.js';
import { sum, mean } from './reduce.js';
import { binaryRaw } from './binary.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    bce_with_logits: { grad: Tensor };
  }
}

export type BceReduction = 'mean' | 'sum' | 'none';

export interface BceWithLogitsOptions {
  /** Weight of the positive term: a number, or a tensor broadcast against the logits (e.g. (C,) or (C, 1, 1)). */
  posWeight?: number | Tensor;
  /** 'mean' (default) and 'sum' return a scalar; 'none' the per-element loss. */
  reduction?: BceReduction;
}

interface PosWeightLayout {
  t: Tensor;
  owned: boolean;
  inner: number;
  count: number;
}

/**
 * How the kernel indexes a pos_weight tensor broadcast to `shape`: index (i / inner) % count when
 * its non-broadcast dims are adjacent and row-major; otherwise a materialised copy.
 */
function posWeightLayout(pw: Tensor, shape: readonly number[]): PosWeightLayout {
  const strides = broadcastStrides(pw, shape, 'bceWithLogits (posWeight)');
  const dims = shape.map((_, i) => i).filter((i) => strides[i] !== 0);
  if (dims.length === 0) return { t: pw, owned: false, inner: 1, count: 1 };
  const first = dims[0];
  const last = dims[dims.length - 1];
  const adjacent = dims.length === last - first + 1;
  const rowMajor = dims.every((d) => strides[d] === numel(shape.slice(d + 1, last + 1)));
  if (adjacent && rowMajor) return { t: pw, owned: false, inner: numel(shape.slice(last + 1)), count: numel(shape.slice(first, last + 1)) };
  const full = expand(pw, shape);
  const copy = contiguousCopy(full);
  full.dispose();
  return { t: copy, owned: true, inner: 1, count: numel(shape) };
}

/**
 * Binary cross-entropy with logits against targets of the same shape.
 * Shape: (...), (...) -> () for 'mean' and 'sum', (...) for 'none'
 */
export function bceWithLogits(logits: Tensor, targets: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  checkDType(logits.dtype, 'f32', 'bceWithLogits (logits)');
  checkDType(targets.dtype, 'f32', 'bceWithLogits (targets)');
  if (!shapeEquals(logits.shape, targets.shape)) {
    throw new Error(`bceWithLogits: targets ${fmt(targets.shape)} must have the shape of logits ${fmt(logits.shape)}`);
  }
  const reduction = options.reduction ?? 'mean';
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`bceWithLogits: reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
  const pwOption = options.posWeight ?? 1;
  let pw: PosWeightLayout | null = null;
  if (pwOption instanceof Tensor) {
    checkDType(pwOption.dtype, 'f32', 'bceWithLogits (posWeight)');
    const joint = broadcastShapes(pwOption.shape, logits.shape, 'bceWithLogits (posWeight against logits)');
    if (!shapeEquals(joint, logits.shape)) throw new Error(`bceWithLogits: posWeight ${fmt(pwOption.shape)} does not broadcast to logits ${fmt(logits.shape)}`);
    pw = posWeightLayout(pwOption, logits.shape);
  }
  const x = logits.isContiguous ? logits : contiguousCopy(logits);
  const y = targets.isContiguous ? targets : contiguousCopy(targets);
  const n = logits.size;
  const withGrad = needsGrad(logits);
  const loss = Tensor.empty(logits.shape, 'f32', 'bce_with_logits');
  const grad = withGrad ? Tensor.empty(logits.shape, 'f32', 'bce_with_logits.grad') : null;
  if (n > 0) {
    runtime().run(bceWithLogitsKernel, 'default', {
      buffers: { x: x.buffer, y: y.buffer, pw: pw?.t.buffer ?? null, loss: loss.buffer, grad: grad?.buffer ?? null },
      uniforms: {
        numel: n, x_offset: x.offset, y_offset: y.offset, pw_offset: pw?.t.offset ?? 0, pw_inner: pw?.inner ?? 1, pw_count: pw?.count ?? 1,
        has_pw_tensor: pw ? 1 : 0, write_grad: grad ? 1 : 0, pos_weight: typeof pwOption === 'number' ? pwOption : 1,
        grad_scale: reduction === 'mean' ? 1 / n : 1,
      },
    });
  }
  for (const t of [x !== logits ? x : null, y !== targets ? y : null, pw?.owned ? pw.t : null]) t?.dispose();
  let out = loss;
  if (reduction !== 'none') {
    out = reduction === 'sum' ? sum(loss) : mean(loss);
    loss.dispose();
  }
  if (grad) {
    record('bce_with_logits', [logits, targets], { grad: saved(grad) }, out);
    grad.dispose();
  }
  return out;
}

export function bceWithLogitsGrad(g: Tensor, c: { grad: Tensor }): (Tensor | null)[] {
  return [binaryRaw('mul', c.grad, g), null];
}
