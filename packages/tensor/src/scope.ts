/**
 * Explicit GPU memory: scopes in the manner of tf.tidy. Every tensor created inside `tidy(fn)` is
 * disposed when fn returns, except the tensors fn returns (they move to the enclosing scope) and
 * those passed to `keep`. Tensors created outside any scope are the caller's to dispose.
 */
import type { Tensor } from './tensor.js';

type Scope = Set<Tensor>;
const scopes: Scope[] = [];

export interface Tracked {
  scope: Scope | null;
}

export function trackTensor(t: Tensor & Tracked): void {
  const top = scopes[scopes.length - 1];
  if (top) {
    top.add(t);
    t.scope = top;
  }
}

export function untrackTensor(t: Tensor & Tracked): void {
  t.scope?.delete(t);
  t.scope = null;
}

function collect(value: unknown, into: Set<Tensor>, isTensor: (v: unknown) => v is Tensor, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (isTensor(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, into, isTensor, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collect(v, into, isTensor, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, into, isTensor, depth + 1);
}

let tensorCheck: ((v: unknown) => v is Tensor) | null = null;
export function registerTensorCheck(f: (v: unknown) => v is Tensor): void {
  tensorCheck = f;
}

/**
 * Runs fn in a new scope and disposes every tensor it created except those it returns (found in
 * the result, arrays, Maps and plain objects) and those kept. fn must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  let ok = false;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('tidy(fn): fn must be synchronous (it returned a Promise)');
    ok = true;
  } finally {
    scopes.pop();
    const keepSet = new Set<Tensor>();
    if (ok) collect(result!, keepSet, tensorCheck!);
    const parent = scopes[scopes.length - 1] ?? null;
    for (const t of scope) {
      const tt = t as Tensor & Tracked;
      if (keepSet.has(t)) {
        tt.scope = parent;
        parent?.add(t);
      } else {
        tt.scope = null;
        t.dispose();
      }
    }
  }
  return result!;
}

/** Removes a tensor from every scope: it lives until disposed by hand. Returns it. */
export function keep<T extends Tensor>(t: T): T {
  untrackTensor(t as T & Tracked);
  return t;
}

/** Number of scopes currently open. */
export function scopeDepth(): number {
  return scopes.length;
}
