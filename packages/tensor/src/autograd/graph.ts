/**
 * The autograd tape. An op that sees an input requiring grad records a node: the op's name (its
 * gradient rule is looked up in the typed table of autograd/rules.ts), the parent nodes, and a
 * context of saved tensors and values. Nodes are reference counted (by the tensors that hold them
 * and by their children), so disposing the last tensor of a graph frees its saved tensors.
 */
import type { Tensor } from '../tensor.js';
import type { OpName, OpContexts } from './rules.js';

export interface GradNode {
  op: OpName | 'leaf';
  parents: (GradNode | null)[];
  ctx: Record<string, unknown> | null;
  /** Storage versions of saved tensors, to detect in-place writes after saving. */
  versions: number[] | null;
  /** For leaf nodes: the tensor whose .grad receives the gradient. */
  leaf: Tensor | null;
  refs: number;
  id: number;
}

let gradEnabled = true;
let nextNodeId = 1;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording autograd nodes (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with recording enabled again (inside a noGrad). */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

function savedTensors(ctx: Record<string, unknown>): Tensor[] {
  const out: Tensor[] = [];
  for (const v of Object.values(ctx)) {
    if (Array.isArray(v)) {
      for (const x of v) if (isTensorLike(x)) out.push(x);
    } else if (isTensorLike(v)) out.push(v);
  }
  return out;
}

function isTensorLike(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && 'storage' in v && 'shape' in v && typeof (v as Tensor).dispose === 'function';
}

/**
 * A handle on `t`'s storage for an op's saved context: untracked by scopes (the node owns it and
 * frees it when the backward walk passes or the graph dies).
 */
export function saved(t: Tensor): Tensor {
  return t.view(t.shape, t.strides, t.offset, true);
}

/** The node through which gradients reach `t` (creating the leaf accumulator of a leaf). */
function gradEdge(t: Tensor): GradNode | null {
  if (!t.requiresGrad) return null;
  if (!t.node) t.node = { op: 'leaf', parents: [], ctx: null, versions: null, leaf: t, refs: 1, id: nextNodeId++ };
  return t.node;
}

/** True when an op on these inputs must record a node. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad);
}

/**
 * Records the node of an op producing `out` from `inputs` (one parent per input, in order; the
 * rule returns gradients in the same order). `ctx` holds what the gradient rule needs; its
 * tensors must be handles the node owns (see `save`).
 */
export function record<K extends OpName>(op: K, inputs: readonly (Tensor | null)[], ctx: OpContexts[K], out: Tensor): Tensor {
  if (!needsGrad(...inputs)) {
    for (const t of savedTensors(ctx as Record<string, unknown>)) t.dispose();
    return out;
  }
  const parents = inputs.map((t) => (t ? gradEdge(t) : null));
  for (const p of parents) if (p) p.refs++;
  const c = ctx as Record<string, unknown>;
  out.node = { op, parents, ctx: c, versions: savedTensors(c).map((t) => t.storage.version), leaf: null, refs: 1, id: nextNodeId++ };
  out.requiresGrad = true;
  return out;
}

/** Drops one reference to a node; at zero its saved tensors are freed and its parents released. */
export function releaseNode(node: GradNode): void {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (--n.refs > 0) continue;
    freeSaved(n);
    for (const p of n.parents) if (p) stack.push(p);
    n.parents = [];
    n.leaf = null;
  }
}

/** Frees a node's saved tensors (after backward passed it, or when the node dies). */
export function freeSaved(n: GradNode): void {
  if (!n.ctx) return;
  for (const t of savedTensors(n.ctx)) t.dispose();
  n.ctx = null;
}

export function nextId(): number {
  return nextNodeId++;
}
