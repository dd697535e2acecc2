/**
 * Host-side tensor I/O: safetensors parse/serialize (`safetensors.ts`, no Node APIs), file
 * read/atomic write (`safetensors-node.ts` in Node; fetch-based reads in a page, `safetensors-browser.ts`), and the f16/bf16 bit conversions they use.
 */
export {
  parseSafetensors,
  serializeSafetensors,
  type SafetensorsFile,
  type SafetensorsDType,
  type SafetensorsTensorInfo,
  type SafetensorsTensor,
  type SerializableTensor,
  type SafetensorsReadOptions,
} from './safetensors.js';
export { readSafetensorsFile, writeSafetensorsFile } from '#safetensors-file';
export {
  f16BitsToNumber,
  numberToF16Bits,
  bf16BitsToNumber,
  numberToBf16Bits,
  f16ArrayToF32,
  bf16ArrayToF32,
  f32ArrayToF16,
  f32ArrayToBf16,
} from './float16.js';
