/**
 * Specs of the embedding family (shaders/embedding.wgsl) and float64 references of the lookup and
 * of its dense, deterministic backward. Ids are clamped into [0, vocab - 1], as the kernels do.
 */
import { defineKernel, grid1d } from './spec.js';

export const EMBEDDING_UNIFORMS = ['count', 'vocab', 'dim', 'ids_offset', 'weight_offset', 'padding_idx'] as const;

const base = { shader: 'embedding', uniforms: EMBEDDING_UNIFORMS, variants: { default: {} } } as const;

/** out (count, dim) = weight[ids] (one invocation per output element). */
export const embeddingGatherKernel = defineKernel({
  ...base, name: 'embedding_gather', entryPoint: 'embedding_gather', inputs: ['ids', 'weight'], outputs: ['out'],
  constants: { WG: 256 }, dispatch: (u, c) => grid1d((u.count as number) * (u.dim as number), c.WG),
});

/** Stable counting sort of positions by id, one invocation (CPU adapters): order, row_start. */
export const embeddingSortSerialKernel = defineKernel({
  ...base, name: 'embedding_sort_serial', entryPoint: 'embedding_sort_serial', inputs: ['ids'], outputs: ['order', 'row_start', 'cursor'],
  constants: {}, dispatch: () => [1, 1, 1],
});

/** Stable counting sort of positions by id, one workgroup (GPUs). */
export const embeddingSortWorkgroupKernel = defineKernel({
  ...base, name: 'embedding_sort_wg', entryPoint: 'embedding_sort_wg', inputs: ['ids'], outputs: ['order', 'row_start', 'cursor'],
  constants: { WG: 256 }, dispatch: () => [1, 1, 1],
});

/** Dense weight gradient (vocab, dim), one invocation per row (CPU adapters). */
export const embeddingBackwardLinesKernel = defineKernel({
  ...base, name: 'embedding_backward_lines', entryPoint: 'embedding_backward_lines', inputs: ['g', 'order_in', 'row_start_in'], outputs: ['out'],
  constants: { WG: 64 }, dispatch: (u, c) => grid1d(u.vocab as number, c.WG),
});

/** Dense weight gradient (vocab, dim), one invocation per element (GPUs). */
export const embeddingBackwardRowsKernel = defineKernel({
  ...base, name: 'embedding_backward_rows', entryPoint: 'embedding_backward_rows', inputs: ['g', 'order_in', 'row_start_in'], outputs: ['out'],
  constants: { WG: 256 }, dispatch: (u, c) => grid1d((u.vocab as number) * (u.dim as number), c.WG),
});

const clampId = (id: number, vocab: number) => Math.min(Math.max(id, 0), vocab - 1);

/** Float64 lookup: out[p, :] = weight[clamp(ids[p]), :]. */
export function embeddingReference(ids: ArrayLike<number>, weight: ArrayLike<number>, vocab: number, dim: number): Float64Array {
  const out = new Float64Array(ids.length * dim);
  for (let p = 0; p < ids.length; p++) {
    const v = clampId(ids[p], vocab);
    for (let d = 0; d < dim; d++) out[p * dim + d] = weight[v * dim + d];
  }
  return out;
}

/** Float64 dense gradient of the lookup: dweight[clamp(ids[p]), :] += g[p, :], except row paddingIdx. */
export function embeddingBackwardReference(ids: ArrayLike<number>, g: ArrayLike<number>, vocab: number, dim: number, paddingIdx = -1): Float64Array {
  const out = new Float64Array(vocab * dim);
  for (let p = 0; p < ids.length; p++) {
    const v = clampId(ids[p], vocab);
    if (v === paddingIdx) continue;
    for (let d = 0; d < dim; d++) out[v * dim + d] += g[p * dim + d];
  }
  return out;
}
