/**
 * Reshaping helpers shared by the attention heads: feature maps as pixel sequences and back, and
 * splitting / merging attention heads. All views where the layout allows (no copies).
 */
import { reshape, permute, type Tensor } from '@fusion/tensor';

/** (B, C, h, w) -> (B, h*w, C), pixel p = y * w + x (a strided view). */
export function pixelsOf(featureMap: Tensor): Tensor {
  const [B, C, h, w] = featureMap.shape;
  return permute(reshape(featureMap, [B, C, h * w]), [0, 2, 1]);
}

/** (B, h*w, C) -> (B, C, h, w). */
export function mapOf(pixels: Tensor, h: number, w: number): Tensor {
  const [B, , C] = pixels.shape;
  return reshape(permute(pixels, [0, 2, 1]), [B, C, h, w]);
}

/** (B, L, heads * dh) -> (B, heads, L, dh) (a strided view). */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [B, L, D] = x.shape;
  return permute(reshape(x, [B, L, heads, D / heads]), [0, 2, 1, 3]);
}

/** (B, heads, L, dh) -> (B, L, heads * dh). */
export function mergeHeads(x: Tensor): Tensor {
  const [B, H, L, dh] = x.shape;
  return reshape(permute(x, [0, 2, 1, 3]), [B, L, H * dh]);
}

/** Checks dim / heads for an attention head. */
export function checkHeads(head: string, dim: number, heads: number): void {
  if (!Number.isInteger(dim) || !Number.isInteger(heads) || dim < 1 || heads < 1 || dim % heads !== 0) {
    throw new Error(`${head}: dim ${dim} must be a positive multiple of heads ${heads}`);
  }
}
