/**
 * Reverse-mode differentiation: walks the nodes reachable from the root in reverse topological
 * order, applies each node's gradient rule once to the summed gradient of its output, and frees
 * the node's saved tensors as soon as the walk has passed it. Leaf gradients accumulate into
 * `.grad` (summed with an existing one).
 */
import { Tensor } from '../tensor.js';
import { noGrad, freeSaved, type GradNode } from './graph.js';
import { gradRules, type GradRule, type OpName } from './rules.js';
import { fmt, shapeEquals } from '../shape.js';
import { tidy, keep } from '../scope.js';
import { add } from '../ops/binary.js';
import { onesLike } from '../ops/creation.js';
import { contiguousCopy } from '../ops/copy.js';

function topoOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  const stack: [GradNode, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.parents.length) {
      top[1]++;
      const p = node.parents[i];
      if (p && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      order.push(node);
      stack.pop();
    }
  }
  return order; // parents before children
}

export interface BackwardOptions {
  /** Gradient of the root (default: ones, which requires a one-element root). */
  grad?: Tensor;
  /** Keep saved tensors so backward can run again over the same graph. */
  retainGraph?: boolean;
}

/** Computes gradients of `root` with respect to every leaf that requires grad. */
export function backward(root: Tensor, options: BackwardOptions = {}): void {
  if (!root.node) throw new Error(`backward(): tensor ${fmt(root.shape)} does not require grad (no input had requiresGrad set)`);
  if (!options.grad && root.size !== 1) {
    throw new Error(`backward(): root ${fmt(root.shape)} is not a scalar; pass { grad } of the same shape`);
  }
  if (options.grad && !shapeEquals(options.grad.shape, root.shape)) {
    throw new Error(`backward(): grad ${fmt(options.grad.shape)} does not match root ${fmt(root.shape)}`);
  }
  const order = topoOrder(root.node);
  noGrad(() =>
    tidy(() => {
      const grads = new Map<GradNode, Tensor>();
      grads.set(root.node!, options.grad ? options.grad.view(options.grad.shape, options.grad.strides, options.grad.offset) : onesLike(root));
      for (let i = order.length - 1; i >= 0; i--) {
        const node = order[i];
        const g = grads.get(node);
        grads.delete(node);
        if (node.leaf) {
          if (g) accumulateLeaf(node.leaf, g);
          continue;
        }
        if (!g) continue;
        if (!node.ctx) {
          throw new Error(`backward(): the graph through ${node.op} was already freed by an earlier backward() (pass retainGraph to run twice)`);
        }
        checkVersions(node);
        const rule = gradRules[node.op as OpName] as GradRule<OpName>;
        const needs = node.parents.map((p) => p !== null);
        const inputGrads = tidy(() => rule(g, node.ctx as never, needs));
        g.dispose();
        node.parents.forEach((p, k) => {
          const gi = inputGrads[k];
          if (!gi) return;
          if (!p) {
            gi.dispose();
            return;
          }
          const prev = grads.get(p);
          if (prev) {
            grads.set(p, add(prev, gi));
            prev.dispose();
            gi.dispose();
          } else grads.set(p, gi);
        });
        if (!options.retainGraph) freeSaved(node);
      }
    }),
  );
}

function checkVersions(node: GradNode): void {
  if (!node.versions || !node.ctx) return;
  let k = 0;
  for (const v of Object.values(node.ctx)) {
    const list = Array.isArray(v) ? v : [v];
    for (const t of list) {
      if (!(t instanceof Tensor)) continue;
      if (t.storage.version !== node.versions[k++]) {
        throw new Error(`backward(): a tensor saved by ${node.op} was modified in place after it was saved (e.g. an optimizer step before backward)`);
      }
    }
  }
}

/** Adds g into leaf.grad. Gradients are read-only: a .grad may share storage with another. */
function accumulateLeaf(leaf: Tensor, grad: Tensor): void {
  if (!shapeEquals(grad.shape, leaf.shape)) throw new Error(`backward(): gradient ${fmt(grad.shape)} does not match leaf ${fmt(leaf.shape)}`);
  const g = grad.isContiguous ? grad : contiguousCopy(grad);
  if (g !== grad) grad.dispose();
  if (leaf.grad) {
    const sum = add(leaf.grad, g);
    leaf.grad.dispose();
    g.dispose();
    leaf.grad = keep(sum);
  } else {
    leaf.grad = keep(g);
  }
}
