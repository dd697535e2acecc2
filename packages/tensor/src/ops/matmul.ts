/**
 * matmul(a, b) with torch.matmul semantics: batched over broadcast leading dims, 1-D operands
 * promoted and squeezed. Transposed views (e.g. `w.transpose()`) are read in place by the A_T/B_T
 * layouts of the GEMM kernel, so the backward products need no copies:
 *   d(A B) = dC B^T (for A) and A^T dC (for B), summed over broadcast batch dims.
 * Operands are both f32, or both f16 (the f16 GEMM accumulates and returns f32; the backward casts
 * dC to f16 for its products). Inside `autocast`, f32 operands are cast to f16 first.
 */
import {
  matmulKernelFor, gemmShapeConstants, isBlockedStrategy, GEMM_BLOCKED_TUNING, type GemmDType, type GemmEntryPoint, type Constants,
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
import { zeros } from './creation.js';
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

/** Batched product of tensors of rank >= 2 with broadcast batch dims, without autograd. */
export function matmulRaw(a: Tensor, b: Tensor, alpha = 1): Tensor {
  const dtype = gemmDType(a, b, 'matmul');
  const M = a.shape[a.rank - 2];
  const K = a.shape[a.rank - 1];
  const N = b.shape[b.rank - 1];
  if (b.shape[b.rank - 2] !== K) throw new Error(`matmul: inner dims differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), `matmul ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  const batch = numel(batchShape);
  const out = Tensor.empty([...batchShape, M, N], 'f32', 'matmul');
  if (batch * M * N === 0) return out;
  if (K === 0) {
    out.dispose();
    return zeros([...batchShape, M, N]);
  }
  const A = operand(a, batchShape, M, K);
  const B = operand(b, batchShape, K, N);
  const { strategy, constants } = gemmChoice(M, N, K, batch, [A.t.buffer, B.t.buffer], dtype);
  // a quad of A runs along K ('n') or M ('t'), of B along N ('n') or K ('t')
  const vecA = alignedQuads(A.t.offset, A.ld, A.layout === 'n' ? K : M, A.batchStride);
  const vecB = alignedQuads(B.t.offset, B.ld, B.layout === 'n' ? N : K, B.batchStride);
  runtime().run(matmulKernelFor(strategy, dtype), `${A.layout}${B.layout}`, {
    buffers: { a: A.t.buffer, b: B.t.buffer, bias: null, scale: null, residual: null, c: out.buffer },
    uniforms: {
      M, N, K, batch, a_offset: A.t.offset, b_offset: B.t.offset, c_offset: 0,
      a_batch_stride: A.batchStride, b_batch_stride: B.batchStride, c_batch_stride: M * N,
      lda: A.ld, ldb: B.ld, ldc: N, alpha,
    },
    constants: gemmCallConstants(strategy, constants, { M, N, K, vecA, vecB }),
  });
  if (A.owned) A.t.dispose();
  if (B.owned) B.t.dispose();
  return out;
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

/**
 * dA = dC B^T, dB = A^T dC. An operand stored column-major (a transposed weight) gets its
 * gradient computed transposed, (dB)^T = dC^T A, so the gradient has the operand's own layout
 * and reaches the contiguous weight without a copy.
 */
export function matmulGrad(g32: Tensor, c: { a: Tensor; b: Tensor }, needs: readonly boolean[]): (Tensor | null)[] {
  const g = c.a.dtype === 'f16' ? castRaw(g32, 'f16') : g32;
  let da: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[0]) {
    da = columnMajor(c.a)
      ? transpose(sumToShape(matmulRaw(c.b, transpose(g)), swapLast(c.a.shape)))
      : sumToShape(matmulRaw(g, transpose(c.b)), c.a.shape);
  }
  if (needs[1]) {
    db = columnMajor(c.b)
      ? transpose(sumToShape(matmulRaw(transpose(g), c.a), swapLast(c.b.shape)))
      : sumToShape(matmulRaw(transpose(c.a), g), c.b.shape);
  }
  if (g !== g32) g.dispose();
  return [da, db];
}

