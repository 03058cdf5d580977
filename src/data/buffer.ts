/**
 * The activation mixing buffer that SAE libraries put between a model and the trainer
 * (saprmarks/dictionary_learning `ActivationBuffer`, SAELens `ActivationsStore`).
 *
 * Consecutive activations from one source are correlated (neighbouring tokens of one text,
 * images of one file); training on them in order gives biased batches. The buffer holds up to
 * `capacity` activations, hands them out uniformly at random without replacement, and tops
 * itself up from the source whenever the unread count falls to `refillAt`:
 *
 *   draw:   pick i uniformly among the unread rows, return row i, remove it (swap with the last);
 *   refill: when unread <= refillAt, read capacity - unread fresh rows from the source.
 *
 * Every row the source delivers is returned exactly once, so a pass over a finite source is
 * a pass over its rows, only reordered. At the end of a finite source (a file with
 * `loop: false`) the buffer stops refilling and drains what it holds; `rowsLeft` counts the
 * rows still to come, so one exact epoch is `while (buffer.rowsLeft > 0) nextBatch(min(B, rowsLeft))`. With `shuffle: false` the buffer is a plain FIFO and
 * returns rows in source order (the baseline the shuffling experiment compares with).
 *
 * Resuming: over a seekable source (a file, a row range: `SeekableSource`) the buffer also keeps
 * the source index of every row it holds (4 bytes per row beside the 4 * dim of the row), so
 * `getState()` is compact: the source's position, the sampling RNG's four words, and the held
 * rows' indices in buffer order (base64 of uint32, at most 4 * capacity bytes; 350 KB for the
 * CLI's default 65,536 rows). `setState()` re-reads those rows from the source, so a buffer over a
 * reopened file continues with exactly the batches the stopped one would have handed out.
 */
import { ConfigError, InputError, checkInt } from '../base/errors';
import { Rng } from '../core/random';
import { LIMITS } from '../core/limits';
import {
  type ActivationSource,
  type SeekableSource,
  type SourcePosition,
  checkBatchSize,
  checkRowsLeft,
  isSeekable,
} from './source';

/** What `ActivationBuffer.getState()` returns: enough to rebuild the buffer over a reopened source. */
export interface ActivationBufferState {
  kind: 'activation-buffer';
  capacity: number;
  /** The source's position (after the rows read so far). */
  source: SourcePosition;
  /** The sampling RNG's state (Rng.getState()). */
  rng: number[];
  rowsRead: number;
  rowsServed: number;
  /** Source indices of the unread rows, in buffer order: base64 of little-endian uint32 (4 bytes a row). */
  held: string;
}

/** Rows re-read per call when a state is restored (bounds the transient allocation). */
const RESTORE_RUN_ROWS = 4096;

/** Options of `ActivationBuffer`. */
export interface ActivationBufferConfig {
  /** Where the activations come from. */
  source: ActivationSource;
  /** Rows held at most (N). */
  capacity: number;
  /** true (default): uniform sampling without replacement; false: source order. */
  shuffle?: boolean;
  /**
   * Refill when the unread count falls to this (default capacity / 2, as dictionary_learning does;
   * 0 refills only when empty, which makes each buffer-full a shuffled block).
   */
  refillAt?: number;
  /** Seed of the sampling order (default 0). */
  seed?: number;
  /** Largest buffer, capacity * dim float32 values, in bytes (default LIMITS.maxBytes, 2 GiB). */
  maxBytes?: number;
}

/** A shuffling (or FIFO) buffer of activations; itself an ActivationSource. */
export class ActivationBuffer implements ActivationSource {
  readonly dim: number;
  readonly capacity: number;
  readonly shuffle: boolean;
  readonly refillAt: number;
  /** Rows read from the source so far. */
  rowsRead = 0;
  /** Rows handed out so far. */
  rowsServed = 0;
  private readonly source: ActivationSource;
  private readonly rows: Float32Array;
  /** Source index of each held row (seekable sources only; 0 otherwise). */
  private readonly index: Uint32Array;
  private readonly seekable: SeekableSource | null;
  private readonly rng: Rng;
  private start = 0; // unread rows live in [start, start + count)
  private count = 0;

  constructor(config: ActivationBufferConfig) {
    this.source = config.source;
    this.dim = checkInt('source.dim', config.source.dim, 1);
    const maxRows = Math.max(1, Math.floor((config.maxBytes ?? LIMITS.maxBytes) / (4 * this.dim)));
    this.capacity = checkInt('capacity', config.capacity, 1, maxRows); // a larger one: raise maxBytes
    this.shuffle = config.shuffle ?? true;
    this.refillAt = checkInt('refillAt', config.refillAt ?? Math.floor(this.capacity / 2), 0, this.capacity - 1);
    this.rng = new Rng(config.seed ?? 0);
    this.seekable = isSeekable(config.source) ? config.source : null;
    if (this.seekable && this.seekable.rows > 2 ** 32)
      throw new InputError('source.rows', `${this.seekable.rows} rows: more than 2^32 cannot be indexed for resuming`);
    this.rows = new Float32Array(this.capacity * this.dim);
    this.index = new Uint32Array(this.seekable ? this.capacity : 0);
  }

  /**
   * The buffer's position (see the module comment): the source's position, the RNG, and the held
   * rows as source indices. Needs a seekable source (a file or row range); others give a ConfigError.
   */
  getState(): ActivationBufferState {
    const src = this.requireSeekable();
    const held = Buffer.alloc(4 * this.count);
    for (let j = 0; j < this.count; j++) held.writeUInt32LE(this.index[this.start + j], 4 * j);
    return {
      kind: 'activation-buffer',
      capacity: this.capacity,
      source: src.getState(),
      rng: this.rng.getState(),
      rowsRead: this.rowsRead,
      rowsServed: this.rowsServed,
      held: held.toString('base64'),
    };
  }

  /**
   * Restores `getState()` into this buffer (same capacity, shuffle and refillAt, over the same
   * rows, e.g. the file reopened): re-reads the held rows by index, then sets the source and RNG.
   */
  setState(state: ActivationBufferState): void {
    const src = this.requireSeekable();
    if (state?.kind !== 'activation-buffer')
      throw new InputError('state.kind', `must be 'activation-buffer', got ${String(state?.kind)}`);
    if (state.capacity !== this.capacity)
      throw new InputError('state.capacity', `is ${state.capacity}, this buffer's ${this.capacity}`);
    const held = typeof state.held === 'string' ? Buffer.from(state.held, 'base64') : null;
    if (!held || held.length % 4 !== 0 || held.length / 4 > this.capacity)
      throw new InputError('state.held', `must be base64 of at most ${this.capacity} uint32 row indices`);
    const count = held.length / 4;
    for (let j = 0; j < count; j++) {
      const i = held.readUInt32LE(4 * j);
      if (i >= src.rows) throw new InputError('state.held', `row index ${i} is outside the source's ${src.rows} rows`);
      this.index[j] = i;
    }
    const rowsRead = checkInt('state.rowsRead', state.rowsRead, 0);
    const rowsServed = checkInt('state.rowsServed', state.rowsServed, 0);
    this.rng.setState(state.rng);
    src.setState(state.source);
    // Re-read runs of consecutive indices, at most RESTORE_RUN_ROWS rows at a time.
    const d = this.dim;
    for (let j = 0; j < count; ) {
      let n = 1;
      while (j + n < count && n < RESTORE_RUN_ROWS && this.index[j + n] === this.index[j] + n) n++;
      this.rows.set(src.readRows(this.index[j], n), j * d);
      j += n;
    }
    this.start = 0;
    this.count = count;
    this.rowsRead = rowsRead;
    this.rowsServed = rowsServed;
  }

  private requireSeekable(): SeekableSource {
    if (!this.seekable)
      throw new ConfigError(
        'source',
        'cannot re-read rows by index (rows, nextRow, readRows, getState/setState): this buffer cannot be resumed',
      );
    return this.seekable;
  }

  /** Unread rows held now. */
  get size(): number {
    return this.count;
  }

  /** Fill level in [0, 1]: unread rows / capacity. */
  get fill(): number {
    return this.count / this.capacity;
  }

  /** Rows still to come from a finite source (held + not yet read); undefined while the source is endless. */
  get rowsLeft(): number | undefined {
    const left = this.source.rowsLeft;
    return left === undefined ? undefined : this.count + left;
  }

  /**
   * Tops the buffer up to capacity from the source, or with what a finite source has left
   * (called automatically; public to pre-fill).
   */
  refill(): void {
    const d = this.dim;
    const available = this.source.rowsLeft ?? Number.POSITIVE_INFINITY;
    if (available === 0) return; // a finite source has ended: drain what is held
    if (this.start > 0) {
      this.rows.copyWithin(0, this.start * d, (this.start + this.count) * d);
      if (this.seekable) this.index.copyWithin(0, this.start, this.start + this.count);
      this.start = 0;
    }
    const need = Math.min(this.capacity - this.count, available);
    if (need === 0) return;
    const first = this.seekable?.nextRow ?? 0;
    const fresh = this.source.nextBatch(need);
    if (fresh.length !== need * d) {
      throw new InputError('source', `nextBatch returned ${fresh.length} values for ${need} rows of dim ${d}`);
    }
    this.rows.set(fresh, this.count * d);
    if (this.seekable) {
      const n = this.seekable.rows; // rows come in order from `first`, wrapping at the end
      for (let j = 0; j < need; j++) this.index[this.count + j] = (first + j) % n;
    }
    this.count += need;
    this.rowsRead += need;
  }

  /** The next `batchSize` rows, row-major [batchSize, dim]. */
  nextBatch(batchSize: number): Float32Array {
    checkBatchSize(batchSize, this.dim);
    checkRowsLeft(batchSize, this.rowsLeft, 'the source');
    const d = this.dim;
    const rows = this.rows;
    const out = new Float32Array(batchSize * d);
    for (let b = 0; b < batchSize; b++) {
      if (this.count <= this.refillAt) this.refill();
      if (this.shuffle) {
        const i = this.start + this.rng.int(this.count);
        const last = this.start + this.count - 1;
        out.set(rows.subarray(i * d, i * d + d), b * d);
        if (i !== last) {
          rows.copyWithin(i * d, last * d, last * d + d);
          if (this.seekable) this.index[i] = this.index[last];
        }
      } else {
        out.set(rows.subarray(this.start * d, this.start * d + d), b * d);
        this.start++;
      }
      this.count--;
    }
    this.rowsServed += batchSize;
    return out;
  }
}
