/**
 * embedding(ids, weight): rows of a (vocab, dim) table looked up by i32 ids of any shape, and the
 * dense (vocab, dim) gradient of the table (as PyTorch's default, sparse = false):
 *   d weight[v, :] = sum over positions p with ids[p] = v of g[p, :]
 * computed deterministically without float atomics: a stable counting sort groups the positions
 * by id, then each (id, column) sums its group in position order.
 * With `paddingIdx` (PyTorch's padding_idx) that row receives no gradient.
 * Ids out of [0, vocab) are clamped by the kernels (to 0 or vocab - 1, forward and backward
 * alike); the host cannot see device ids without a readback, so it only rejects lookups into an
 * empty table.
 */
import {
  embeddingGatherKernel, embeddingSortSerialKernel, embeddingSortWorkgroupKernel, embeddingBackwardLinesKernel, embeddingBackwardRowsKernel,
} from '@fusion/kernels';
import { Tensor } from '../tensor.js';
import { runtime } from '../gpu/runtime.js';
import { chooseVariant } from '../gpu/variants.js';
import { checkDType } from '../dtype.js';
import { fmt, MAX_RANK } from '../shape.js';
import { needsGrad, record, saved } from '../autograd/graph.js';
import { contiguousCopy } from './copy.js';
import { zeros } from './creation.js';

declare module '../autograd/rules.js' {
  interface OpContexts {
    embedding: { ids: Tensor; vocab: number; dim: number; paddingIdx: number };
  }
}

/**
 * Kernels of the backward: 'lines' (CPU adapters) sorts in one invocation and writes one gradient
 * row per invocation; 'workgroup' (GPUs) sorts in one workgroup and writes one element per
 * invocation. Both sum in position order, so they agree bit for bit.
 */
export type EmbeddingStrategy = 'lines' | 'workgroup';

export interface EmbeddingOptions {
  /** A row (negative counts from the end) whose gradient stays zero, as PyTorch's padding_idx. */
  paddingIdx?: number | null;
}

/**
 * Looks up rows of `weight` (vocab, dim) by `ids` (i32, any shape).
 * Shape: ids (...), weight (V, D) -> (..., D)
 */
export function embedding(ids: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  if (ids.dtype !== 'i32') throw new Error(`embedding: ids must be an i32 tensor, got ${ids.dtype} ids ${fmt(ids.shape)}`);
  checkDType(weight.dtype, 'f32', 'embedding (weight)');
  if (weight.rank !== 2) throw new Error(`embedding: weight must be (vocab, dim), got ${fmt(weight.shape)} (ids ${fmt(ids.shape)})`);
  if (ids.rank + 1 > MAX_RANK) throw new Error(`embedding: ids ${fmt(ids.shape)} have rank ${ids.rank}; the output would exceed rank ${MAX_RANK}`);
  const [vocab, dim] = weight.shape;
  if (vocab === 0 && ids.size > 0) throw new Error(`embedding: weight ${fmt(weight.shape)} has no rows to look up ids ${fmt(ids.shape)} in`);
  let paddingIdx = options.paddingIdx ?? -1;
  if (options.paddingIdx !== undefined && options.paddingIdx !== null) {
    if (!Number.isInteger(paddingIdx) || paddingIdx < -vocab || paddingIdx >= vocab) {
      throw new Error(`embedding: paddingIdx ${paddingIdx} is out of range for weight ${fmt(weight.shape)}`);
    }
    if (paddingIdx < 0) paddingIdx += vocab;
  }
  const idsC = ids.isContiguous ? ids : contiguousCopy(ids);
  const w = weight.isContiguous ? weight : contiguousCopy(weight);
  const out = Tensor.empty([...ids.shape, dim], 'f32', 'embedding');
  if (out.size > 0) {
    runtime().run(embeddingGatherKernel, 'default', {
      buffers: { ids: idsC.buffer, weight: w.buffer, out: out.buffer },
      uniforms: { count: ids.size, vocab, dim, ids_offset: idsC.offset, weight_offset: w.offset, padding_idx: -1 },
    });
  }
  if (needsGrad(weight)) record('embedding', [null, weight], { ids: saved(idsC), vocab, dim, paddingIdx }, out);
  if (idsC !== ids) idsC.dispose();
  if (w !== weight) w.dispose();
  return out;
}

/** Gradient of embedding: none for the ids, the dense (vocab, dim) table gradient. */
export function embeddingGrad(g: Tensor, c: { ids: Tensor; vocab: number; dim: number; paddingIdx: number }): (Tensor | null)[] {
  const count = c.ids.size;
  if (count === 0 || c.dim === 0) return [null, zeros([c.vocab, c.dim])];
  const rt = runtime();
  const gc = g.isContiguous && g.offset === 0 ? g : contiguousCopy(g);
  const order = Tensor.empty([count], 'i32', 'embedding.order');
  const rowStart = Tensor.empty([c.vocab + 1], 'i32', 'embedding.row_start');
  const cursor = Tensor.empty([c.vocab], 'i32', 'embedding.cursor');
  const uniforms = { count, vocab: c.vocab, dim: c.dim, ids_offset: c.ids.offset, weight_offset: 0, padding_idx: c.paddingIdx };
  const lines = chooseVariant('embedding', count, c.vocab, c.dim).variant === 'lines';
  rt.run(lines ? embeddingSortSerialKernel : embeddingSortWorkgroupKernel, 'default', {
    buffers: { ids: c.ids.buffer, order: order.buffer, row_start: rowStart.buffer, cursor: cursor.buffer }, uniforms,
  });
  const dweight = Tensor.empty([c.vocab, c.dim], 'f32', 'embedding_backward');
  rt.run(lines ? embeddingBackwardLinesKernel : embeddingBackwardRowsKernel, 'default', {
    buffers: { g: gc.buffer, order_in: order.buffer, row_start_in: rowStart.buffer, out: dweight.buffer }, uniforms,
  });
  for (const t of [order, rowStart, cursor, gc !== g ? gc : null]) t?.dispose();
  return [null, dweight];
}
