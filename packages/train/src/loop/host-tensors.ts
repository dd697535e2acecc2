/**
 * Reading named GPU tensors back to the host in the layout safetensors writes (Node-free: the
 * checkpoints of `pnpm train` and the page's head download share it).
 */
import type { SerializableTensor, Tensor } from '@fusion/tensor';

/** Host copies of named tensors, ready for safetensors (f32 as f32, i32 as i32). */
export async function hostTensors(tensors: Iterable<[string, Tensor]>): Promise<Record<string, SerializableTensor>> {
  const out: Record<string, SerializableTensor> = {};
  for (const [name, t] of tensors) {
    const data = await t.toArray();
    out[name] = t.dtype === 'i32' ? { shape: [...t.shape], dtype: 'i32', data: data as Int32Array } : { shape: [...t.shape], dtype: 'f32', data: data as Float32Array };
  }
  return out;
}
