/**
 * ImageNet normalisation of planar RGB images, as torchvision's pretrained encoders expect:
 * (x - mean[c]) / std[c] per channel. Shape: (3, H, W) or (B, 3, H, W) float32, unchanged.
 */

/** Per-channel RGB mean of ImageNet. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** Per-channel RGB standard deviation of ImageNet. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/**
 * Normalises CHW (or BCHW) RGB floats in [0, 1]. Writes into `out` (default: a new array; may be
 * `image` itself for in-place) and returns it. `pixelsPerPlane` is H * W.
 */
export function normalizeImageNet(image: Float32Array, pixelsPerPlane: number, out: Float32Array = new Float32Array(image.length)): Float32Array {
  if (!(pixelsPerPlane > 0) || image.length % (3 * pixelsPerPlane) !== 0) {
    throw new Error(`normalizeImageNet: ${image.length} floats is not a whole number of 3x${pixelsPerPlane} images`);
  }
  if (out.length !== image.length) throw new Error(`normalizeImageNet: out has ${out.length} floats, image has ${image.length}`);
  const planes = image.length / pixelsPerPlane;
  for (let p = 0; p < planes; p++) {
    const c = p % 3;
    const mean = IMAGENET_MEAN[c];
    const std = IMAGENET_STD[c];
    const start = p * pixelsPerPlane;
    const end = start + pixelsPerPlane;
    for (let i = start; i < end; i++) out[i] = (image[i] - mean) / std;
  }
  return out;
}
