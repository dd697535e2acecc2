/**
 * PNG output for the report's figures: the one place that turns an RgbImage into PNG bytes, through
 * the data layer's `encodePng` (pngjs underneath).
 */
import { encodePng } from '../data/image.js';
import type { RgbImage } from './raster.js';

/** The image as an 8-bit RGB PNG file's bytes. */
export function encodeRgbPng(image: RgbImage): Uint8Array {
  return encodePng(image.data, image.width, image.height);
}
