/**
 * matmul(a, b) with torch.matmul semantics: batched over broadcast leading dims, 1-D operands
 * promoted and squeezed. Transposed views (e.g. `w.transpose()`) are read in place by the A_T/B_T
 * layouts of the GEMM kernel, so the backward products need no copies:
 *   d(A B) = dC B^T (for A) and A^T dC (for B), summed over broadcast batch dims.
 * The raw products used by other ops: `matmulRaw` (optionally with a bias per row or column added
 * in the GEMM's epilogue) and `matmulSumBatchRaw` (the product summed over the batch in one GEMM,
 * the batch folded into K: the gradient of a weight broadcast over a batch, with no batched
 * intermediate and no reduction pass; optionally with the row sums of A for a bias gradient).
 * Operands are both f32, or both f16 (the f16 GEMM family, chosen through the same lookup, accumulates
 * and returns f32, and takes the same variants; the backward casts dC to f16 for its products).
 * Inside `autocast`, f32 operands are cast to f16 first.
 */
import {
  matmulKernelFor, gemmShapeConstants, isBlockedStrategy, GEMM_BLOCKED_TUNING, type GemmDType, type GemmEntryPoint, type Constants, type MatmulVariant,
} from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { adapterFacts, chooseVariant } from '../gpu/variants.js';
import { checkDType } from '../dtype.js';
import { broadcastShapes, fmt, numel } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';
import { expand, reshape, transpose, unsqueeze } from './shape.js';
import { sumToShape } from './reduce.js';
import { zeros, fillInPlace } from './creation.js';
import { cast, castRaw } from './cast.js';
import { autocastsToF16 } from '../autocast.js';
import { alignedQuads, gemmCallConstants, vec4Bindable } from './gemm-blocked.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    matmul: { a: Tensor; b: Tensor };
  }
}

/** Whether the device can run the subgroup GEMM kernel: the `subgroups` feature with >= 8 lanes. */
export function hasSubgroupGemm(): boolean {
  return adapterFacts().subgroupGemm;
}

/**
 * The GEMM entry point and constants for an M x N x K product (batch entries) on `dtype` operands
 * from the variant table (`gemm` for f32, `gemm-f16` for f16): the strategy's per-shape constants
 * with the table's (tuned) constants over them. The register-blocked kernels bind their operands as
 * vec4 arrays: where one of `operands` is not a multiple of 16 bytes, the tiled kernel runs instead.
 * Run the answer through gemm-family.ts's lookups (`matmulKernelFor(strategy, dtype)` ...).
 */
export function gemmChoice(
  M: number, N: number, K: number, batch = 1, operands: readonly GPUBuffer[] = [], dtype: GemmDType = 'f32',
): { strategy: GemmEntryPoint; constants: Constants } {
  if (dtype === 'f16') {
    const f16 = chooseVariant('gemm-f16', M, N, K, batch);
    return { strategy: f16.variant, constants: f16.constants ?? {} };
  }
  const choice = chooseVariant('gemm', M, N, K, batch);
  if (isBlockedStrategy(choice.variant)) {
    if (!vec4Bindable(...operands)) return { strategy: 'tiled', constants: {} };
    return { strategy: choice.variant, constants: { ...GEMM_BLOCKED_TUNING[choice.variant], ...choice.constants } };
  }
  const shaped = gemmShapeConstants(choice.variant, M);
  return { strategy: choice.variant, constants: choice.constants ? { ...shaped, ...choice.constants } : shaped };
}

/** Checks that both operands of a GEMM are f32, or both f16; returns that dtype. */
export function gemmDType(a: Tensor, b: Tensor, context: string, names: [string, string] = ['a', 'b']): GemmDType {
  if (a.dtype === 'f16' && b.dtype === 'f16') return 'f16';
  if (a.dtype === 'f16' || b.dtype === 'f16') {
    throw new Error(`${context}: ${names[0]} is ${a.dtype} but ${names[1]} is ${b.dtype}; the operands must be both f32 or both f16`);
  }
  checkDType(a.dtype, 'f32', `${context} (${names[0]})`);
  checkDType(b.dtype, 'f32', `${context} (${names[1]})`);
  return 'f32';
}

interface Operand {
  t: Tensor;
  /** 'n': rows contiguous (row-major); 't': columns contiguous (a transposed view). */
  layout: 'n' | 't';
  ld: number;
  batchStride: number;
  owned: boolean;
}

/**
 * Describes the last two dims of `t` (broadcast to `batchShape`) as a GEMM operand, copying only
 * when neither layout fits or the batch dims do not collapse to one stride.
 */
function operand(t: Tensor, batchShape: readonly number[], rows: number, cols: number): Operand {
  const r = t.rank;
  const sr = t.strides[r - 2];
  const sc = t.strides[r - 1];
  let layout: 'n' | 't' | null = null;
  let ld = 0;
  if (sc === 1 || cols === 1) {
    layout = 'n';
    ld = rows === 1 ? cols : sr;
    if (ld < cols) layout = null;
  }
  if (!layout && (sr === 1 || rows === 1)) {
    layout = 't';
    ld = cols === 1 ? rows : sc;
    if (ld < rows) layout = null;
  }
  const batchStrides = batchStridesOf(t, batchShape);
  if (!layout || batchStrides === null) {
    const full = expand(t, [...batchShape, rows, cols]);
    const c = contiguousCopy(full);
    full.dispose();
    return { t: c, layout: 'n', ld: cols, batchStride: rows * cols, owned: true };
  }
  return { t, layout, ld, batchStride: batchStrides, owned: false };
}

/** One stride stepping through the broadcast batch dims of t in row-major order, or null. */
function batchStridesOf(t: Tensor, batchShape: readonly number[]): number | null {
  const shift = batchShape.length - (t.rank - 2);
  const strides = batchShape.map((d, i) => {
    const k = i - shift;
    return k < 0 || t.shape[k] === 1 ? 0 : t.strides[k];
  });
  const dims = batchShape.map((d, i) => [d, strides[i]]).filter(([d]) => d !== 1);
  if (dims.length === 0) return 0;
  for (let i = 0; i + 1 < dims.length; i++) {
    if (dims[i][1] !== dims[i + 1][1] * dims[i + 1][0]) return null;
  }
  return dims[dims.length - 1][1];
}

/** A bias the GEMM's epilogue adds: one value per row (M) or per column (N) of each product. */
export interface GemmBias {
  t: Tensor;
  along: 'rows' | 'cols';
}

/** The product's operand type and sizes and broadcast batch, checked (errors name both shapes). */
function productShape(a: Tensor, b: Tensor): { dtype: GemmDType; M: number; K: number; N: number; batchShape: number[] } {
  const dtype = gemmDType(a, b, 'matmul');
  const M = a.shape[a.rank - 2];
  const K = a.shape[a.rank - 1];
  const N = b.shape[b.rank - 1];
  if (b.shape[b.rank - 2] !== K) throw new Error(`matmul: inner dims differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), `matmul ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  return { dtype, M, K, N, batchShape };
}

/**
 * Batched product of tensors of rank >= 2 with broadcast batch dims, without autograd; `bias`
 * (contiguous 1-D) is added to every product by the GEMM's epilogue.
 */
export function matmulRaw(a: Tensor, b: Tensor, alpha = 1, bias?: GemmBias): Tensor {
  const { dtype, M, K, N, batchShape } = productShape(a, b);
  if (bias) {
    checkDType(bias.t.dtype, 'f32', 'matmul (bias)');
    const want = bias.along === 'rows' ? M : N;
    if (bias.t.rank !== 1 || bias.t.shape[0] !== want || !bias.t.isContiguous) {
      throw new Error(`matmul: a bias along the ${bias.along} of ${fmt(a.shape)} @ ${fmt(b.shape)} must be a contiguous (${want}), got ${fmt(bias.t.shape)}`);
    }
  }
  const batch = numel(batchShape);
  const out = Tensor.empty([...batchShape, M, N], 'f32', 'matmul');
  if (batch * M * N === 0) return out;
  if (K === 0 && !bias) {
    out.dispose();
    return zeros([...batchShape, M, N]);
  }
  const A = operand(a, batchShape, M, K);
  const B = operand(b, batchShape, K, N);
  const { strategy, constants } = gemmChoice(M, N, K, batch, [A.t.buffer, B.t.buffer], dtype);
  // a quad of A runs along K ('n') or M ('t'), of B along N ('n') or K ('t')
  const vecA = alignedQuads(A.t.offset, A.ld, A.layout === 'n' ? K : M, A.batchStride);
  const vecB = alignedQuads(B.t.offset, B.ld, B.layout === 'n' ? N : K, B.batchStride);
  const epilogue = bias ? (bias.along === 'rows' ? '_bias_row' : '_bias_col') : '';
  runtime().run(matmulKernelFor(strategy, dtype), `${A.layout}${B.layout}${epilogue}` as MatmulVariant, {
    buffers: { a: A.t.buffer, b: B.t.buffer, bias: bias ? bias.t.buffer : null, c: out.buffer },
    uniforms: {
      M, N, K, batch, a_offset: A.t.offset, b_offset: B.t.offset, c_offset: 0, bias_offset: bias ? bias.t.offset : 0,
      a_batch_stride: A.batchStride, b_batch_stride: B.batchStride, c_batch_stride: M * N,
      lda: A.ld, ldb: B.ld, ldc: N, alpha,
    },
    constants: gemmCallConstants(strategy, constants, { M, N, K, vecA, vecB }),
  });
  if (A.owned) A.t.dispose();
  if (B.owned) B.t.dispose();
  return out;
}

/**
 * The sum over the broadcast batch of a[b] @ b[b], in one GEMM whose K runs over every batch
 * entry (the gradient of a weight shared by the batch). With `rowSums`, also the row sums of a,
 * summed over the batch (a column of ones appended to b), stored after the product in the same
 * buffer. Shape: a (..., M, K), b (..., K, N) -> product (M, N), rowSums (M).
 */
export function matmulSumBatchRaw(a: Tensor, b: Tensor, rowSums = false): { product: Tensor; rowSums: Tensor | null } {
  const { dtype, M, K, N, batchShape } = productShape(a, b);
  const batch = numel(batchShape);
  const extra = rowSums ? 1 : 0;
  const storage = Tensor.empty([M * (N + extra)], 'f32', 'matmul_sum_batch');
  const product = storage.view([M, N], [N, 1], 0);
  const sums = rowSums ? storage.view([M], [1], M * N) : null;
  storage.dispose();
  if (M * (N + extra) === 0) return { product, rowSums: sums };
  if (batch * K === 0) {
    // nothing to sum: zeros (the views share the filled storage)
    fillInPlace(product, 0);
    if (sums) fillInPlace(sums, 0);
    return { product, rowSums: sums };
  }
  const A = operand(a, batchShape, M, K);
  const B = operand(b, batchShape, K, N);
  const Nc = N + extra;
  const { strategy, constants } = gemmChoice(M, Nc, batch * K, 1, [A.t.buffer, B.t.buffer], dtype);
  // quads along K stay inside one batch entry when K divides by 4 (alignedQuads' run); the column
  // of ones is not in B, so with row sums B is gathered
  const vecA = alignedQuads(A.t.offset, A.ld, A.layout === 'n' ? K : M, A.batchStride);
  const vecB = !rowSums && alignedQuads(B.t.offset, B.ld, B.layout === 'n' ? N : K, B.batchStride);
  runtime().run(matmulKernelFor(strategy, dtype), `${A.layout}${B.layout}_fold${rowSums ? '_rowsum' : ''}` as MatmulVariant, {
    buffers: { a: A.t.buffer, b: B.t.buffer, c: product.buffer },
    uniforms: {
      M, N: Nc, K: batch * K, k_fold: K, batch: 1, a_offset: A.t.offset, b_offset: B.t.offset, c_offset: 0,
      a_batch_stride: A.batchStride, b_batch_stride: B.batchStride, lda: A.ld, ldb: B.ld, ldc: N, alpha: 1,
    },
    constants: gemmCallConstants(strategy, constants, { M, N: Nc, K: batch * K, vecA, vecB }),
  });
  if (A.owned) A.t.dispose();
  if (B.owned) B.t.dispose();
  return { product, rowSums: sums };
}

/** Matrix product with torch.matmul semantics (1-D operands promoted, batch dims broadcast). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (autocastsToF16(a, b)) {
    const a16 = cast(a, 'f16');
    const b16 = cast(b, 'f16');
    const out = matmul(a16, b16);
    a16.dispose();
    b16.dispose();
    return out;
  }
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: scalar operands are not allowed (${fmt(a.shape)} @ ${fmt(b.shape)})`);
  if (a.rank === 1 || b.rank === 1) {
    const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
    const b2 = b.rank === 1 ? unsqueeze(b, -1) : b;
    const y = matmul(a2, b2);
    const shape = y.shape.filter((_, i) => !(a.rank === 1 && i === y.rank - 2) && !(b.rank === 1 && i === y.rank - 1));
    const out = reshape(y, shape);
    for (const t of [y, a2, b2]) if (t !== a && t !== b) t.dispose();
    return out;
  }
  const out = matmulRaw(a, b);
  if (needsGrad(a, b)) {
    record('matmul', [a, b], { a: saved(a), b: saved(b) }, out);
  }
  return out;
}

/** True for a view whose last two dims are stored column-major (e.g. `w.transpose()`). */
function columnMajor(t: Tensor): boolean {
  return t.rank >= 2 && t.strides[t.rank - 2] === 1 && t.shape[t.rank - 2] > 1 && t.strides[t.rank - 1] !== 1;
}

function swapLast(shape: readonly number[]): number[] {
  const s = [...shape];
  [s[s.length - 2], s[s.length - 1]] = [s[s.length - 1], s[s.length - 2]];
  return s;
}

/** True when `operand` is shared by every entry of the product's batch (no batch dims of its own). */
function sharedByBatch(operand: Tensor, g: Tensor): boolean {
  return numel(operand.shape.slice(0, -2)) === 1 && numel(g.shape.slice(0, -2)) > 1;
}

/** sum over g's batch of x[b] @ y[b], shaped as `shape` (M, N with 1s for any batch dims). */
function summedProduct(x: Tensor, y: Tensor, shape: readonly number[]): Tensor {
  const { product } = matmulSumBatchRaw(x, y);
  const out = reshape(product, shape);
  product.dispose();
  return out;
}

/**
 * dA = dC B^T, dB = A^T dC. An operand stored column-major (a transposed weight) gets its
 * gradient computed transposed, (dB)^T = dC^T A, so the gradient has the operand's own layout
 * and reaches the contiguous weight without a copy. An operand shared by a batch (a weight)
 * gets the sum over the batch in one GEMM (matmulSumBatchRaw), not a batched product and a sum.
 */
export function matmulGrad(g32: Tensor, c: { a: Tensor; b: Tensor }, needs: readonly boolean[]): (Tensor | null)[] {
  const g = c.a.dtype === 'f16' ? castRaw(g32, 'f16') : g32;
  let da: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[0]) {
    const shared = sharedByBatch(c.a, g);
    if (columnMajor(c.a)) {
      const t = shared ? summedProduct(c.b, transpose(g), swapLast(c.a.shape)) : sumToShape(matmulRaw(c.b, transpose(g)), swapLast(c.a.shape));
      da = transpose(t);
    } else {
      da = shared ? summedProduct(g, transpose(c.b), c.a.shape) : sumToShape(matmulRaw(g, transpose(c.b)), c.a.shape);
    }
  }
  if (needs[1]) {
    const shared = sharedByBatch(c.b, g);
    if (columnMajor(c.b)) {
      const t = shared ? summedProduct(transpose(g), c.a, swapLast(c.b.shape)) : sumToShape(matmulRaw(transpose(g), c.a), swapLast(c.b.shape));
      db = transpose(t);
    } else {
      db = shared ? summedProduct(transpose(c.a), g, c.b.shape) : sumToShape(matmulRaw(transpose(c.a), g), c.b.shape);
    }
  }
  if (g !== g32) g.dispose();
  return [da, db];
}
