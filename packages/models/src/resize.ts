/**
 * Bilinear resize of (B, C, H, W) maps to any size, exactly PyTorch's
 * `F.interpolate(x, size=(Ho, Wo), mode='bilinear', align_corners=False)`: source coordinate
 * (dst + 0.5) * in / out - 0.5, clamped at 0, the upper neighbour clamped to the last row/column.
 * Written as two small matrix products, out = Ry x Rx^T with interpolation matrices Ry (Ho, H) and
 * Rx (Wo, W) built on the host, so its gradient comes from matmul's and no kernel is needed (the
 * decoder uses it once, on its 1-channel logits).
 * Shape: (B, C, H, W) -> (B, C, Ho, Wo)
 */
import { tensor, matmul, transpose, tidy, type Tensor } from '@fusion/tensor';

/** The (out, in) matrix of 1-D linear interpolation with PyTorch's align_corners=False rule. */
export function bilinearMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.floor(src);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = src - i0;
    m[o * inSize + i0] += 1 - l1;
    m[o * inSize + i1] += l1;
  }
  return m;
}

/** Bilinear resize to `size` = [Ho, Wo] (align_corners = false). See the module comment. */
export function resizeBilinear(x: Tensor, size: readonly [number, number]): Tensor {
  if (x.rank !== 4) throw new Error(`resizeBilinear: expected (B, C, H, W), got [${x.shape.join(', ')}]`);
  const [, , H, W] = x.shape;
  const [Ho, Wo] = size;
  if (!(Number.isInteger(Ho) && Number.isInteger(Wo) && Ho > 0 && Wo > 0)) throw new Error(`resizeBilinear: invalid size [${size.join(', ')}] for [${x.shape.join(', ')}]`);
  if (H === 0 || W === 0) throw new Error(`resizeBilinear: cannot resize an empty map [${x.shape.join(', ')}]`);
  return tidy(() => {
    const ry = tensor(bilinearMatrix(H, Ho), [Ho, H]);
    const rx = tensor(bilinearMatrix(W, Wo), [Wo, W]);
    return matmul(matmul(ry, x), transpose(rx));
  });
}
