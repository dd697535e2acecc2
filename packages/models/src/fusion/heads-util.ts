/**
 * Helpers shared by the heads: feature maps as pixel sequences and back, splitting / merging
 * attention heads (all views where the layout allows, no copies), and the x, y coordinate
 * channels every map-seeing head may append to its pixels (option `coords`, one implementation).
 *
 * Coordinates: x = -1 + 2 j / (w - 1) along the width, y = -1 + 2 i / (h - 1) down the height,
 * 0 for a size of 1. A layer that reads [pixel features, x, y] is an nn.Linear whose first Ci
 * weight columns multiply the pixel's features and the next two its x, y (`pixelLinear`).
 */
import { nn, add, linear, matmul, reshape, permute, slice, tensor, transpose, type Tensor } from '@fusion/tensor';

/** Coordinate channels a map-seeing layer reads besides the features: 2 with coords, else 0. */
export function coordChannels(coords: boolean): number {
  return coords ? 2 : 0;
}

/** (h*w, 2) host coordinates: x then y, each in [-1, 1] (0 for a size of 1). */
export function coordinateGrid(h: number, w: number): Float32Array {
  const axis = (i: number, n: number) => (n === 1 ? 0 : -1 + (2 * i) / (n - 1));
  const out = new Float32Array(h * w * 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out[2 * (y * w + x)] = axis(x, w);
      out[2 * (y * w + x) + 1] = axis(y, h);
    }
  }
  return out;
}

/**
 * layer([pixels, x, y]) at every pixel (with coords; layer(pixels) without), computed without
 * concatenating: the pixel and coordinate columns of the weight multiply their inputs separately,
 * so the pixels stay a view of the feature map (whose gradient keeps its layout). Only the first
 * Ci (+ 2) weight columns are read: a layer with more inputs (concat-tiled's text) adds the rest.
 * Shape: pixels (B, h*w, Ci) -> (B, h*w, out)
 */
export function pixelLinear(layer: nn.Linear, pixels: Tensor, h: number, w: number, coords: boolean): Tensor {
  const ci = pixels.shape[2];
  if (!coords && layer.inFeatures === ci) return layer.forward(pixels);
  const weight = layer.weight; // (out, ci [+ 2] [+ more])
  const out = linear(pixels, slice(weight, 1, 0, ci), layer.bias);
  return coords ? add(out, matmul(tensor(coordinateGrid(h, w), [h * w, 2]), transpose(slice(weight, 1, ci, ci + 2)))) : out;
}

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
