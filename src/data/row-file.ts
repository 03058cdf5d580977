/**
 * Rows of a matrix stored contiguously in a file, read through a small window (Node only).
 *
 * The .npy and .safetensors readers parse their headers and hand this class the byte offset,
 * the element type and the shape [rows, dim]. Reads go through `fs.readSync` into one reused
 * window of about `windowBytes`, so a file far larger than memory can feed an SAE: memory use
 * is one window plus the batch being returned.
 */
import * as fs from 'node:fs';
import { InputError, checkInt } from '../base/errors';
import { float16ToFloat32 } from '../core/safetensors';
import { checkBytes, LIMITS } from '../core/limits';
import { type SeekableSource, type SourcePosition, checkBatchSize, checkRowsLeft } from './source';

/** Element encodings the readers understand. */
export type RowElement = 'f32le' | 'f32be' | 'f16le' | 'f16be' | 'bf16le';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const ELEMENT_BYTES: Record<RowElement, number> = { f32le: 4, f32be: 4, f16le: 2, f16be: 2, bf16le: 2 };

/** Where the matrix lies in the file and how to read it. */
export interface RowFileLayout {
  file: string;
  /** Byte offset of row 0. */
  dataOffset: number;
  element: RowElement;
  rows: number;
  dim: number;
}

/** Options of the file-backed sources. */
export interface RowFileOptions {
  /** Size of the read window in bytes (default 4 MiB); at least one row is always read. */
  windowBytes?: number;
  /**
   * true (default): start over at row 0 after the last row (endless); false: the file is read
   * once (`rowsLeft` counts down, and a batch past the end is an InputError).
   */
  loop?: boolean;
  /** Largest row read (4 * dim bytes; default LIMITS.maxBytes, 2 GiB). */
  maxBytes?: number;
}

/** A file-backed ActivationSource: rows in file order, window by window. */
export class RowFileSource implements SeekableSource {
  readonly dim: number;
  readonly rows: number;
  /** How many times the reader has wrapped to row 0. */
  epoch = 0;
  private readonly layout: RowFileLayout;
  private readonly loop: boolean;
  private readonly window: Buffer;
  private readonly windowRows: number;
  private cursor = 0; // next row to return
  private fd: number | null;

  constructor(layout: RowFileLayout, opts: RowFileOptions = {}) {
    this.layout = layout;
    this.rows = layout.rows;
    this.dim = layout.dim;
    if (this.rows < 1 || this.dim < 1)
      throw new InputError(layout.file, `holds ${this.rows} rows of dim ${this.dim}: nothing to read`);
    const rowBytes = this.dim * ELEMENT_BYTES[layout.element];
    // The window holds at least one row: a row past the limit is refused before it is allocated.
    checkBytes(layout.file, 4 * this.dim, opts.maxBytes ?? LIMITS.maxBytes, 'maxBytes', 'one row as float32');
    const windowBytes = checkInt('windowBytes', opts.windowBytes ?? 4 * 1024 * 1024, 1);
    this.windowRows = Math.min(this.rows, Math.max(1, Math.floor(windowBytes / rowBytes)));
    this.window = Buffer.alloc(this.windowRows * rowBytes);
    this.loop = opts.loop ?? true;
    this.fd = fs.openSync(layout.file, 'r');
  }

  /** Rows left before the end of the file with `loop: false`; undefined (endless) with `loop: true`. */
  get rowsLeft(): number | undefined {
    return this.loop ? undefined : this.rows - this.cursor;
  }

  /** Index of the row the next `nextBatch` returns first (0 after the last row: the next pass). */
  get nextRow(): number {
    return this.cursor === this.rows ? 0 : this.cursor;
  }

  /** The read position, so a resumed run reads the same rows (the ActivationBuffer saves it). */
  getState(): SourcePosition {
    return { cursor: this.cursor, epoch: this.epoch };
  }

  /** Restores a position from `getState()` (of a reader of the same file). */
  setState(state: SourcePosition): void {
    this.cursor = checkInt('state.cursor', state?.cursor, 0, this.rows);
    this.epoch = checkInt('state.epoch', state?.epoch, 0);
  }

  /** The next `batchSize` rows in file order (wrapping at the end when `loop`). */
  nextBatch(batchSize: number): Float32Array {
    checkBatchSize(batchSize, this.dim);
    checkRowsLeft(batchSize, this.rowsLeft, `${this.layout.file} (${this.rows} rows, loop: false)`);
    const out = new Float32Array(batchSize * this.dim);
    let filled = 0;
    while (filled < batchSize) {
      if (this.cursor === this.rows) {
        this.cursor = 0;
        this.epoch++;
      }
      const n = Math.min(batchSize - filled, this.rows - this.cursor, this.windowRows);
      this.readInto(this.cursor, n, out, filled);
      this.cursor += n;
      filled += n;
    }
    return out;
  }

  /** Rows [start, start + count) as a new row-major Float32Array (random access; does not move the cursor). */
  readRows(start: number, count: number): Float32Array {
    checkInt('start', start, 0, this.rows - 1);
    checkInt('count', count, 1, this.rows - start);
    const out = new Float32Array(count * this.dim);
    for (let done = 0; done < count; ) {
      const n = Math.min(count - done, this.windowRows);
      this.readInto(start + done, n, out, done);
      done += n;
    }
    return out;
  }

  /** Closes the file; further reads throw. */
  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private readInto(row: number, n: number, out: Float32Array, outRow: number): void {
    if (this.fd === null) throw new InputError(this.layout.file, 'reader is closed');
    const { element, dataOffset } = this.layout;
    const size = ELEMENT_BYTES[element];
    const bytes = n * this.dim * size;
    const got = fs.readSync(this.fd, this.window, 0, bytes, dataOffset + row * this.dim * size);
    if (got !== bytes)
      throw new InputError(this.layout.file, `read ${got} of ${bytes} bytes at row ${row}: the file was truncated`);
    const w = this.window;
    const base = outRow * this.dim;
    const count = n * this.dim;
    switch (element) {
      case 'f32le':
        if (LITTLE_ENDIAN && w.byteOffset % 4 === 0) out.set(new Float32Array(w.buffer, w.byteOffset, count), base);
        else for (let i = 0; i < count; i++) out[base + i] = w.readFloatLE(4 * i);
        break;
      case 'f32be':
        for (let i = 0; i < count; i++) out[base + i] = w.readFloatBE(4 * i);
        break;
      case 'f16le': {
        const table = halfTable();
        if (LITTLE_ENDIAN && w.byteOffset % 2 === 0) {
          const h = new Uint16Array(w.buffer, w.byteOffset, count);
          for (let i = 0; i < count; i++) out[base + i] = table[h[i]];
        } else {
          for (let i = 0; i < count; i++) out[base + i] = table[w.readUInt16LE(2 * i)];
        }
        break;
      }
      case 'f16be': {
        const table = halfTable();
        for (let i = 0; i < count; i++) out[base + i] = table[w.readUInt16BE(2 * i)];
        break;
      }
      case 'bf16le': {
        const u = new Uint32Array(out.buffer, out.byteOffset + 4 * base, count);
        for (let i = 0; i < count; i++) u[i] = w.readUInt16LE(2 * i) << 16;
        break;
      }
    }
  }
}

let HALF_TABLE: Float32Array | null = null;

/**
 * All 65536 half-precision values, indexed by their bits (256 KiB, built on first use):
 * a table lookup decodes float16 much faster than calling float16ToFloat32 per value
 * (bench/data.bench.ts times both).
 */
export function halfTable(): Float32Array {
  if (!HALF_TABLE) HALF_TABLE = Float32Array.from({ length: 65536 }, (_, h) => float16ToFloat32(h));
  return HALF_TABLE;
}

/** Throws unless the file holds exactly `dataOffset + rows * dim * size` bytes. */
export function checkFileSize(file: string, layout: Omit<RowFileLayout, 'file'>, size: number): void {
  const want = layout.dataOffset + layout.rows * layout.dim * ELEMENT_BYTES[layout.element];
  if (size < want)
    throw new InputError(file, `header describes ${want} bytes but the file has ${size}: truncated file`);
  if (size > want)
    throw new InputError(
      file,
      `header describes ${want} bytes but the file has ${size}: trailing bytes, corrupted file`,
    );
}
