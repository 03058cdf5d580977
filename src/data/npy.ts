/**
 * NumPy's .npy format (numpy/lib/format.py, NEP 1), read in windows and written (Node only).
 *
 * Byte layout:
 *   [6 bytes]  magic "\x93NUMPY"
 *   [2 bytes]  version major, minor (1.0, 2.0 or 3.0)
 *   [2 or 4]   header length H, little-endian: uint16 in version 1, uint32 in versions 2 and 3
 *   [H bytes]  a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (1000, 64), }
 *              padded with spaces and a final '\n' so the data starts 64-byte aligned
 *              (latin-1 in versions 1 and 2, UTF-8 in version 3)
 *   [rest]     the values, C order unless fortran_order
 *
 * Supported: float32 and float16 in either byte order, C order. An array of shape
 * [a, b, ..., dim] is read as rows = a * b * ... vectors of length dim (e.g. [contexts, tokens, d_model]).
 */
import * as fs from 'node:fs';
import { InputError, checkInt } from '../base/errors';
import { statFile, writeFileAtomic } from '../core/checkpoint';
import { checkBytes } from '../core/limits';
import { type RowElement, type RowFileOptions, RowFileSource, checkFileSize } from './row-file';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCRS: Record<string, RowElement> = { '<f4': 'f32le', '>f4': 'f32be', '<f2': 'f16le', '>f2': 'f16be' };

/** A parsed .npy header. */
export interface NpyHeader {
  version: number;
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

/**
 * Parses the header from the first bytes of a .npy file (`prefix` must hold the whole header;
 * 10 or 12 bytes tell its length: see `npyHeaderLength`). Does not judge the dtype or order.
 */
export function parseNpyHeader(prefix: Uint8Array, name = 'npy'): NpyHeader {
  const need = npyHeaderLength(prefix, name);
  if (prefix.length < need)
    throw new InputError(name, `header needs ${need} bytes, only ${prefix.length} available: truncated file`);
  const version = prefix[6];
  const start = version === 1 ? 10 : 12;
  const text = new TextDecoder(version === 3 ? 'utf-8' : 'latin1').decode(prefix.subarray(start, need));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!text.trimStart().startsWith('{') || !fortran || !shape) {
    throw new InputError(
      name,
      `header is not a .npy dict with 'descr', 'fortran_order' and 'shape': ${JSON.stringify(text.slice(0, 120))}: corrupted file`,
    );
  }
  if (!descr)
    throw new InputError(
      name,
      `structured or unreadable dtype in header ${JSON.stringify(text.slice(0, 120))}; save a plain float32 array`,
    );
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (!dims.every((s) => /^\d+$/.test(s) && Number.isSafeInteger(Number(s))))
    throw new InputError(name, `shape (${shape[1]}) is not a tuple of non-negative integers: corrupted file`);
  return { version, descr: descr[1], fortranOrder: fortran[1] === 'True', shape: dims.map(Number), dataOffset: need };
}

/** Total header size (magic + version + length field + dict) from the first 12 bytes; checks the magic and version. */
export function npyHeaderLength(prefix: Uint8Array, name = 'npy'): number {
  if (prefix.length < 10)
    throw new InputError(name, `file is ${prefix.length} bytes: too short for a .npy header (truncated)`);
  if (!MAGIC.every((b, i) => prefix[i] === b))
    throw new InputError(name, 'does not start with "\\x93NUMPY": not a .npy file');
  const version = prefix[6];
  if (version < 1 || version > 3)
    throw new InputError(name, `.npy format version ${version}.${prefix[7]} is not supported (1.0, 2.0 and 3.0 are)`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (version === 1) return 10 + view.getUint16(8, true);
  if (prefix.length < 12) throw new InputError(name, 'truncated .npy header');
  return 12 + view.getUint32(8, true);
}

/**
 * Largest .npy header accepted, in bytes: NumPy's own default (`np.load(max_header_size=10000)`,
 * numpy/lib/format.py `_MAX_HEADER_SIZE`); override with `maxHeaderBytes`.
 */
export const MAX_NPY_HEADER_BYTES = 10_000;

/** Options of `openNpy`. */
export interface NpyOptions extends RowFileOptions {
  /** Largest header accepted (default MAX_NPY_HEADER_BYTES, NumPy's limit). */
  maxHeaderBytes?: number;
}

/** A .npy file as an ActivationSource, read window by window. */
export class NpySource extends RowFileSource {
  readonly header: NpyHeader;

  constructor(
    readonly file: string,
    opts: NpyOptions = {},
  ) {
    const size = statFile(file);
    const header = readNpyHeader(file, size, opts.maxHeaderBytes ?? MAX_NPY_HEADER_BYTES);
    const element = DESCRS[header.descr];
    if (!element) {
      throw new InputError(
        file,
        `dtype '${header.descr}' is not supported; supported: float32 ('<f4', '>f4') and float16 ('<f2', '>f2'). ` +
          'Convert with a.astype(np.float32)',
      );
    }
    if (header.fortranOrder) {
      throw new InputError(file, 'Fortran (column-major) order is not supported: save np.ascontiguousarray(a) instead');
    }
    if (header.shape.length < 2) {
      throw new InputError(
        file,
        `shape (${header.shape.join(', ')}) has ${header.shape.length} dimension(s); need [rows, dim] or [..., dim]`,
      );
    }
    const dim = header.shape[header.shape.length - 1];
    const rows = header.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const layout = { dataOffset: header.dataOffset, element, rows, dim };
    checkFileSize(file, layout, size);
    super({ file, ...layout }, opts);
    this.header = header;
  }
}

/** Opens a .npy file of float32 or float16 activations as an ActivationSource. */
export function openNpy(file: string, opts: NpyOptions = {}): NpySource {
  return new NpySource(file, opts);
}

/** Reads the header, its declared length checked against the limit and the file size before it is allocated. */
function readNpyHeader(file: string, size: number, maxHeaderBytes: number): NpyHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const first = Buffer.alloc(12);
    const got = fs.readSync(fd, first, 0, 12, 0);
    const total = npyHeaderLength(first.subarray(0, got), file);
    if (total > size)
      throw new InputError(
        file,
        `header length ${total} exceeds the file's ${size} bytes: truncated or corrupted file`,
      );
    checkBytes(file, total, maxHeaderBytes, 'maxHeaderBytes', 'the header');
    const prefix = Buffer.alloc(total);
    const n = fs.readSync(fd, prefix, 0, total, 0);
    return parseNpyHeader(prefix.subarray(0, n), file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Element type of a written .npy file. */
export type NpyDtype = 'float32' | 'float16';

/**
 * The header bytes for an array (C order, little-endian), padded to a multiple of 64 bytes, or
 * to `padTo` bytes when given (the streaming writer reserves room for the final row count).
 */
export function npyHeader(
  shape: number[],
  dtype: NpyDtype = 'float32',
  version: 1 | 2 | 3 = 1,
  padTo?: number,
): Uint8Array {
  const descr = dtype === 'float32' ? '<f4' : '<f2';
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const pre = version === 1 ? 10 : 12;
  const total = padTo ?? Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total < pre + dict.length + 1)
    throw new InputError('shape', `header for (${shape}) does not fit in ${total} bytes`);
  const out = new Uint8Array(total);
  out.set(MAGIC);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, total - pre, true);
  else view.setUint32(8, total - pre, true);
  const body = `${dict + ' '.repeat(total - pre - dict.length - 1)}\n`;
  for (let i = 0; i < body.length; i++) out[pre + i] = body.charCodeAt(i);
  return out;
}

/** A whole .npy file in memory: header then the values (float32, or rounded to float16). */
export function encodeNpy(
  data: Float32Array,
  shape: number[],
  dtype: NpyDtype = 'float32',
  version: 1 | 2 | 3 = 1,
): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new InputError('data', `${data.length} values for shape (${shape})`);
  const header = npyHeader(shape, dtype, version);
  const body = encodeValues(data, dtype);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/** Writes an array to a .npy file atomically (temp file, then rename). */
export function writeNpy(file: string, data: Float32Array, shape: number[], dtype: NpyDtype = 'float32'): void {
  writeFileAtomic(file, encodeNpy(data, shape, dtype));
}

/**
 * Writes rows of length `dim` to a .npy file as they arrive, for activation dumps larger than
 * memory; `close()` writes the final row count into the header.
 */
export class NpyWriter {
  rows = 0;
  private fd: number | null;
  private readonly headerBytes: number;

  constructor(
    readonly file: string,
    readonly dim: number,
    readonly dtype: NpyDtype = 'float32',
  ) {
    checkInt('dim', dim, 1);
    // Room for any row count up to 2^53: the header is rewritten in place at close().
    this.headerBytes = npyHeader([Number.MAX_SAFE_INTEGER, dim], dtype).length;
    this.fd = fs.openSync(file, 'w');
    fs.writeSync(this.fd, npyHeader([0, dim], dtype, 1, this.headerBytes));
  }

  /** Appends rows, row-major [n, dim]. */
  append(rowsND: Float32Array): void {
    if (this.fd === null) throw new InputError(this.file, 'writer is closed');
    if (rowsND.length % this.dim !== 0)
      throw new InputError('rows', `${rowsND.length} values is not a whole number of rows of dim ${this.dim}`);
    fs.writeSync(this.fd, encodeValues(rowsND, this.dtype));
    this.rows += rowsND.length / this.dim;
  }

  /** Writes the final shape into the header and closes the file. */
  close(): void {
    if (this.fd === null) return;
    fs.writeSync(this.fd, npyHeader([this.rows, this.dim], this.dtype, 1, this.headerBytes), 0, this.headerBytes, 0);
    fs.closeSync(this.fd);
    this.fd = null;
  }
}

function encodeValues(data: Float32Array, dtype: NpyDtype): Uint8Array {
  const out = new Uint8Array(data.length * (dtype === 'float32' ? 4 : 2));
  const view = new DataView(out.buffer);
  if (dtype === 'float32') for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setUint16(2 * i, float32ToFloat16(data[i]), true);
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of a number, rounded to nearest, ties to even (overflow gives +-Infinity). */
export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Infinity or NaN
  const e = exp - 127 + 15; // rebias
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = m * 2^-24, m = (1.mant) >> (14 - e) with rounding.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry into the exponent is still correct
  return sign | half;
}
