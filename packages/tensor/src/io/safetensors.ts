/**
 * safetensors on the host, without the GPU and without node:fs (the file side is in
 * `safetensors-node.ts`).
 *
 * Format (https://github.com/huggingface/safetensors): 8 bytes little-endian u64 header length N,
 * N bytes of UTF-8 JSON starting with `{` (may be padded with trailing spaces), then the data
 * section. The header maps tensor names to `{ dtype, shape, data_offsets: [begin, end] }`, offsets
 * relative to the start of the data section; the optional `__metadata__` key maps strings to
 * strings. The tensors must tile the data section exactly: no overlaps, no holes.
 *
 * Contract: `parseSafetensors` validates the whole header once and throws an error naming the
 * file (and the tensor, where one is at fault); `read` converts one tensor on demand into a fresh
 * f32 or i32 array (floats widen or narrow to f32, integers to i32, out-of-range integers throw)
 * and rejects a float tensor holding NaN or infinity (diverged or corrupt weights), naming the
 * tensor, the file and the first bad element, unless `allowNonFinite` is set.
 * `serializeSafetensors` writes f32, i32, f16 and bf16 (the last two rounded from f32, nearest
 * even), with the header padded by spaces to a multiple of 8 bytes, as the reference does.
 * Little-endian hosts only (every platform Node and browsers run WebGPU on).
 */
import { bf16ArrayToF32, f16ArrayToF32, f32ArrayToBf16, f32ArrayToF16 } from './float16.js';

/** Element size in bytes of every dtype this reader understands. */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

/** A dtype as spelled in a safetensors header. */
export type SafetensorsDType = keyof typeof DTYPE_BYTES;

/** What the header says about one tensor. */
export interface SafetensorsTensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  /** Bytes the tensor occupies in the file (`numel(shape) * element size`). */
  byteLength: number;
}

/**
 * A tensor on the host as `read` returns it: floats as f32, integers as i32, row-major (also a valid
 * `nn` HostTensor, so it can go straight into `Module.loadStateDict`).
 */
export type SafetensorsTensor =
  | { shape: number[]; dtype: 'f32'; data: Float32Array }
  | { shape: number[]; dtype: 'i32'; data: Int32Array };

/** A tensor to serialize: f16 and bf16 are stored narrowed from f32 data. */
export type SerializableTensor =
  | { shape: number[]; dtype: 'f32' | 'f16' | 'bf16'; data: Float32Array }
  | { shape: number[]; dtype: 'i32'; data: Int32Array };

/** A parsed safetensors file: header validated, tensor data converted lazily on `read`. */
export interface SafetensorsFile {
  /** The name used in error messages (a path, or `<buffer>`). */
  readonly fileName: string;
  /** The `__metadata__` map (empty when the file has none). */
  readonly metadata: Record<string, string>;
  /** Tensor names in the order their data appears in the file. */
  names(): string[];
  /** Whether the file holds a tensor called `name`. */
  has(name: string): boolean;
  /** dtype, shape and byte length of one tensor, without reading its data. */
  info(name: string): SafetensorsTensorInfo;
  /** Converts one tensor to f32 (float dtypes) or i32 (integer and bool dtypes). */
  read(name: string): SafetensorsTensor;
}

/** Options of `parseSafetensors` and `readSafetensorsFile`. */
export interface SafetensorsReadOptions {
  /** Let `read` return float tensors holding NaN or infinity (default false: such a tensor throws). */
  allowNonFinite?: boolean;
}

/** Throws when a float tensor holds NaN or ±infinity, naming the file, the tensor and the first such element. */
function checkFinite(fileName: string, name: string, dtype: SafetensorsDType, data: Float32Array): void {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (bad === 0) return;
  const range = dtype === 'F64' ? ' after narrowing to f32' : '';
  throw new Error(
    `${fileName}: tensor "${name}" holds ${bad} non-finite value${bad > 1 ? 's' : ''} of ${data.length} (first: element ${first} = ${data[first]}${range}): ` +
      'the weights diverged or the file is corrupt',
  );
}

/** Largest header accepted, as in the reference implementation (guards against huge JSON). */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

interface TensorEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Offsets relative to the data section. */
  begin: number;
  end: number;
}

function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('safetensors: big-endian hosts are not supported');
  }
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isNonNegativeSafeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Validates one header entry; `dataLength` is the size of the data section. */
function parseEntry(fileName: string, name: string, raw: unknown, dataLength: number): TensorEntry {
  const where = `${fileName}: tensor "${name}"`;
  if (!isPlainObject(raw)) throw new Error(`${where}: header entry must be an object, got ${JSON.stringify(raw)}`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    throw new Error(`${where}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeSafeInteger)) {
    throw new Error(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeSafeInteger) || offsets[0] > offsets[1]) {
    throw new Error(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw new Error(
      `${where}: data_offsets [${begin}, ${end}] out of range: the data section has ${dataLength} bytes (file truncated?)`,
    );
  }
  const elementBytes = DTYPE_BYTES[dtype as SafetensorsDType];
  const expected = elementCount(shape) * elementBytes;
  if (end - begin !== expected) {
    throw new Error(
      `${where}: data_offsets [${begin}, ${end}] cover ${end - begin} bytes, but shape [${shape.join(', ')}] x ${dtype} ` +
        `(${elementBytes} bytes each) needs ${expected}`,
    );
  }
  return { name, dtype: dtype as SafetensorsDType, shape: [...shape], begin, end };
}

/** Checks the tensors tile the data section exactly; returns them in file order. */
function checkLayout(fileName: string, entries: TensorEntry[], dataLength: number): TensorEntry[] {
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: TensorEntry | null = null;
  for (const entry of ordered) {
    if (entry.begin < cursor) {
      throw new Error(
        `${fileName}: tensor "${entry.name}" data_offsets [${entry.begin}, ${entry.end}] overlap tensor ` +
          `"${previous!.name}" [${previous!.begin}, ${previous!.end}]`,
      );
    }
    if (entry.begin > cursor) {
      throw new Error(
        `${fileName}: bytes [${cursor}, ${entry.begin}) of the data section belong to no tensor (hole before "${entry.name}")`,
      );
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== dataLength) {
    throw new Error(`${fileName}: the data section has ${dataLength} bytes but the tensors cover only ${cursor}`);
  }
  return ordered;
}

function parseMetadata(fileName: string, raw: unknown): Record<string, string> {
  if (!isPlainObject(raw)) throw new Error(`${fileName}: ${METADATA_KEY} must be an object of strings, got ${JSON.stringify(raw)}`);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new Error(`${fileName}: ${METADATA_KEY}.${JSON.stringify(key)} must be a string, got ${JSON.stringify(value)}`);
    }
    metadata[key] = value;
  }
  return metadata;
}

/** Integers outside i32 throw, naming the tensor and the first offending element. */
function bigIntsToI32(fileName: string, name: string, values: BigInt64Array | BigUint64Array): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < -2147483648n || v > 2147483647n) {
      throw new Error(`${fileName}: tensor "${name}": element ${i} = ${v} does not fit in i32`);
    }
    out[i] = Number(v);
  }
  return out;
}

/** Converts one tensor's bytes (a private copy whose buffer starts at the tensor) to f32 or i32. */
function convert(fileName: string, entry: TensorEntry, bytes: Uint8Array): SafetensorsTensor {
  const shape = [...entry.shape];
  const buffer = bytes.buffer as ArrayBuffer;
  const n = elementCount(shape);
  switch (entry.dtype) {
    case 'F32':
      return { shape, dtype: 'f32', data: new Float32Array(buffer, 0, n) };
    case 'F16':
      return { shape, dtype: 'f32', data: f16ArrayToF32(new Uint16Array(buffer, 0, n)) };
    case 'BF16':
      return { shape, dtype: 'f32', data: bf16ArrayToF32(new Uint16Array(buffer, 0, n)) };
    case 'F64':
      return { shape, dtype: 'f32', data: Float32Array.from(new Float64Array(buffer, 0, n)) };
    case 'I32':
      return { shape, dtype: 'i32', data: new Int32Array(buffer, 0, n) };
    case 'U32': {
      const values = new Uint32Array(buffer, 0, n);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (values[i] > 2147483647) throw new Error(`${fileName}: tensor "${entry.name}": element ${i} = ${values[i]} does not fit in i32`);
        out[i] = values[i];
      }
      return { shape, dtype: 'i32', data: out };
    }
    case 'I64':
      return { shape, dtype: 'i32', data: bigIntsToI32(fileName, entry.name, new BigInt64Array(buffer, 0, n)) };
    case 'U64':
      return { shape, dtype: 'i32', data: bigIntsToI32(fileName, entry.name, new BigUint64Array(buffer, 0, n)) };
    case 'I16':
      return { shape, dtype: 'i32', data: Int32Array.from(new Int16Array(buffer, 0, n)) };
    case 'U16':
      return { shape, dtype: 'i32', data: Int32Array.from(new Uint16Array(buffer, 0, n)) };
    case 'I8':
      return { shape, dtype: 'i32', data: Int32Array.from(new Int8Array(buffer, 0, n)) };
    case 'U8':
      return { shape, dtype: 'i32', data: Int32Array.from(bytes) };
    case 'BOOL':
      return { shape, dtype: 'i32', data: Int32Array.from(bytes, (b) => (b === 0 ? 0 : 1)) };
  }
}

/**
 * Parses and validates the header of a safetensors file held in memory. Tensor data is not
 * touched until `read`; the returned object keeps a reference to `bytes`.
 * @param bytes the whole file
 * @param fileName used in error messages
 * @param options `allowNonFinite` lets `read` return NaN and infinite values
 */
export function parseSafetensors(bytes: Uint8Array, fileName = '<buffer>', options: SafetensorsReadOptions = {}): SafetensorsFile {
  assertLittleEndianHost();
  if (bytes.length < 8) {
    throw new Error(`${fileName}: truncated safetensors file: ${bytes.length} bytes, need at least 8 for the header length`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new Error(
      `${fileName}: header length ${headerLength} is larger than the file (${bytes.length - 8} bytes after the 8-byte length; truncated or not safetensors?)`,
    );
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${fileName}: header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerEnd = 8 + Number(headerLength);
  const headerBytes = bytes.subarray(8, headerEnd);
  if (headerBytes[0] !== 0x7b) throw new Error(`${fileName}: header must be a JSON object starting with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new Error(`${fileName}: header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(header)) throw new Error(`${fileName}: header must be a JSON object`);

  const dataLength = bytes.length - headerEnd;
  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(fileName, raw);
    else entries.push(parseEntry(fileName, name, raw, dataLength));
  }
  const ordered = checkLayout(fileName, entries, dataLength);
  const byName = new Map(ordered.map((entry) => [entry.name, entry]));
  const data = bytes.subarray(headerEnd);

  const lookup = (name: string): TensorEntry => {
    const entry = byName.get(name);
    if (entry) return entry;
    const names = ordered.map((e) => e.name);
    const shown = names.slice(0, 8).map((n) => `"${n}"`).join(', ');
    const more = names.length > 8 ? `, ... (${names.length} tensors)` : '';
    throw new Error(`${fileName}: no tensor named "${name}"; available: ${names.length === 0 ? '(none)' : shown + more}`);
  };

  return {
    fileName,
    metadata,
    names: () => ordered.map((entry) => entry.name),
    has: (name) => byName.has(name),
    info: (name) => {
      const entry = lookup(name);
      return { dtype: entry.dtype, shape: [...entry.shape], byteLength: entry.end - entry.begin };
    },
    read: (name) => {
      const entry = lookup(name);
      // An explicit copy: aligned at 0, and independent of `bytes` (Buffer#slice would be a view).
      const copy = new Uint8Array(entry.end - entry.begin);
      copy.set(data.subarray(entry.begin, entry.end));
      const tensor = convert(fileName, entry, copy);
      if (tensor.dtype === 'f32' && !options.allowNonFinite) checkFinite(fileName, name, entry.dtype, tensor.data);
      return tensor;
    },
  };
}

const WRITE_DTYPES = { f32: 'F32', i32: 'I32', f16: 'F16', bf16: 'BF16' } as const;

/** Bytes of one tensor as stored (f16/bf16 narrowed from f32). */
function tensorBytes(tensor: SerializableTensor): Uint8Array {
  const view = (array: ArrayBufferView): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  switch (tensor.dtype) {
    case 'f32':
    case 'i32':
      return view(tensor.data);
    case 'f16':
      return view(f32ArrayToF16(tensor.data));
    case 'bf16':
      return view(f32ArrayToBf16(tensor.data));
  }
}

function checkSerializable(name: string, tensor: SerializableTensor): void {
  const where = `serializeSafetensors: tensor "${name}"`;
  if (name === '' || name === METADATA_KEY) throw new Error(`${where}: invalid tensor name`);
  if (!Object.hasOwn(WRITE_DTYPES, tensor.dtype)) {
    throw new Error(`${where}: dtype ${JSON.stringify(tensor.dtype)} is not one of ${Object.keys(WRITE_DTYPES).join(', ')}`);
  }
  const expectedArray = tensor.dtype === 'i32' ? Int32Array : Float32Array;
  if (!(tensor.data instanceof expectedArray)) {
    throw new Error(`${where}: dtype ${tensor.dtype} needs a ${expectedArray.name}, got ${(tensor.data as object)?.constructor?.name}`);
  }
  if (!Array.isArray(tensor.shape) || !tensor.shape.every(isNonNegativeSafeInteger)) {
    throw new Error(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(tensor.shape)}`);
  }
  if (tensor.data.length !== elementCount(tensor.shape)) {
    throw new Error(`${where}: shape [${tensor.shape.join(', ')}] has ${elementCount(tensor.shape)} elements, data has ${tensor.data.length}`);
  }
}

/**
 * Serializes tensors to safetensors bytes. Tensors are laid out contiguously, wider dtypes first
 * (4-byte, then 2-byte, so every tensor starts aligned to its element size, as the reference
 * orders them) and by name within a width; the header lists `__metadata__` first when given.
 * @param tensors name -> tensor; f16/bf16 take f32 data and round it to nearest even
 * @param metadata optional string -> string map stored as `__metadata__`
 */
export function serializeSafetensors(tensors: Record<string, SerializableTensor>, metadata?: Record<string, string>): Uint8Array {
  assertLittleEndianHost();
  const entries = Object.entries(tensors);
  for (const [name, tensor] of entries) checkSerializable(name, tensor);
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw new Error('serializeSafetensors: metadata must be an object of strings');
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new Error(`serializeSafetensors: metadata.${JSON.stringify(key)} must be a string, got ${typeof value}`);
    }
  }
  const width = (t: SerializableTensor): number => DTYPE_BYTES[WRITE_DTYPES[t.dtype]];
  entries.sort(([na, a], [nb, b]) => width(b) - width(a) || (na < nb ? -1 : na > nb ? 1 : 0));

  // Built by hand rather than with JSON.stringify(object) so integer-like names keep their place.
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of entries) {
    const blob = tensorBytes(tensor);
    const info = { dtype: WRITE_DTYPES[tensor.dtype], shape: tensor.shape, data_offsets: [offset, offset + blob.length] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    blobs.push(blob);
    offset += blob.length;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const blob of blobs) {
    out.set(blob, cursor);
    cursor += blob.length;
  }
  return out;
}
