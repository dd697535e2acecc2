/**
 * Resizing planar (CHW) images: bilinear for images, nearest for masks. Both use half-pixel centres
 * (output pixel i samples input coordinate (i + 0.5) * in / out - 0.5), which is PyTorch's
 * `interpolate(mode='bilinear', align_corners=False, antialias=False)` and `mode='nearest-exact'`
 * (and PIL's NEAREST). No antialiasing: strong downscaling aliases, as in PyTorch without it.
 * Shape: (C, H, W) -> (C, H', W'), any C.
 */

/** A planar image: `channels` planes of `height` x `width`, row-major. */
export interface PlanarImage<T extends Float32Array | Uint8Array> {
  data: T;
  channels: number;
  width: number;
  height: number;
}

function checkPlanar(fn: string, src: PlanarImage<Float32Array | Uint8Array>, width: number, height: number): void {
  const { data, channels, width: w, height: h } = src;
  if (data.length !== channels * w * h) throw new Error(`${fn}: ${data.length} values is not ${channels}x${h}x${w}`);
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`${fn}: output size must be positive integers, got ${width}x${height}`);
  }
}

/** For each output index: the two input indices and the weight of the second, PyTorch's way. */
function linearTaps(inSize: number, outSize: number): { low: Int32Array; high: Int32Array; weight: Float32Array } {
  const low = new Int32Array(outSize);
  const high = new Int32Array(outSize);
  const weight = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const source = Math.max((i + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(source), inSize - 1);
    low[i] = i0;
    high[i] = Math.min(i0 + 1, inSize - 1);
    weight[i] = source - i0;
  }
  return { low, high, weight };
}

/** Bilinear resize of a planar float image to `width` x `height` (half-pixel centres, edge clamped). */
export function resizeBilinear(src: PlanarImage<Float32Array>, width: number, height: number): Float32Array {
  checkPlanar('resizeBilinear', src, width, height);
  const { data, channels, width: inW, height: inH } = src;
  const out = new Float32Array(channels * width * height);
  if (inW === width && inH === height) {
    out.set(data);
    return out;
  }
  const xs = linearTaps(inW, width);
  const ys = linearTaps(inH, height);
  for (let c = 0; c < channels; c++) {
    const inPlane = c * inW * inH;
    const outPlane = c * width * height;
    for (let y = 0; y < height; y++) {
      const row0 = inPlane + ys.low[y] * inW;
      const row1 = inPlane + ys.high[y] * inW;
      const wy = ys.weight[y];
      for (let x = 0; x < width; x++) {
        const x0 = xs.low[x];
        const x1 = xs.high[x];
        const wx = xs.weight[x];
        const top = data[row0 + x0] * (1 - wx) + data[row0 + x1] * wx;
        const bottom = data[row1 + x0] * (1 - wx) + data[row1 + x1] * wx;
        out[outPlane + y * width + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

/** Nearest-neighbour resize of a planar image (bytes or floats) to `width` x `height`; same array type out. */
export function resizeNearest<T extends Float32Array | Uint8Array>(src: PlanarImage<T>, width: number, height: number): T {
  checkPlanar('resizeNearest', src, width, height);
  const { data, channels, width: inW, height: inH } = src;
  const out = (data instanceof Uint8Array ? new Uint8Array(channels * width * height) : new Float32Array(channels * width * height)) as T;
  const xs = new Int32Array(width);
  for (let x = 0; x < width; x++) xs[x] = Math.min(Math.floor(((x + 0.5) * inW) / width), inW - 1);
  for (let c = 0; c < channels; c++) {
    const inPlane = c * inW * inH;
    const outPlane = c * width * height;
    for (let y = 0; y < height; y++) {
      const row = inPlane + Math.min(Math.floor(((y + 0.5) * inH) / height), inH - 1) * inW;
      for (let x = 0; x < width; x++) out[outPlane + y * width + x] = data[row + xs[x]];
    }
  }
  return out;
}
