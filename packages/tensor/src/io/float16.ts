/**
 * IEEE 754 binary16 (f16) and bfloat16 (bf16) bit conversions on the host, to and from f32.
 *
 * Contract: widening (f16/bf16 bits -> f32) is exact for every bit pattern: zeros keep their
 * sign, subnormals become normal f32 values, ±inf stay infinite, and NaNs stay NaN with their
 * sign and payload shifted into the f32 mantissa. Narrowing (f32 -> f16/bf16 bits) rounds to
 * nearest, ties to even, overflows to ±inf, underflows through the subnormals to ±0, and maps
 * NaN to a quiet NaN of the same sign. Pure functions on typed arrays, no GPU.
 */

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** Reinterprets the bits of an f32 value (any JS number is first rounded to f32). */
function f32ToBits(value: number): number {
  f32Scratch[0] = value;
  return u32Scratch[0];
}

/** Reinterprets 32 bits as an f32 value. */
function bitsToF32(bits: number): number {
  u32Scratch[0] = bits >>> 0;
  return f32Scratch[0];
}

/**
 * The f32 bit pattern of one f16 bit pattern (exact).
 * f16 = sign(1) exponent(5, bias 15) mantissa(10); f32 = sign(1) exponent(8, bias 127) mantissa(23).
 */
export function f16BitsToF32Bits(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0; // inf or NaN
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0; // ±0
  // Subnormal: value = mantissa * 2^-24, normalise so the leading 1 becomes the implicit bit.
  let shifted = mantissa;
  let unbiased = -14;
  while ((shifted & 0x400) === 0) {
    shifted <<= 1;
    unbiased -= 1;
  }
  return (sign | ((unbiased + 127) << 23) | ((shifted & 0x3ff) << 13)) >>> 0;
}

/** The f32 value of one f16 bit pattern (exact). */
export function f16BitsToNumber(half: number): number {
  return bitsToF32(f16BitsToF32Bits(half));
}

/** The f16 bit pattern nearest to `value` (rounded to f32 first), ties to even. */
export function numberToF16Bits(value: number): number {
  return f32BitsToF16Bits(f32ToBits(value));
}

/** The f16 bit pattern nearest to the f32 with bit pattern `bits`, ties to even. */
export function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    if (mantissa === 0) return sign | 0x7c00; // ±inf
    return sign | 0x7e00 | (mantissa >>> 13); // quiet NaN, keeps the top payload bits
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // too large even before rounding
  if (halfExponent <= 0) {
    // Result is subnormal or zero: value / 2^-24 = (1.mantissa) * 2^(halfExponent + 9).
    if (halfExponent < -10) return sign; // below half of the smallest subnormal
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent; // 14..24
    let result = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (result & 1) === 1)) result += 1;
    return sign | result; // a carry into bit 10 yields the smallest normal, as it should
  }
  let result = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (result & 1) === 1)) result += 1;
  return sign | result; // a carry into the exponent may reach 0x7c00 (inf), which is correct
}

/** The f32 value of one bfloat16 bit pattern (exact: bf16 is the top half of an f32). */
export function bf16BitsToNumber(bf16: number): number {
  return bitsToF32((bf16 & 0xffff) << 16);
}

/** The bfloat16 bit pattern nearest to `value` (rounded to f32 first), ties to even. */
export function numberToBf16Bits(value: number): number {
  return f32BitsToBf16Bits(f32ToBits(value));
}

/** The bfloat16 bit pattern nearest to the f32 with bit pattern `bits`, ties to even. */
export function f32BitsToBf16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    return ((bits >>> 16) | 0x40) & 0xffff; // quiet NaN, sign kept
  }
  const roundingBias = 0x7fff + ((bits >>> 16) & 1);
  // Below 2^32 for every non-NaN input (the largest is -max + bias = 0xff807fff), so no wrap.
  return ((bits >>> 0) + roundingBias) >>> 16;
}

let f16Table: Uint32Array | null = null;

/** f32 bit patterns of all 65536 f16 bit patterns, built on first use (256 KiB). */
function f16ToF32Table(): Uint32Array {
  if (f16Table === null) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}

/** Widens f16 bit patterns to f32 values (exact). */
export function f16ArrayToF32(halves: Uint16Array): Float32Array {
  const table = f16ToF32Table();
  const out = new Float32Array(halves.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) outBits[i] = table[halves[i]];
  return out;
}

/** Widens bfloat16 bit patterns to f32 values (exact). */
export function bf16ArrayToF32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) outBits[i] = halves[i] << 16;
  return out;
}

/** The bit patterns of f32 values, read through a view so NaN payloads survive. */
function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Narrows f32 values to f16 bit patterns, round to nearest even. */
export function f32ArrayToF16(values: Float32Array): Uint16Array {
  const bits = bitsOf(values);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16Bits(bits[i]);
  return out;
}

/** Narrows f32 values to bfloat16 bit patterns, round to nearest even. */
export function f32ArrayToBf16(values: Float32Array): Uint16Array {
  const bits = bitsOf(values);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToBf16Bits(bits[i]);
  return out;
}
