import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bf16ArrayToF32,
  bf16BitsToNumber,
  f16ArrayToF32,
  f16BitsToNumber,
  f32ArrayToBf16,
  f32ArrayToF16,
  numberToBf16Bits,
  numberToF16Bits,
} from './float16.js';
import { parseSafetensors, serializeSafetensors, type SerializableTensor } from './safetensors.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** A safetensors file built by hand, independent of `serializeSafetensors`. */
function handBuilt(header: string | object, data: Uint8Array | number[] = [], headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const length = headerLength ?? json.length;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bytesOf(array: ArrayBufferView): number[] {
  return [...new Uint8Array(array.buffer, array.byteOffset, array.byteLength)];
}

const f32 = (...values: number[]) => new Float32Array(values);

describe('f16 and bf16 bit conversions', () => {
  it('widens known f16 bit patterns exactly, including subnormals, zeros, inf and NaN', () => {
    const cases: Array<[number, number]> = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0xfbff, -65504],
      [0x0400, 2 ** -14], // smallest normal
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 2 ** -14 - 2 ** -24], // largest subnormal
      [0x8001, -(2 ** -24)],
      [0x0200, 2 ** -15],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [bits, value] of cases) expect(f16BitsToNumber(bits), `0x${bits.toString(16)}`).toBe(value);
    expect(Object.is(f16BitsToNumber(0x8000), -0)).toBe(true);
    expect(f16BitsToNumber(0x7e00)).toBeNaN();
    expect(f16BitsToNumber(0xfc01)).toBeNaN();
  });

  it('widens known bf16 bit patterns exactly', () => {
    expect(bf16BitsToNumber(0x3f80)).toBe(1);
    expect(bf16BitsToNumber(0xc020)).toBe(-2.5);
    expect(bf16BitsToNumber(0x0001)).toBe(2 ** -133);
    expect(bf16BitsToNumber(0x0080)).toBe(2 ** -126);
    expect(bf16BitsToNumber(0x7f80)).toBe(Infinity);
    expect(bf16BitsToNumber(0xff80)).toBe(-Infinity);
    expect(bf16BitsToNumber(0x7fc0)).toBeNaN();
    expect(Object.is(bf16BitsToNumber(0x8000), -0)).toBe(true);
  });

  it('narrows every f16 and bf16 value back to its own bit pattern (all 65536 of each)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    for (const [widen, narrow, isNaNBits] of [
      [f16ArrayToF32, f32ArrayToF16, (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0],
      [bf16ArrayToF32, f32ArrayToBf16, (h: number) => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0],
    ] as const) {
      const wide = widen(all);
      const back = narrow(wide);
      for (let h = 0; h < 65536; h++) {
        if (isNaNBits(h)) {
          expect(Number.isNaN(wide[h])).toBe(true);
          expect(isNaNBits(back[h]) && (back[h] & 0x8000) === (h & 0x8000)).toBe(true);
        } else if (back[h] !== h) {
          expect.fail(`0x${h.toString(16)} -> ${wide[h]} -> 0x${back[h].toString(16)}`);
        }
      }
    }
  });

  it('rounds f32 to f16 to nearest, ties to even, with overflow and underflow', () => {
    expect(numberToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, 1 is even
    expect(numberToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, rounds up to even
    expect(numberToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(numberToF16Bits(2047 / 1024 + 2 ** -11)).toBe(0x4000); // mantissa carry into the exponent
    expect(numberToF16Bits(65519)).toBe(0x7bff);
    expect(numberToF16Bits(65520)).toBe(0x7c00); // tie between max and 2^16: overflows
    expect(numberToF16Bits(-1e6)).toBe(0xfc00);
    expect(numberToF16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal
    expect(numberToF16Bits(2 ** -25 * (1 + 2 ** -23))).toBe(0x0001);
    expect(numberToF16Bits(3 * 2 ** -25)).toBe(0x0002); // subnormal tie, to even
    expect(numberToF16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // subnormal rounds up into the normals
    expect(numberToF16Bits(-(2 ** -30))).toBe(0x8000);
    expect(numberToF16Bits(Infinity)).toBe(0x7c00);
    const nan = numberToF16Bits(-NaN);
    expect((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0).toBe(true);
  });

  it('rounds f32 to bf16 to nearest, ties to even, with overflow', () => {
    expect(numberToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(numberToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(numberToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(numberToBf16Bits(3.4e38)).toBe(0x7f80);
    expect(numberToBf16Bits(-3.4e38)).toBe(0xff80);
    expect(numberToBf16Bits(2 ** -134)).toBe(0x0000); // tie below the smallest subnormal
    expect(numberToBf16Bits(3 * 2 ** -134)).toBe(0x0002);
    const nan = numberToBf16Bits(NaN);
    expect((nan & 0x7f80) === 0x7f80 && (nan & 0x7f) !== 0).toBe(true);
  });

  it('picks the nearest f16 for random f32 values (checked against both neighbours)', () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const bits = new Uint32Array(20000);
    for (let i = 0; i < bits.length; i++) {
      // Exponents spread across the f16 range and a little beyond, random sign and mantissa.
      const exponent = 127 - 28 + (next() % 46);
      bits[i] = ((next() & 1) << 31) | (exponent << 23) | (next() & 0x7fffff);
    }
    const values = new Float32Array(bits.buffer);
    const halves = f32ArrayToF16(values);
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      const h = halves[i];
      const magnitude = h & 0x7fff;
      const sign = h & 0x8000;
      const got = Math.abs(f16BitsToNumber(h));
      const ax = Math.abs(x);
      expect(sign === 0).toBe(x > 0);
      if (magnitude === 0x7c00) {
        expect(ax).toBeGreaterThanOrEqual(65520);
        continue;
      }
      const below = magnitude > 0 ? f16BitsToNumber(magnitude - 1) : -Infinity;
      const above = magnitude < 0x7bff ? f16BitsToNumber(magnitude + 1) : 65536;
      const error = Math.abs(ax - got);
      if (error > Math.abs(ax - below) || error > Math.abs(ax - above)) expect.fail(`${x} -> 0x${h.toString(16)} is not nearest`);
      if (error === Math.abs(ax - below) || error === Math.abs(ax - above)) expect(magnitude & 1).toBe(0);
    }
  });
});

describe('serializeSafetensors + parseSafetensors roundtrip', () => {
  it('keeps f32 and i32 exactly, including non-finite values and the i32 extremes', () => {
    const values = f32(0, -0, 1.5, -3.25e-41, 3.4028234663852886e38, Infinity, -Infinity, NaN);
    const ints = new Int32Array([-2147483648, -1, 0, 7, 2147483647, 42]);
    const file = parseSafetensors(
      serializeSafetensors({ w: { shape: [2, 4], dtype: 'f32', data: values }, ids: { shape: [3, 2], dtype: 'i32', data: ints } }),
      '<buffer>',
      { allowNonFinite: true },
    );
    const w = file.read('w');
    expect(w).toMatchObject({ dtype: 'f32', shape: [2, 4] });
    expect(bytesOf(w.data)).toEqual(bytesOf(values));
    const ids = file.read('ids');
    expect(ids).toMatchObject({ dtype: 'i32', shape: [3, 2] });
    expect([...ids.data]).toEqual([...ints]);
    expect(file.info('w')).toEqual({ dtype: 'F32', shape: [2, 4], byteLength: 32 });
    expect(file.info('ids')).toEqual({ dtype: 'I32', shape: [3, 2], byteLength: 24 });
  });

  it('keeps f16 and bf16 representable values exactly: subnormals, ±inf, NaN, -0', () => {
    const half = f32(0, -0, 1, -2, 65504, 2 ** -24, -(2 ** -24), 2 ** -14 - 2 ** -24, 0.333251953125, Infinity, -Infinity, NaN);
    const brain = f32(0, -0, 1, -2.5, 2 ** -133, -(2 ** -126), 3.3895313892515355e38, 0.333984375, Infinity, -Infinity, NaN);
    const file = parseSafetensors(
      serializeSafetensors({ h: { shape: [12], dtype: 'f16', data: half }, b: { shape: [11], dtype: 'bf16', data: brain } }),
      '<buffer>',
      { allowNonFinite: true },
    );
    for (const [name, expected, dtype] of [['h', half, 'F16'], ['b', brain, 'BF16']] as const) {
      const tensor = file.read(name);
      expect(tensor.dtype).toBe('f32');
      expect(file.info(name)).toEqual({ dtype, shape: [expected.length], byteLength: 2 * expected.length });
      expected.forEach((v, i) => expect(Object.is(tensor.data[i], v), `${name}[${i}] = ${tensor.data[i]}, expected ${v}`).toBe(true));
    }
  });

  it('rounds f32 data when storing f16/bf16', () => {
    const file = parseSafetensors(
      serializeSafetensors({
        h: { shape: [3], dtype: 'f16', data: f32(0.1, 1 + 2 ** -11, 1e6) },
        b: { shape: [2], dtype: 'bf16', data: f32(0.1, 1 + 2 ** -8) },
      }),
      '<buffer>',
      { allowNonFinite: true },
    );
    expect([...file.read('h').data]).toEqual([0.0999755859375, 1, Infinity]);
    expect([...file.read('b').data]).toEqual([0.10009765625, 1]);
  });

  it('handles scalars, empty tensors, metadata and integer-like names', () => {
    const bytes = serializeSafetensors(
      {
        '10': { shape: [], dtype: 'f32', data: f32(2.5) },
        '9': { shape: [0, 4], dtype: 'i32', data: new Int32Array(0) },
        'layer.0.weight': { shape: [1], dtype: 'f32', data: f32(-1) },
      },
      { format: 'pt', note: 'héllo "quoted"' },
    );
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt', note: 'héllo "quoted"' });
    expect(file.names()).toEqual(['10', '9', 'layer.0.weight']); // by name as strings, not as numbers
    expect(file.read('10')).toEqual({ shape: [], dtype: 'f32', data: f32(2.5) });
    expect(file.read('9')).toEqual({ shape: [0, 4], dtype: 'i32', data: new Int32Array(0) });
    expect(file.has('9')).toBe(true);
    expect(file.has('8')).toBe(false);
    expect(parseSafetensors(serializeSafetensors({})).names()).toEqual([]);
  });

  it('returns a fresh array on every read and reads from an unaligned view', () => {
    const bytes = serializeSafetensors({ a: { shape: [2], dtype: 'f32', data: f32(1, 2) } });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const file = parseSafetensors(shifted.subarray(3));
    const first = file.read('a');
    first.data[0] = 99;
    expect([...file.read('a').data]).toEqual([1, 2]);
  });

  it('reads from a Node Buffer that is a view into a larger pool', () => {
    const bytes = serializeSafetensors({ a: { shape: [2], dtype: 'f32', data: f32(1, 2) }, b: { shape: [1], dtype: 'i32', data: new Int32Array([3]) } });
    const pooled = Buffer.from(bytes); // small Buffers share one ArrayBuffer at a non-zero offset
    expect(pooled.buffer.byteLength).toBeGreaterThan(bytes.length);
    const file = parseSafetensors(pooled);
    expect([...file.read('a').data]).toEqual([1, 2]);
    expect([...file.read('b').data]).toEqual([3]);
  });
});

describe('serializeSafetensors byte layout', () => {
  it('matches a file written out byte by byte', () => {
    const bytes = serializeSafetensors(
      {
        b: { shape: [2], dtype: 'f32', data: f32(1, -2) },
        'a.half': { shape: [3], dtype: 'f16', data: f32(1, 0.5, -0) },
        a: { shape: [1], dtype: 'i32', data: new Int32Array([7]) },
        m: { shape: [1, 1], dtype: 'bf16', data: f32(1) },
      },
      { k: 'v' },
    );
    const header =
      '{"__metadata__":{"k":"v"},' +
      '"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},' +
      '"a.half":{"dtype":"F16","shape":[3],"data_offsets":[12,18]},' +
      '"m":{"dtype":"BF16","shape":[1,1],"data_offsets":[18,20]}}';
    expect(header.length).toBe(251);
    const padded = header + ' '.repeat(5); // 256 = 32 * 8
    const expected = [
      ...[0, 1, 0, 0, 0, 0, 0, 0], // header length 256, little-endian u64
      ...new TextEncoder().encode(padded),
      ...[0x07, 0x00, 0x00, 0x00], // a: i32 7
      ...[0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], // b: f32 1, -2
      ...[0x00, 0x3c, 0x00, 0x38, 0x00, 0x80], // a.half: f16 1, 0.5, -0
      ...[0x80, 0x3f], // m: bf16 1
    ];
    expect([...bytes]).toEqual(expected);
  });

  it('omits __metadata__ when none is given and pads the header to a multiple of 8', () => {
    const bytes = serializeSafetensors({ x: { shape: [1], dtype: 'i32', data: new Int32Array([1]) } });
    const header = '{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}';
    expect(header.length).toBe(54);
    expect([...bytes]).toEqual([56, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode(header + '  '), 1, 0, 0, 0]);
  });
});

describe('parseSafetensors reads every dtype it knows', () => {
  it('converts hand-built F64, I64, U64, U32, I16, U16, I8, U8 and BOOL tensors', () => {
    const f64 = new Float64Array([0.1, -1e40, 2.5, 1e-50]);
    const i64 = new BigInt64Array([-2147483648n, -1n, 0n, 2147483647n]);
    const u64 = new BigUint64Array([0n, 2147483647n]);
    const u32 = new Uint32Array([0, 2147483647]);
    const i16 = new Int16Array([-32768, 32767]);
    const u16 = new Uint16Array([0, 65535]);
    const i8 = new Int8Array([-128, 127]);
    const u8 = new Uint8Array([0, 255]);
    const bool = new Uint8Array([1, 0, 0, 7]); // any non-zero byte reads as true
    const parts: Array<[string, string, number[], ArrayBufferView]> = [
      ['f64', 'F64', [2, 2], f64],
      ['i64', 'I64', [4], i64],
      ['u64', 'U64', [2], u64],
      ['u32', 'U32', [2], u32],
      ['i16', 'I16', [2], i16],
      ['u16', 'U16', [2], u16],
      ['i8', 'I8', [2], i8],
      ['u8', 'U8', [2], u8],
      ['bool', 'BOOL', [2, 2], bool],
    ];
    const header: Record<string, object> = {};
    const data: number[] = [];
    for (const [name, dtype, shape, array] of parts) {
      header[name] = { dtype, shape, data_offsets: [data.length, data.length + array.byteLength] };
      data.push(...bytesOf(array));
    }
    const file = parseSafetensors(handBuilt(header, data), '<buffer>', { allowNonFinite: true });
    expect(file.read('f64')).toEqual({ shape: [2, 2], dtype: 'f32', data: f32(0.1, -Infinity, 2.5, 0) });
    expect(file.read('i64')).toEqual({ shape: [4], dtype: 'i32', data: new Int32Array([-2147483648, -1, 0, 2147483647]) });
    expect(file.read('u64').data).toEqual(new Int32Array([0, 2147483647]));
    expect(file.read('u32').data).toEqual(new Int32Array([0, 2147483647]));
    expect(file.read('i16').data).toEqual(new Int32Array([-32768, 32767]));
    expect(file.read('u16').data).toEqual(new Int32Array([0, 65535]));
    expect(file.read('i8').data).toEqual(new Int32Array([-128, 127]));
    expect(file.read('u8').data).toEqual(new Int32Array([0, 255]));
    expect(file.read('bool')).toEqual({ shape: [2, 2], dtype: 'i32', data: new Int32Array([1, 0, 0, 1]) });
    expect(file.names()).toEqual(parts.map(([name]) => name));
  });

  it('accepts a header padded with spaces and a metadata-only file', () => {
    const file = parseSafetensors(handBuilt('{"__metadata__":{"a":"b"}}      '));
    expect(file.metadata).toEqual({ a: 'b' });
    expect(file.names()).toEqual([]);
  });
});

describe('golden file written by PyTorch (scripts/make_safetensors_fixture.py)', () => {
  type Expected = number | 'nan' | 'inf' | '-inf';
  const golden = JSON.parse(readFileSync(new URL('golden.json', FIXTURES), 'utf8')) as {
    metadata: Record<string, string>;
    tensors: Record<string, { dtype: string; shape: number[]; values: Expected[] }>;
    rounding: Record<'f16' | 'bf16', { source: Expected[]; bits: number[] }>;
  };
  const decode = (v: Expected): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
  const bytes = new Uint8Array(readFileSync(new URL('golden.safetensors', FIXTURES)));

  it('reads every tensor to the values torch gives', () => {
    const file = parseSafetensors(bytes, 'golden.safetensors', { allowNonFinite: true });
    expect(file.metadata).toEqual(golden.metadata);
    expect(file.names()).toEqual(Object.keys(golden.tensors));
    expect(Object.values(golden.tensors).map((t) => t.dtype)).toEqual(
      expect.arrayContaining(['F32', 'F16', 'BF16', 'I64', 'F64', 'I32', 'I16', 'I8', 'U8', 'BOOL']),
    );
    for (const [name, expected] of Object.entries(golden.tensors)) {
      const tensor = file.read(name);
      expect(file.info(name).dtype).toBe(expected.dtype);
      expect(tensor.shape).toEqual(expected.shape);
      expect(tensor.dtype).toBe(expected.dtype.startsWith('F') || expected.dtype === 'BF16' ? 'f32' : 'i32');
      expect(tensor.data.length).toBe(expected.values.length);
      expected.values.forEach((v, i) => {
        if (!Object.is(tensor.data[i], decode(v))) expect.fail(`${name}[${i}] = ${tensor.data[i]}, torch says ${v}`);
      });
    }
  });

  it('rounds f32 to f16 and bf16 exactly as torch does', () => {
    for (const [dtype, narrow] of [['f16', f32ArrayToF16], ['bf16', f32ArrayToBf16]] as const) {
      const { source, bits } = golden.rounding[dtype];
      expect([...narrow(Float32Array.from(source.map(decode)))]).toEqual(bits);
    }
  });

  it('stores f32 sources as f16/bf16 with the same bytes torch wrote', () => {
    const dataStart = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, dataStart)));
    for (const dtype of ['f16', 'bf16'] as const) {
      const [begin, end] = header[`${dtype}.rounding`].data_offsets as [number, number];
      const source = Float32Array.from(golden.rounding[dtype].source.map(decode));
      const ours = serializeSafetensors({ t: { shape: [source.length], dtype, data: source } });
      const oursData = ours.subarray(ours.length - 2 * source.length);
      expect([...oursData]).toEqual([...bytes.subarray(dataStart + begin, dataStart + end)]);
    }
  });
});

describe('parseSafetensors errors name the file and the tensor', () => {
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const eight = new Array(8).fill(0);

  it('rejects a file shorter than the length prefix', () => {
    expect(() => parseSafetensors(new Uint8Array(5), 'short.safetensors')).toThrow(/^short\.safetensors: truncated .*5 bytes/);
  });

  it('rejects a header length larger than the file', () => {
    expect(() => parseSafetensors(handBuilt(ok, eight, 4000), 'big.safetensors')).toThrow(
      /^big\.safetensors: header length 4000 is larger than the file/,
    );
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    expect(() => parseSafetensors(huge, 'huge.safetensors')).toThrow(/^huge\.safetensors: header length 18446744073709551615/);
  });

  it('rejects a header that is not a JSON object', () => {
    expect(() => parseSafetensors(handBuilt('{"a": {"dtype": ', eight), 'bad.safetensors')).toThrow(/^bad\.safetensors: header is not valid UTF-8 JSON/);
    expect(() => parseSafetensors(handBuilt('[1, 2]'), 'arr.safetensors')).toThrow(/^arr\.safetensors: header must be a JSON object/);
    expect(() => parseSafetensors(handBuilt('{}'.padStart(8)), 'lead.safetensors')).toThrow(/^lead\.safetensors: header must be a JSON object starting/);
    const invalidUtf8 = handBuilt('{"\u00e9":1}');
    invalidUtf8[11] = 0xff; // break the two-byte sequence of é
    expect(() => parseSafetensors(invalidUtf8, 'utf.safetensors')).toThrow(/^utf\.safetensors: header is not valid UTF-8 JSON/);
  });

  it('rejects an unknown dtype', () => {
    const header = { w: { dtype: 'F7', shape: [2], data_offsets: [0, 8] } };
    expect(() => parseSafetensors(handBuilt(header, eight), 'm.safetensors')).toThrow(/^m\.safetensors: tensor "w": unknown dtype "F7" \(known: BOOL/);
  });

  it('rejects malformed shapes and offsets', () => {
    const bad = (entry: object) => () => parseSafetensors(handBuilt({ w: entry }, eight), 'm.safetensors');
    expect(bad({ dtype: 'F32', shape: [-2], data_offsets: [0, 8] })).toThrow(/^m\.safetensors: tensor "w": shape must be/);
    expect(bad({ dtype: 'F32', shape: [2] })).toThrow(/^m\.safetensors: tensor "w": data_offsets must be \[begin, end\]/);
    expect(bad({ dtype: 'F32', shape: [2], data_offsets: [8, 0] })).toThrow(/tensor "w": data_offsets must be/);
    expect(bad([1, 2])).toThrow(/^m\.safetensors: tensor "w": header entry must be an object/);
  });

  it('rejects data_offsets past the end of the data (a truncated file)', () => {
    const header = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [3], data_offsets: [8, 20] } };
    expect(() => parseSafetensors(handBuilt(header, new Array(16).fill(0)), 'cut.safetensors')).toThrow(
      /^cut\.safetensors: tensor "b": data_offsets \[8, 20\] out of range: the data section has 16 bytes/,
    );
    const whole = serializeSafetensors({ a: { shape: [4], dtype: 'f32', data: f32(1, 2, 3, 4) } });
    expect(() => parseSafetensors(whole.subarray(0, whole.length - 1), 'cut.safetensors')).toThrow(/tensor "a".*out of range/);
  });

  it('rejects offsets that disagree with shape x dtype size', () => {
    const header = { w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } };
    expect(() => parseSafetensors(handBuilt(header, eight), 'm.safetensors')).toThrow(
      /^m\.safetensors: tensor "w": data_offsets \[0, 8\] cover 8 bytes, but shape \[2, 3\] x F16 \(2 bytes each\) needs 12/,
    );
  });

  it('rejects overlapping tensors, holes and uncovered trailing bytes', () => {
    const overlap = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    expect(() => parseSafetensors(handBuilt(overlap, new Array(12).fill(0)), 'o.safetensors')).toThrow(
      /^o\.safetensors: tensor "b" data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/,
    );
    const same = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } };
    expect(() => parseSafetensors(handBuilt(same, eight), 'o.safetensors')).toThrow(/overlap tensor "a"/);
    const hole = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };
    expect(() => parseSafetensors(handBuilt(hole, new Array(12).fill(0)), 'h.safetensors')).toThrow(
      /^h\.safetensors: bytes \[4, 8\) of the data section belong to no tensor \(hole before "b"\)/,
    );
    expect(() => parseSafetensors(handBuilt(ok, new Array(12).fill(0)), 't.safetensors')).toThrow(
      /^t\.safetensors: the data section has 12 bytes but the tensors cover only 8/,
    );
  });

  it('rejects metadata that is not a string map', () => {
    const header = { __metadata__: { epoch: 3 }, ...ok };
    expect(() => parseSafetensors(handBuilt(header, eight), 'meta.safetensors')).toThrow(/^meta\.safetensors: __metadata__\."epoch" must be a string/);
  });

  it('names a few available tensors when a name is missing', () => {
    const tensors: Record<string, SerializableTensor> = {};
    for (let i = 0; i < 12; i++) tensors[`layer${String(i).padStart(2, '0')}`] = { shape: [1], dtype: 'f32', data: f32(i) };
    const file = parseSafetensors(serializeSafetensors(tensors), 'model.safetensors');
    expect(() => file.read('encoder.weight')).toThrow(
      'model.safetensors: no tensor named "encoder.weight"; available: "layer00", "layer01", "layer02", "layer03", "layer04", "layer05", "layer06", "layer07", ... (12 tensors)',
    );
    expect(() => file.info('nope')).toThrow(/^model\.safetensors: no tensor named "nope"/);
  });

  it('converts lazily: an out-of-range I64 fails only when that tensor is read, naming it', () => {
    const header = {
      good: { dtype: 'I32', shape: [1], data_offsets: [0, 4] },
      ids: { dtype: 'I64', shape: [2], data_offsets: [4, 20] },
      big: { dtype: 'U32', shape: [1], data_offsets: [20, 24] },
    };
    const data = [...bytesOf(new Int32Array([5])), ...bytesOf(new BigInt64Array([1n, 2147483648n])), ...bytesOf(new Uint32Array([2 ** 31]))];
    const file = parseSafetensors(handBuilt(header, data), 'ids.safetensors');
    expect([...file.read('good').data]).toEqual([5]);
    expect(() => file.read('ids')).toThrow('ids.safetensors: tensor "ids": element 1 = 2147483648 does not fit in i32');
    expect(() => file.read('big')).toThrow('ids.safetensors: tensor "big": element 0 = 2147483648 does not fit in i32');
  });
});

describe('non-finite weights', () => {
  it('are rejected by read, naming the file, the tensor and the first bad element, for every float dtype', () => {
    const nan = f32(0.5, NaN, 1, NaN);
    const file = parseSafetensors(
      serializeSafetensors({
        ok: { shape: [2], dtype: 'f32', data: f32(1, 2) },
        'layer1.0.conv1.weight': { shape: [4], dtype: 'f32', data: nan },
        half: { shape: [2], dtype: 'f16', data: f32(1, Infinity) },
        brain: { shape: [1], dtype: 'bf16', data: f32(-Infinity) },
        ids: { shape: [1], dtype: 'i32', data: new Int32Array([3]) },
      }),
      'resnet.safetensors',
    );
    expect([...file.read('ok').data]).toEqual([1, 2]);
    expect([...file.read('ids').data]).toEqual([3]);
    expect(() => file.read('layer1.0.conv1.weight')).toThrow(
      'resnet.safetensors: tensor "layer1.0.conv1.weight" holds 2 non-finite values of 4 (first: element 1 = NaN): the weights diverged or the file is corrupt',
    );
    expect(() => file.read('half')).toThrow(/resnet\.safetensors: tensor "half" holds 1 non-finite value of 2 \(first: element 1 = Infinity\)/);
    expect(() => file.read('brain')).toThrow(/tensor "brain" holds 1 non-finite value of 1 \(first: element 0 = -Infinity\)/);
  });

  it('include F64 values past the f32 range', () => {
    const header = JSON.stringify({ big: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } });
    const bytes = new Uint8Array(8 + header.length + 16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    const data = new DataView(bytes.buffer, 8 + header.length);
    data.setFloat64(0, 1, true);
    data.setFloat64(8, 1e300, true);
    expect(() => parseSafetensors(bytes, 'x.safetensors').read('big')).toThrow(/x\.safetensors: tensor "big" holds 1 non-finite value of 2 \(first: element 1 = Infinity after narrowing to f32\)/);
  });
});

describe('serializeSafetensors errors name the tensor', () => {
  it('rejects mismatched data, shapes, dtypes, names and metadata', () => {
    const write = (tensor: unknown, name = 'w') => () => serializeSafetensors({ [name]: tensor as SerializableTensor });
    expect(write({ shape: [3], dtype: 'f32', data: f32(1, 2) })).toThrow(/tensor "w": shape \[3\] has 3 elements, data has 2/);
    expect(write({ shape: [1], dtype: 'i32', data: f32(1) })).toThrow(/tensor "w": dtype i32 needs a Int32Array, got Float32Array/);
    expect(write({ shape: [1], dtype: 'f16', data: new Int32Array(1) })).toThrow(/tensor "w": dtype f16 needs a Float32Array/);
    expect(write({ shape: [1], dtype: 'f64', data: f32(1) })).toThrow(/tensor "w": dtype "f64" is not one of f32, i32, f16, bf16/);
    expect(write({ shape: [1.5], dtype: 'f32', data: f32(1) })).toThrow(/tensor "w": shape must be/);
    expect(write({ shape: [1], dtype: 'f32', data: f32(1) }, '__metadata__')).toThrow(/tensor "__metadata__": invalid tensor name/);
    expect(() => serializeSafetensors({}, { epoch: 3 } as unknown as Record<string, string>)).toThrow(/metadata\."epoch" must be a string/);
  });
});
