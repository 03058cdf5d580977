/**
 * The safetensors format (huggingface/safetensors), read and written without dependencies.
 *
 * Byte layout:
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  a UTF-8 JSON header: { name: {dtype, shape, data_offsets: [begin, end]}, ..., "__metadata__": {str: str} }
 *   [rest]     the tensors' bytes, little-endian, C order; offsets are relative to the start of this part
 *
 * This module works on bytes only (no file system) so the browser can use it too;
 * `checkpoint.ts` adds atomic file writes in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../base/errors';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The dtype names, for membership tests that no prototype key can pass. */
const DTYPE_NAMES: ReadonlySet<string> = new Set(Object.keys(DTYPE_BYTES));

/** One stored tensor: its dtype, shape and raw little-endian bytes. */
export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

export interface HeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  /** Byte offset of the data section from the start of the file (8 + N). */
  dataStart: number;
  /** Tensors by name (a null-prototype record: any name, `__proto__` included, is an ordinary key). */
  entries: Record<string, HeaderEntry>;
  metadata: Record<string, string>;
}

/**
 * Largest JSON header accepted, in bytes: the reference implementation's limit (safetensors
 * `MAX_HEADER_SIZE`). Override per call with `maxHeaderBytes` for a file with a larger header.
 */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** Options of the header readers. */
export interface SafetensorsHeaderOptions {
  /** Largest header accepted (default MAX_SAFETENSORS_HEADER_BYTES). */
  maxHeaderBytes?: number;
}

/** A record with no prototype, so that a key such as `__proto__` is stored, not swallowed. */
export function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Encodes named tensors (raw bytes) and string metadata into one safetensors buffer. */
export function encodeSafetensors(
  tensors: Record<string, RawTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header = nullRecord<unknown>();
  if (Object.keys(metadata).length > 0) header.__metadata__ = checkMetadata(metadata);
  let offset = 0;
  const names = Object.keys(tensors).sort(); // a stable order, as the reference writer uses
  for (const name of names) {
    if (name === '__metadata__') throw new InputError(name, 'is reserved for the metadata: rename the tensor');
    const t = tensors[name];
    const expected = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    if (expected !== t.bytes.length) {
      throw new InputError(name, `${t.dtype} [${t.shape}] needs ${expected} bytes, got ${t.bytes.length}`);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned (the reference writer does the same).
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    out.set(tensors[name].bytes, pos);
    pos += tensors[name].bytes.length;
  }
  return out;
}

/**
 * The header length N from the first 8 bytes, checked against the limit and, when known, the
 * file size: call it before allocating N bytes for the header.
 */
export function safetensorsHeaderLength(
  first8: Uint8Array,
  fileSize?: number,
  { maxHeaderBytes = MAX_SAFETENSORS_HEADER_BYTES }: SafetensorsHeaderOptions = {},
): number {
  if (first8.length < 8)
    throw new InputError('safetensors', `file is ${first8.length} bytes: too short for the 8-byte header length`);
  const n = new DataView(first8.buffer, first8.byteOffset, first8.byteLength).getBigUint64(0, true);
  if (n > BigInt(maxHeaderBytes))
    throw new InputError(
      'safetensors',
      `header length ${n} exceeds the limit of ${maxHeaderBytes} bytes (maxHeaderBytes): not a safetensors file or corrupted`,
    );
  if (fileSize !== undefined && n > BigInt(Math.max(0, fileSize - 8)))
    throw new InputError(
      'safetensors',
      `header length ${n} exceeds the ${fileSize - 8} bytes that follow: truncated or not a safetensors file`,
    );
  return Number(n);
}

/**
 * Parses and validates the header from the first bytes of a file. `prefix` must hold at
 * least the 8-byte length and the header itself; `fileSize` (if known) bounds the offsets.
 * Every tensor name is kept as given (names such as `__proto__` included); `__metadata__`
 * must map strings to strings.
 */
export function decodeSafetensorsHeader(
  prefix: Uint8Array,
  fileSize?: number,
  opts: SafetensorsHeaderOptions = {},
): SafetensorsHeader {
  const headerLength = safetensorsHeaderLength(prefix.subarray(0, 8), undefined, opts);
  if (prefix.length < 8 + headerLength) {
    throw new InputError(
      'safetensors',
      `header says ${headerLength} bytes but only ${prefix.length - 8} follow: truncated file`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new InputError('safetensors', `header is not valid UTF-8 JSON (${(e as Error).message}): corrupted file`);
  }
  if (!isPlainObject(parsed)) throw new InputError('safetensors', 'header must be a JSON object');
  // JSON.parse stores a "__proto__" key as an own property; Object.entries sees it, and the
  // null-prototype records below store it as an ordinary name instead of a prototype.
  const entries = nullRecord<HeaderEntry>();
  let metadata = nullRecord<string>();
  const spans: [number, number, string][] = [];
  for (const [name, e] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(e);
      continue;
    }
    if (!isPlainObject(e) || typeof e.dtype !== 'string' || !DTYPE_NAMES.has(e.dtype))
      throw new InputError(
        name,
        `unsupported or missing dtype '${isPlainObject(e) ? String(e.dtype) : undefined}'; supported: ${Object.keys(DTYPE_BYTES).join(', ')}`,
      );
    const dtype = e.dtype as SafetensorsDtype;
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((s: unknown) => Number.isSafeInteger(s) && (s as number) >= 0)) {
      throw new InputError(name, `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const want = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (!Number.isSafeInteger(want))
      throw new InputError(name, `${dtype} [${shape}] would need ${want} bytes: corrupted file`);
    const offsets = e.data_offsets;
    const [begin, end] = (Array.isArray(offsets) && offsets.length === 2 ? offsets : [Number.NaN, Number.NaN]) as [
      number,
      number,
    ];
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end - begin !== want) {
      throw new InputError(
        name,
        `data_offsets ${JSON.stringify(offsets)} do not span ${want} bytes for ${dtype} [${shape}]`,
      );
    }
    entries[name] = { dtype, shape: shape as number[], data_offsets: [begin, end] };
    spans.push([begin, end, name]);
  }
  // The data section must be covered exactly, with no gaps or overlaps.
  spans.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== cursor)
      throw new InputError(name, `data_offsets begin at ${begin}, expected ${cursor}: overlapping or gapped tensors`);
    cursor = end;
  }
  const dataStart = 8 + headerLength;
  if (fileSize !== undefined && fileSize - dataStart !== cursor) {
    throw new InputError(
      'safetensors',
      `data section is ${fileSize - dataStart} bytes but the header describes ${cursor}: ${fileSize - dataStart < cursor ? 'truncated' : 'corrupted'} file`,
    );
  }
  return { dataStart, entries, metadata };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `__metadata__` is a map of strings to strings (the format's rule); anything else is refused. */
function checkMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value))
    throw new InputError('__metadata__', `must be an object of string values, got ${JSON.stringify(value)}`);
  const out = nullRecord<string>();
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string')
      throw new InputError(`__metadata__.${key}`, `must be a string, got ${JSON.stringify(v) ?? typeof v}`);
    out[key] = v;
  }
  return out;
}

/** Decodes a whole safetensors buffer into raw tensors (views into `bytes`, not copies). */
export function decodeSafetensors(
  bytes: Uint8Array,
  opts: SafetensorsHeaderOptions = {},
): {
  tensors: Record<string, RawTensor>;
  metadata: Record<string, string>;
} {
  const header = decodeSafetensorsHeader(bytes, bytes.length, opts);
  const tensors = nullRecord<RawTensor>();
  for (const [name, e] of Object.entries(header.entries)) {
    const [begin, end] = e.data_offsets;
    tensors[name] = {
      dtype: e.dtype,
      shape: e.shape,
      bytes: bytes.subarray(header.dataStart + begin, header.dataStart + end),
    };
  }
  return { tensors, metadata: header.metadata };
}

/** Raw bytes of a tfjs tensor (float32 -> F32, int32 -> I32, bool -> BOOL). Awaits the data. */
export async function tensorToRaw(t: tf.Tensor): Promise<RawTensor> {
  const data = await t.data();
  const dtype: SafetensorsDtype = t.dtype === 'int32' ? 'I32' : t.dtype === 'bool' ? 'BOOL' : 'F32';
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
    throw new InputError('tensor', `dtype ${t.dtype} cannot be stored; use float32, int32 or bool`);
  }
  const bytes =
    dtype === 'BOOL'
      ? Uint8Array.from(data as Uint8Array)
      : new Uint8Array((data as Float32Array | Int32Array).slice().buffer);
  return { dtype, shape: t.shape.slice(), bytes };
}

/** Values of a raw tensor as numbers in a typed array tfjs accepts (F16/BF16/F64 widen or narrow to float32). */
export function rawToTypedArray(raw: RawTensor): Float32Array | Int32Array | Uint8Array {
  const n = raw.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(raw.bytes.buffer, raw.bytes.byteOffset, raw.bytes.byteLength);
  switch (raw.dtype) {
    case 'F32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'I32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case 'I16': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      return out;
    }
    case 'I8': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return out;
    }
    case 'U8':
      return Uint8Array.from(raw.bytes);
    case 'BOOL':
      return Uint8Array.from(raw.bytes, (b) => (b ? 1 : 0));
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n)
          throw new InputError('I64', `value ${v} at index ${i} does not fit in int32`);
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/** A tfjs tensor from a raw tensor (floats become float32, integers int32, BOOL bool). */
export function rawToTensor(raw: RawTensor): tf.Tensor {
  const values = rawToTypedArray(raw);
  const dtype =
    raw.dtype === 'BOOL' ? 'bool' : values instanceof Int32Array || raw.dtype === 'U8' ? 'int32' : 'float32';
  return tf.tensor(
    dtype === 'int32' && values instanceof Uint8Array ? Int32Array.from(values) : values,
    raw.shape,
    dtype,
  );
}

/** IEEE 754 half precision bits to a number. */
export function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
