/**
 * The command line's view of `--data`: one `.npy` / `.safetensors` file, or a folder of them read in
 * name order as one matrix [rows, D], split into a training range and a held-out range.
 *
 * The held-out rows are the LAST `round(fraction * rows)` rows (of the last files of a folder), not a
 * random subset: activation dumps are usually written document by document, so a tail split keeps
 * held-out documents unseen in training, and it reads as one contiguous range. Training rows go
 * through the shuffling `ActivationBuffer`; the held-out rows are read in order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, checkInt } from '../core/errors';
import { openNpy } from '../data/npy';
import type { RowFileSource } from '../data/row-file';
import { openSafetensors } from '../data/safetensors-reader';
import type { SeekableSource, SourcePosition } from '../data/source';

const EXTENSIONS = ['.npy', '.safetensors'];

/** Several row files of one dimension read as one matrix, in order. */
export class RowSet {
  readonly dim: number;
  readonly rows: number;
  /** Row offset of each file in the whole matrix. */
  private readonly offsets: number[];

  constructor(
    readonly files: string[],
    readonly sources: RowFileSource[],
  ) {
    if (sources.length === 0) throw new InputError('data', 'no files to read');
    this.dim = sources[0].dim;
    this.offsets = [];
    let rows = 0;
    sources.forEach((s, i) => {
      if (s.dim !== this.dim)
        throw new InputError('data', `${files[i]} has rows of dim ${s.dim}, but ${files[0]} has dim ${this.dim}`);
      this.offsets.push(rows);
      rows += s.rows;
    });
    this.rows = rows;
  }

  /** Rows [start, start + count) of the whole matrix, row-major. */
  readRows(start: number, count: number): Float32Array {
    checkInt('start', start, 0, this.rows - 1);
    checkInt('count', count, 1, this.rows - start);
    const out = new Float32Array(count * this.dim);
    let done = 0;
    for (let f = 0; f < this.sources.length && done < count; f++) {
      const lo = this.offsets[f];
      const hi = lo + this.sources[f].rows;
      const at = start + done;
      if (at >= hi) continue;
      const n = Math.min(count - done, hi - at);
      const rows = this.sources[f].readRows(at - lo, n);
      checkFinite(rows, this.dim, this.files[f], at - lo);
      out.set(rows, done * this.dim);
      done += n;
    }
    return out;
  }

  close(): void {
    for (const s of this.sources) s.close();
  }
}

/**
 * A NaN or infinity in the activations would surface later as a NaN loss, or as a bad value in a
 * shuffled batch that no longer says where it came from; this names the file's own row and column.
 */
function checkFinite(rows: Float32Array, dim: number, file: string, firstRow: number): void {
  for (let i = 0; i < rows.length; i++) {
    if (!Number.isFinite(rows[i])) {
      const row = firstRow + Math.floor(i / dim);
      throw new InputError(
        '--data',
        `${file}: row ${row}, column ${i % dim} is ${rows[i]}; the activations must be finite ` +
          '(find them with numpy: np.argwhere(~np.isfinite(a)))',
      );
    }
  }
}

/** Opens `--data`: a file, or every .npy/.safetensors file of a folder (sorted by name). */
export function openRowSet(data: string, opts: { tensor?: string } = {}): RowSet {
  if (!fs.existsSync(data)) throw new InputError('--data', `${data} does not exist`);
  const files = fs.statSync(data).isDirectory()
    ? fs
        .readdirSync(data)
        .filter((f) => EXTENSIONS.includes(path.extname(f)))
        .sort()
        .map((f) => path.join(data, f))
    : [data];
  if (files.length === 0) throw new InputError('--data', `the folder ${data} holds no .npy or .safetensors file`);
  const sources: RowFileSource[] = [];
  try {
    for (const file of files) {
      const ext = path.extname(file);
      if (ext === '.npy') sources.push(openNpy(file));
      else if (ext === '.safetensors') sources.push(openSafetensors(file, { tensor: opts.tensor }));
      else throw new InputError('--data', `${file}: expected a .npy or .safetensors file, got '${ext}'`);
    }
    return new RowSet(files, sources);
  } catch (e) {
    for (const s of sources) s.close();
    throw e;
  }
}

/**
 * Rows [start, end) of a RowSet as an endless source, in order, wrapping at `end`. Seekable
 * (indices relative to `start`), so the shuffling buffer over it can save its position.
 */
export class RowRangeSource implements SeekableSource {
  readonly dim: number;
  /** Rows in the range. */
  readonly rows: number;
  /** How many times the source has wrapped to `start`. */
  epoch = 0;
  private cursor = 0; // relative to start

  constructor(
    readonly set: RowSet,
    readonly start: number,
    readonly end: number,
  ) {
    checkInt('start', start, 0, set.rows - 1);
    checkInt('end', end, start + 1, set.rows);
    this.dim = set.dim;
    this.rows = end - start;
  }

  get nextRow(): number {
    return this.cursor === this.rows ? 0 : this.cursor;
  }

  getState(): SourcePosition {
    return { cursor: this.cursor, epoch: this.epoch };
  }

  setState(state: SourcePosition): void {
    this.cursor = checkInt('state.cursor', state?.cursor, 0, this.rows);
    this.epoch = checkInt('state.epoch', state?.epoch, 0);
  }

  /** Rows [start + first, start + first + count) of the set. */
  readRows(first: number, count: number): Float32Array {
    checkInt('first', first, 0, this.rows - 1);
    checkInt('count', count, 1, this.rows - first);
    return this.set.readRows(this.start + first, count);
  }

  nextBatch(batchSize: number): Float32Array {
    checkInt('batchSize', batchSize, 1);
    const out = new Float32Array(batchSize * this.dim);
    for (let filled = 0; filled < batchSize; ) {
      if (this.cursor === this.rows) {
        this.cursor = 0;
        this.epoch++;
      }
      const n = Math.min(batchSize - filled, this.rows - this.cursor);
      out.set(this.set.readRows(this.start + this.cursor, n), filled * this.dim);
      this.cursor += n;
      filled += n;
    }
    return out;
  }
}

/**
 * The default number of rows the command holds in memory at once (the shuffling buffer, the rows
 * evaluated): 65,536 rows, or fewer if those would take more than 256 MiB as float32.
 */
export function defaultRowsInMemory(dim: number): number {
  return Math.max(1, Math.min(65536, Math.floor(2 ** 28 / (4 * dim))));
}

/** How `--held-out FRACTION` splits `rows`: training rows first, held-out rows last. */
export function splitRows(rows: number, heldOutFraction: number): { trainRows: number; heldOutRows: number } {
  if (!(heldOutFraction >= 0 && heldOutFraction < 1))
    throw new InputError('--held-out', `must be a fraction in [0, 1), got ${heldOutFraction}`);
  const heldOutRows = heldOutFraction > 0 ? Math.max(1, Math.round(heldOutFraction * rows)) : 0;
  const trainRows = rows - heldOutRows;
  if (trainRows < 1) throw new InputError('--held-out', `${heldOutFraction} of ${rows} rows leaves no training rows`);
  return { trainRows, heldOutRows };
}
