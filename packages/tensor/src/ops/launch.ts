/**
 * Launching elementwise-family kernels on strided views: broadcasting to the output shape,
 * merging dimensions that are contiguous in every operand (fewer index divisions), and picking
 * the CONTIGUOUS fast path when no index arithmetic is needed, or the GRID launch when the merged
 * view has rank 4 or less (each invocation's position comes from its workgroup and invocation
 * ids: no division per element, which CPU adapters run one lane at a time).
 */
import { unaryKernel, binaryKernel, copyKernel, unaryVec4Kernel, binaryVec4Kernel, binaryVec4RowKernel, copyVec4Kernel, MAX_WORKGROUPS_PER_DIM, type KernelSpec } from '@fusion/kernels';
import { runtime } from '../gpu/runtime.js';
import { exceedsBinding, launchSplit } from './split-binding.js';
import { Tensor } from '../tensor.js';
import { MAX_RANK, numel, fmt, contiguousStrides, type Shape } from '../shape.js';
import type { DType } from '../dtype.js';

/** Strides of `t` viewed as broadcast to `shape` (0 on broadcast dims), or an error. */
export function broadcastStrides(t: Tensor, shape: Shape, context: string): number[] {
  const rank = shape.length;
  const out = new Array<number>(rank).fill(0);
  const shift = rank - t.rank;
  if (shift < 0) throw new Error(`${context}: cannot broadcast ${fmt(t.shape)} to ${fmt(shape)}`);
  for (let i = 0; i < t.rank; i++) {
    const d = t.shape[i];
    if (d === shape[i + shift]) out[i + shift] = d === 1 ? 0 : t.strides[i];
    else if (d === 1) out[i + shift] = 0;
    else throw new Error(`${context}: cannot broadcast ${fmt(t.shape)} to ${fmt(shape)}`);
  }
  return out;
}

/** Drops size-1 dims and merges adjacent dims that are contiguous in every stride list. */
export function coalesce(shape: Shape, strideLists: number[][]): { shape: number[]; strides: number[][] } {
  const dims: number[] = [];
  const strides: number[][] = strideLists.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strideLists.every((s, k) => strides[k][last] === s[i] * shape[i])) {
      dims[last] *= shape[i];
      strideLists.forEach((s, k) => (strides[k][last] = s[i]));
    } else {
      dims.push(shape[i]);
      strideLists.forEach((s, k) => strides[k].push(s[i]));
    }
  }
  return { shape: dims, strides };
}

export interface ElementwiseOperands {
  a?: Tensor;
  b?: Tensor;
  c?: Tensor;
}

export interface ElementwiseScalars {
  alpha?: number;
  beta?: number;
  bits?: number;
}

/** Binding names of each operand slot, per kernel (copy and casts read other bindings). */
const SLOT_BINDINGS: Record<string, Partial<Record<'a' | 'b' | 'c', string>>> = {
  copy: { a: 'src_bits' },
  cast_to_f32: { a: 'src_i32' },
};
const OUT_BINDINGS: Record<string, string> = { copy: 'dst_bits', fill: 'dst_bits', arange_i32: 'out_i32', cast_to_i32: 'out_i32' };

/**
 * Runs an elementwise kernel writing a new contiguous tensor of `shape`, or into `into`. Kernels
 * that write through `dst_bits` (copy, fill) take any strided, non-overlapping `into` (its
 * strides and offset travel as operand b); the others need `into` contiguous at offset 0.
 */
export function launchElementwise(
  spec: KernelSpec, variant: string, shape: Shape, dtype: DType,
  operands: ElementwiseOperands, scalars: ElementwiseScalars = {}, into?: Tensor,
): Tensor {
  const context = `${spec.name}/${variant}`;
  const outBinding = OUT_BINDINGS[spec.name] ?? 'out';
  const stridedOut = outBinding === 'dst_bits';
  if (!into && !stridedOut) {
    const kept = inPermutedLayout(spec, variant, shape, dtype, operands, scalars);
    if (kept) return kept;
  }
  if (into && (into.size !== numel(shape) || into.rank !== shape.length || into.shape.some((d, i) => d !== shape[i]))) {
    throw new Error(`${context}: output ${fmt(into.shape)} does not match ${fmt(shape)}`);
  }
  if (into && !stridedOut && (!into.isContiguous || into.offset !== 0)) {
    throw new Error(`${context}: output must be a contiguous tensor at offset 0`);
  }
  const out = into ?? Tensor.empty(shape, dtype, context);
  const n = numel(shape);
  if (n === 0) return out;
  const slots = (['a', 'b', 'c'] as const).filter((s) => operands[s]);
  const full = slots.map((s) => broadcastStrides(operands[s]!, shape, context));
  const outStrides = stridedOut ? [...out.strides] : contiguousStrides(shape);
  const merged = coalesce(shape, [outStrides, ...full]);
  if (merged.shape.length > MAX_RANK) throw new Error(`${context}: rank ${merged.shape.length} exceeds ${MAX_RANK}`);
  const contiguous = merged.shape.length <= 1 && merged.strides.every((s) => s.length === 0 || s[0] === 1);
  const uniforms: Record<string, number | number[]> = {
    numel: n,
    rank: merged.shape.length,
    shape: merged.shape,
    alpha: scalars.alpha ?? 0,
    beta: scalars.beta ?? 0,
    bits: scalars.bits ?? 0,
  };
  const inputs = slots.map((sl) => operands[sl]!);
  if (exceedsBinding(out, inputs)) {
    try {
      launchSplit(spec, n, out, inputs, (pieces, piece, count) => {
        const chunk: ElementwiseOperands = {};
        slots.forEach((sl, k) => (chunk[sl] = pieces[k]));
        launchElementwise(spec, variant, [count], dtype, chunk, scalars, piece);
      });
    } catch (e) {
      if (!into) out.dispose();
      throw e;
    }
    return out;
  }
  if (contiguous && launchVec4(spec, variant, n, inputs, out, uniforms)) return out;
  if (spec === binaryKernel && !stridedOut && launchRowVec4(variant, merged, operands.a!, operands.b!, out, uniforms)) return out;
  const grid = contiguous ? null : gridLaunch(merged);
  const view = grid ?? merged;
  if (grid) {
    uniforms.rank = 4;
    uniforms.shape = grid.shape;
  }
  const buffers: Record<string, GPUBuffer | null> = {};
  const map = SLOT_BINDINGS[spec.name] ?? {};
  slots.forEach((s, k) => {
    uniforms[`offset_${s}`] = operands[s]!.offset;
    uniforms[`strides_${s}`] = view.strides[k + 1];
    buffers[map[s] ?? s] = operands[s]!.buffer;
  });
  if (stridedOut) {
    if (slots.includes('b')) throw new Error(`${context}: operand b is the destination of this kernel`);
    uniforms.offset_b = out.offset;
    uniforms.strides_b = view.strides[0];
  }
  buffers[outBinding] = out.buffer;
  const constants: Record<string, number> = grid ? { GRID: 1, WG: grid.wg } : { CONTIGUOUS: contiguous ? 1 : 0 };
  runtime().run(spec, variant, { buffers, uniforms, constants });
  return out;
}

/** Shortest last dim worth a grid launch (shorter rows leave most invocations of a workgroup idle). */
const GRID_MIN_ROW = 16;

/**
 * The GRID launch of a merged view of rank <= 4: its shape and strides right-aligned to 4 dims
 * (leading size-1 dims, stride 0) and the workgroup width, or null when the view is longer, its
 * rows are too short, or the grid does not fit (d2 and d0 * d1 workgroups, rows / WG).
 */
function gridLaunch(merged: { shape: number[]; strides: number[][] }): { shape: number[]; strides: number[][]; wg: number } | null {
  const rank = merged.shape.length;
  if (rank === 0 || rank > 4) return null;
  const pad = 4 - rank;
  const shape = [...new Array<number>(pad).fill(1), ...merged.shape];
  const row = shape[3];
  const wg = row >= 64 ? 64 : row >= 32 ? 32 : 16;
  if (row < GRID_MIN_ROW || Math.ceil(row / wg) > MAX_WORKGROUPS_PER_DIM || shape[2] > MAX_WORKGROUPS_PER_DIM || shape[0] * shape[1] > MAX_WORKGROUPS_PER_DIM) return null;
  return { shape, strides: merged.strides.map((s) => [...new Array<number>(pad).fill(0), ...s]), wg };
}

/** The vec4 twin of each kernel that has one, with the binding names of its operands and output. */
const VEC4 = new Map<KernelSpec, { spec: KernelSpec; slots: string[]; out: string }>([
  [unaryKernel as KernelSpec, { spec: unaryVec4Kernel as KernelSpec, slots: ['a4'], out: 'out4' }],
  [binaryKernel as KernelSpec, { spec: binaryVec4Kernel as KernelSpec, slots: ['a4', 'b4'], out: 'out4' }],
  [copyKernel, { spec: copyVec4Kernel, slots: ['src_bits4'], out: 'dst_bits4' }],
]);

/**
 * Runs the vec4 twin of a contiguous elementwise call when sizes and offsets allow (numel and
 * every offset divisible by 4); returns false to fall back to the scalar kernel.
 */
function launchVec4(spec: KernelSpec, variant: string, n: number, inputs: Tensor[], out: Tensor, scalars: Record<string, number | number[]>): boolean {
  const twin = VEC4.get(spec);
  if (!twin || n % 4 !== 0 || out.offset % 4 !== 0 || inputs.some((t) => t.offset % 4 !== 0)) return false;
  const buffers: Record<string, GPUBuffer> = { [twin.out]: out.buffer };
  const uniforms: Record<string, number | number[]> = { numel: n / 4, alpha: scalars.alpha, beta: scalars.beta, offset_b: out.offset / 4 };
  inputs.forEach((t, k) => {
    buffers[twin.slots[k]] = t.buffer;
    uniforms[k === 0 ? 'offset_a' : 'offset_b'] = t.offset / 4;
  });
  if (twin.out === 'out4' && out.offset !== 0) return false;
  runtime().run(twin.spec, variant, { buffers, uniforms });
  return true;
}

/**
 * A binary op whose second operand is one row broadcast over the rows of the first (after
 * merging dims: shape [rows, row], a and the output row-major, b strides [0, 1]), e.g. a bias
 * add, as vec4s; false when the shapes or offsets do not allow it.
 */
function launchRowVec4(
  variant: string, merged: { shape: number[]; strides: number[][] }, a: Tensor, b: Tensor, out: Tensor, scalars: Record<string, number | number[]>,
): boolean {
  if (merged.shape.length !== 2) return false;
  const row = merged.shape[1];
  const [so, sa, sb] = merged.strides;
  if (row % 4 !== 0 || so[0] !== row || so[1] !== 1 || sa[0] !== row || sa[1] !== 1 || sb[0] !== 0 || sb[1] !== 1) return false;
  if (a.offset % 4 !== 0 || b.offset % 4 !== 0 || out.offset !== 0) return false;
  runtime().run(binaryVec4RowKernel, variant, {
    buffers: { a4: a.buffer, b4: b.buffer, out4: out.buffer },
    uniforms: { numel: (merged.shape[0] * row) / 4, row4: row / 4, alpha: scalars.alpha, offset_a: a.offset / 4, offset_b: b.offset / 4 },
  });
  return true;
}

/**
 * The dims of a dense tensor ordered by decreasing stride (its memory order), or null when the
 * tensor is broadcast, has gaps, or is already row-major.
 */
function memoryOrder(t: Tensor): number[] | null {
  const order = t.shape.map((_, i) => i).sort((x, y) => t.strides[y] - t.strides[x] || x - y);
  let expected = 1;
  for (let k = order.length - 1; k >= 0; k--) {
    const d = order[k];
    if (t.shape[d] !== 1 && t.strides[d] !== expected) return null;
    expected *= t.shape[d];
  }
  return order.every((d, i) => d === i) ? null : order;
}

/**
 * Keeps a permuted dense layout (e.g. a transposed gradient) instead of turning it row-major:
 * when every operand has the output's shape and the same strides, and those strides are a
 * permutation of a dense layout, the kernel runs over memory order (contiguous, so the vec4
 * path applies) and the result is returned with the operands' strides, as PyTorch preserves
 * memory formats.
 */
function inPermutedLayout(spec: KernelSpec, variant: string, shape: Shape, dtype: DType, operands: ElementwiseOperands, scalars: ElementwiseScalars): Tensor | null {
  const list = (['a', 'b', 'c'] as const).map((s) => operands[s]).filter((t): t is Tensor => t !== undefined);
  if (list.length === 0) return null;
  const first = list[0];
  if (list.some((t) => t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i]) || t.strides.some((st, i) => st !== first.strides[i]))) return null;
  const order = memoryOrder(first);
  if (!order) return null;
  const memShape = order.map((d) => shape[d]);
  const memStrides = contiguousStrides(memShape);
  const inMemoryOrder = (t: Tensor) => t.view(memShape, memStrides, t.offset, true);
  const views: ElementwiseOperands = {};
  for (const s of ['a', 'b', 'c'] as const) if (operands[s]) views[s] = inMemoryOrder(operands[s]!);
  const flat = launchElementwise(spec, variant, memShape, dtype, views, scalars);
  for (const v of Object.values(views)) v.dispose();
  const strides = new Array<number>(shape.length);
  order.forEach((d, k) => (strides[d] = memStrides[k]));
  const out = flat.view(shape, strides, flat.offset);
  flat.dispose();
  return out;
}
