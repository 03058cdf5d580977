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
 */
import { InputError, checkInt } from '../core/errors';
import { Rng } from '../core/random';
import { LIMITS } from '../core/limits';
import { type ActivationSource, checkBatchSize, checkRowsLeft } from './source';

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
    this.rows = new Float32Array(this.capacity * this.dim);
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
      this.start = 0;
    }
    const need = Math.min(this.capacity - this.count, available);
    if (need === 0) return;
    const fresh = this.source.nextBatch(need);
    if (fresh.length !== need * d) {
      throw new InputError('source', `nextBatch returned ${fresh.length} values for ${need} rows of dim ${d}`);
    }
    this.rows.set(fresh, this.count * d);
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
        if (i !== last) rows.copyWithin(i * d, last * d, last * d + d);
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
