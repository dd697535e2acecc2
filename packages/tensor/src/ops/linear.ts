/**
 * linear(x, weight, bias) = x weight^T + bias, as torch.nn.functional.linear, in one GEMM: the bias
 * is added by the GEMM's epilogue (bias_col), and leading dims of x that collapse into rows are
 * one product (others are a batch). Gradients, two GEMMs in all:
 *   dx = dy weight;
 *   dweight = sum over rows of dy^T x, dbias = sum over rows of dy: one GEMM whose K runs over
 *   every row of every batch entry (matmulSumBatchRaw), dbias its extra column of row sums.
 * x and weight are both f32, or both f16 (matmul's f16 GEMMs: f32 accumulation and output, the
 * bias f32; the backward casts dy to f16 once for its products). Inside `autocast`, f32 x and
 * weight are cast to f16 first, as matmul's and conv2d's operands are.
 * Shape: x (..., in), weight (out, in), bias (out) -> (..., out)
 */
import { Tensor } from '../tensor.js';
import { checkDType } from '../dtype.js';
import { fmt, viewStrides } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { gemmDType, matmulRaw, matmulSumBatchRaw } from './matmul.js';
import { contiguousCopy } from './copy.js';
import { cast, castRaw } from './cast.js';
import { autocastsToF16 } from '../autocast.js';
import { reshape, transpose } from './shape.js';

interface LinearContext {
  /** The input as the GEMM read it: (rows, in) or (batch..., rows, in). */
  x: Tensor;
  weight: Tensor;
  hasBias: boolean;
}

declare module '../autograd/rules.js' {
  interface OpContexts {
    linear: LinearContext;
  }
}

/** x as a product operand: its leading dims merged into rows where the layout allows. */
function rowsOf(x: Tensor): Tensor {
  if (x.rank === 1) return reshape(x, [1, x.shape[0]]);
  const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const target = [rows, x.shape[x.rank - 1]];
  return x.rank > 2 && viewStrides(x.shape, x.strides, target) ? reshape(x, target) : x.view(x.shape, x.strides, x.offset);
}

/**
 * y = x weight^T + bias (bias may be null).
 * Shape: x (..., in), weight (out, in), bias (out) -> (..., out)
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  if (autocastsToF16(x, weight)) {
    const x16 = cast(x, 'f16');
    const w16 = cast(weight, 'f16');
    const out = linear(x16, w16, bias);
    x16.dispose();
    w16.dispose();
    return out;
  }
  gemmDType(x, weight, 'linear', ['input', 'weight']);
  if (weight.rank !== 2) throw new Error(`linear: weight must be (out, in), got ${fmt(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.rank === 0 || x.shape[x.rank - 1] !== inF) throw new Error(`linear: input ${fmt(x.shape)} must end with ${inF} features for weight ${fmt(weight.shape)}`);
  if (bias) {
    checkDType(bias.dtype, 'f32', 'linear (bias)');
    if (bias.rank !== 1 || bias.shape[0] !== outF) throw new Error(`linear: bias ${fmt(bias.shape)} must be (${outF}) for weight ${fmt(weight.shape)}`);
  }
  const x2 = rowsOf(x);
  const wt = transpose(weight);
  const b = bias && !bias.isContiguous ? contiguousCopy(bias) : bias;
  const y2 = matmulRaw(x2, wt, 1, b ? { t: b, along: 'cols' } : undefined);
  const out = reshape(y2, [...x.shape.slice(0, -1), outF]);
  for (const t of [wt, y2, b !== bias ? b : null]) t?.dispose();
  if (needsGrad(x, weight, bias)) {
    record('linear', [x, weight, bias], { x: saved(x2), weight: saved(weight), hasBias: bias !== null }, out);
  }
  x2.dispose();
  return out;
}

/** Gradients for (x, weight, bias). */
export function linearGrad(g32: Tensor, c: LinearContext, needs: readonly boolean[]): (Tensor | null)[] {
  const x2 = c.x;
  // f16 operands: dy cast to f16 once for both products (the f16 GEMMs take f16 x f16)
  const g = x2.dtype === 'f16' && (needs[0] || needs[1] || (needs[2] && c.hasBias)) ? castRaw(g32, 'f16') : g32;
  // dy in the shape of the product: (rows, out) or (batch..., rows, out)
  const g2 = reshape(g, [...x2.shape.slice(0, -1), g.shape[g.rank - 1]]);
  let dx: Tensor | null = null;
  if (needs[0]) {
    const d2 = matmulRaw(g2, c.weight);
    dx = reshape(d2, [...g.shape.slice(0, -1), x2.shape[x2.rank - 1]]);
    d2.dispose();
  }
  let dweight: Tensor | null = null;
  let dbias: Tensor | null = null;
  if (needs[1] || (needs[2] && c.hasBias)) {
    const gt = transpose(g2);
    const { product, rowSums } = matmulSumBatchRaw(gt, x2, needs[2] && c.hasBias);
    gt.dispose();
    dweight = needs[1] ? product : (product.dispose(), null);
    dbias = rowSums;
  }
  g2.dispose();
  if (g !== g32) g.dispose();
  return [dx, dweight, dbias];
}
