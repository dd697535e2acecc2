/** Shape arithmetic: sizes, strides, broadcasting, axis normalisation. Pure functions, no GPU. */

export type Shape = readonly number[];

/** Most dimensions a tensor may have (the strided kernels carry 8 sizes and strides). */
export const MAX_RANK = 8;

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function shapeEquals(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function checkShape(shape: Shape, context: string): void {
  if (shape.length > MAX_RANK) throw new Error(`${context}: rank ${shape.length} exceeds the maximum of ${MAX_RANK} (shape ${fmt(shape)})`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${context}: invalid shape ${fmt(shape)} (sizes must be non-negative integers)`);
  }
}

/** The broadcast of two shapes (NumPy rules), or an error naming both. */
export function broadcastShapes(a: Shape, b: Shape, context: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${context}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative axis for a tensor of the given rank. */
export function normAxis(axis: number, rank: number, context: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${context}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Normalised, sorted, de-duplicated axes; `undefined` means all axes. */
export function normAxes(axes: number | readonly number[] | undefined, rank: number, context: string): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = [...new Set(list.map((a) => normAxis(a, rank, context)))].sort((x, y) => x - y);
  return out;
}

/** Resolves one -1 in a reshape target. */
export function inferShape(target: Shape, size: number, from: Shape, context: string): number[] {
  const out = [...target];
  const unknown = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) throw new Error(`${context}: at most one -1 in ${fmt(target)}`);
  if (unknown >= 0) {
    const known = numel(out.filter((_, i) => i !== unknown));
    if (known === 0 || size % known !== 0) throw new Error(`${context}: cannot reshape ${fmt(from)} (${size} elements) to ${fmt(target)}`);
    out[unknown] = size / known;
  }
  checkShape(out, context);
  if (numel(out) !== size) throw new Error(`${context}: cannot reshape ${fmt(from)} (${size} elements) to ${fmt(target)}`);
  return out;
}

/**
 * Strides that view a tensor of (shape, strides) as `target` without copying, or null when the
 * layout does not allow it (PyTorch's view rule: each group of dims merged or split must be
 * contiguous within itself).
 */
export function viewStrides(shape: Shape, strides: Shape, target: Shape): number[] | null {
  const out = new Array<number>(target.length).fill(1);
  if (numel(shape) === 0 || shape.length === 0) return contiguousStrides(target);
  let viewD = target.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || target[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= target[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}
