/**
 * The interface every stream of activation vectors implements: synthetic features, the
 * activation buffer, .npy and .safetensors files, a model's hidden layer. The SAE trainer
 * reads batches from it and never needs to know where they come from.
 */
import { InputError, checkInt } from '../base/errors';
import { LIMITS } from '../core/limits';

/**
 * A stream of `dim`-dimensional activation vectors: endless (generators, wrapping sources) or
 * finite (a file read once with `loop: false`). A finite source says how many rows are left, so
 * a consumer can ask for exactly the rows of one epoch:
 *
 *   while (source.rowsLeft! > 0) use(source.nextBatch(Math.min(B, source.rowsLeft!)));
 */
export interface ActivationSource {
  /** Length of each activation vector (D). */
  readonly dim: number;
  /** Rows left before a finite source ends; undefined for an endless one. */
  readonly rowsLeft?: number;
  /**
   * The next `batchSize` vectors, row-major: a fresh Float32Array of `batchSize * dim` values.
   * A finite source throws an InputError, reading nothing, when fewer than `batchSize` are left.
   */
  nextBatch(batchSize: number): Float32Array;
}

/** A source's position: the next row it returns and how many times it has wrapped. */
export interface SourcePosition {
  cursor: number;
  epoch: number;
}

/**
 * A source that can save its position and re-read any of its rows by index (files, row ranges):
 * the ActivationBuffer saves what it holds as row indices instead of the rows themselves.
 * `nextBatch` returns rows `nextRow, nextRow + 1, ...` in order, wrapping to row 0 after `rows - 1`.
 */
export interface SeekableSource extends ActivationSource {
  /** Rows addressable by `readRows`: indices 0 .. rows - 1. */
  readonly rows: number;
  /** Index of the row the next `nextBatch` returns first. */
  readonly nextRow: number;
  /** Rows [start, start + count) as a new row-major Float32Array; does not move the position. */
  readRows(start: number, count: number): Float32Array;
  getState(): SourcePosition;
  setState(state: SourcePosition): void;
}

/** Does `source` re-read rows by index and save its position? */
export function isSeekable(source: ActivationSource): source is SeekableSource {
  const s = source as Partial<SeekableSource>;
  return (
    typeof s.rows === 'number' &&
    typeof s.nextRow === 'number' &&
    typeof s.readRows === 'function' &&
    typeof s.getState === 'function' &&
    typeof s.setState === 'function'
  );
}

/** Throws (naming batchSize) unless a finite source still holds `batchSize` rows. */
export function checkRowsLeft(batchSize: number, rowsLeft: number | undefined, what: string): void {
  if (rowsLeft !== undefined && batchSize > rowsLeft) {
    throw new InputError(
      'batchSize',
      `${batchSize} rows asked but ${rowsLeft} left before the end of ${what}; ask for at most rowsLeft`,
    );
  }
}

/**
 * Checks a requested batch size: an integer of at least 1 whose batchSize * dim float32 values
 * fit in `maxBytes` (default LIMITS.maxBytes), so a size like 1e300 is a named error, not a RangeError.
 */
export function checkBatchSize(batchSize: number, dim: number, maxBytes: number = LIMITS.maxBytes): number {
  return checkInt('batchSize', batchSize, 1, Math.max(1, Math.floor(maxBytes / (4 * dim))));
}

/** Rows already in memory (images, cached activations) as an ActivationSource, in order, wrapping at the end. */
export class ArraySource implements ActivationSource {
  readonly rows: number;
  /** How many times the source has wrapped to row 0. */
  epoch = 0;
  private cursor = 0;

  /** @param data row-major [rows, dim]; kept by reference, not copied. */
  constructor(
    readonly data: Float32Array,
    readonly dim: number,
  ) {
    checkInt('dim', dim, 1);
    if (data.length === 0 || data.length % dim !== 0) {
      throw new InputError('data', `length ${data.length} is not a positive whole number of rows of dim ${dim}`);
    }
    this.rows = data.length / dim;
  }

  /** The stream position, so a resumed training run reads the same rows. */
  getState(): { cursor: number; epoch: number } {
    return { cursor: this.cursor, epoch: this.epoch };
  }

  /** Restores a position from `getState()`. */
  setState(state: { cursor: number; epoch: number }): void {
    this.cursor = checkInt('state.cursor', state?.cursor, 0, this.rows);
    this.epoch = checkInt('state.epoch', state?.epoch, 0);
  }

  /** The next `batchSize` rows in order. */
  nextBatch(batchSize: number): Float32Array {
    checkBatchSize(batchSize, this.dim);
    const out = new Float32Array(batchSize * this.dim);
    for (let filled = 0; filled < batchSize; ) {
      if (this.cursor === this.rows) {
        this.cursor = 0;
        this.epoch++;
      }
      const n = Math.min(batchSize - filled, this.rows - this.cursor);
      out.set(this.data.subarray(this.cursor * this.dim, (this.cursor + n) * this.dim), filled * this.dim);
      this.cursor += n;
      filled += n;
    }
    return out;
  }
}

/**
 * A stream of (input, target) pairs of equal width: an MLP's input and its output, what a
 * transcoder learns to map (src/sae/transcoder.ts). It is also a plain source of its inputs:
 * `nextBatch(B)` returns `nextPairs(B).inputs`, and the pair's targets are skipped with them.
 */
export interface PairedActivationSource extends ActivationSource {
  /** The next `batchSize` pairs, row i of `targets` belonging to row i of `inputs`; each [batchSize, dim]. */
  nextPairs(batchSize: number): { inputs: Float32Array; targets: Float32Array };
}

/** Does `source` give (input, target) pairs? */
export function isPaired(source: ActivationSource): source is PairedActivationSource {
  return typeof (source as Partial<PairedActivationSource>).nextPairs === 'function';
}

/** Pairs already in memory, in order, wrapping at the end (two `ArraySource`s read in step). */
export class PairedArraySource implements PairedActivationSource {
  readonly dim: number;
  readonly rows: number;
  private readonly inputs: ArraySource;
  private readonly targets: ArraySource;

  /** @param inputs row-major [rows, dim] @param targets row-major [rows, dim]; kept by reference. */
  constructor(inputs: Float32Array, targets: Float32Array, dim: number) {
    this.inputs = new ArraySource(inputs, dim);
    if (targets.length !== inputs.length) {
      throw new InputError('targets', `need one row per input row (${inputs.length} values), got ${targets.length}`);
    }
    this.targets = new ArraySource(targets, dim);
    this.dim = dim;
    this.rows = this.inputs.rows;
  }

  nextPairs(batchSize: number): { inputs: Float32Array; targets: Float32Array } {
    return { inputs: this.inputs.nextBatch(batchSize), targets: this.targets.nextBatch(batchSize) };
  }

  nextBatch(batchSize: number): Float32Array {
    return this.nextPairs(batchSize).inputs;
  }

  /** The stream position (both halves share it). */
  getState(): { cursor: number; epoch: number } {
    return this.inputs.getState();
  }

  /** Restores a position from `getState()`. */
  setState(state: { cursor: number; epoch: number }): void {
    this.inputs.setState(state);
    this.targets.setState(state);
  }
}

/**
 * One upstream stream read by several consumers in lockstep: `teeSource(source, n)` returns n
 * sources, and the j-th `nextBatch(B)` of every one of them returns the same rows, the upstream's
 * j-th batch, drawn once. What lets several trainers (different architectures) see the same
 * data while an expensive generator runs only once. A batch is freed when every consumer has
 * read it; consumers must ask for the same batch size at the same position (else an InputError).
 */
export function teeSource(source: ActivationSource, consumers: number): ActivationSource[] {
  checkInt('consumers', consumers, 1);
  const queue: Float32Array[] = []; // batches drawn and not yet read by every consumer
  let first = 0; // index of queue[0] in the upstream's sequence of batches
  const next = new Array<number>(consumers).fill(0); // the batch each consumer reads next
  const read = (c: number, batchSize: number): Float32Array => {
    checkBatchSize(batchSize, source.dim);
    const j = next[c];
    if (j - first === queue.length) queue.push(source.nextBatch(batchSize));
    const batch = queue[j - first];
    if (batch.length !== batchSize * source.dim)
      throw new InputError(
        'batchSize',
        `consumer ${c} asks for ${batchSize} rows where the others read ${batch.length / source.dim}`,
      );
    next[c] = j + 1;
    while (queue.length > 0 && next.every((n) => n > first)) {
      queue.shift();
      first++;
    }
    return batch.slice();
  };
  return Array.from({ length: consumers }, (_, c) => ({ dim: source.dim, nextBatch: (b: number) => read(c, b) }));
}
