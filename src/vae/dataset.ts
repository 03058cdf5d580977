/**
 * Datasets as flat arrays (browser-safe): rows, minibatches, and the stochastic
 * binarisation used for "binarised MNIST".
 */
import { type BatchSource, InputError, Rng, checkInt } from '../core';
import { binarize } from '../data/idx';

/** A dataset of n rows of `dim` floats, row-major, with an optional label per row. */
export interface ArrayDataset {
  /** [n * dim] row-major values. */
  x: Float32Array;
  n: number;
  dim: number;
  /** One class label per row (mixture component, digit), if known. */
  labels?: Int32Array | Uint8Array;
}

/** Throws an InputError unless `data` is consistent (x.length = n * dim) and finite. */
export function checkDataset(argument: string, data: ArrayDataset): void {
  checkInt(`${argument}.n`, data.n, 1);
  checkInt(`${argument}.dim`, data.dim, 1);
  if (data.x.length !== data.n * data.dim) {
    throw new InputError(`${argument}.x`, `length ${data.x.length} is not n * dim = ${data.n} * ${data.dim}`);
  }
  for (let i = 0; i < data.x.length; i++) {
    if (!Number.isFinite(data.x[i])) {
      throw new InputError(
        `${argument}.x`,
        `must be finite, found ${data.x[i]} at row ${Math.floor(i / data.dim)}, column ${i % data.dim}`,
      );
    }
  }
}

/** The first `n` rows (or rows [start, start + n)) as a new dataset sharing no memory. */
export function sliceRows(data: ArrayDataset, start: number, n: number): ArrayDataset {
  checkInt('start', start, 0, data.n - 1);
  checkInt('n', n, 1, data.n - start);
  return {
    x: data.x.slice(start * data.dim, (start + n) * data.dim),
    n,
    dim: data.dim,
    labels: data.labels?.slice(start, start + n),
  };
}

/**
 * Rows `indices` of a dataset, copied into one flat array [indices.length * dim].
 */
export function copyRows(data: ArrayDataset, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * data.dim);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    out.set(data.x.subarray(i * data.dim, (i + 1) * data.dim), r * data.dim);
  }
  return out;
}

/**
 * An in-memory dataset as a trainer's batch source: rows in a shuffled order, reshuffled after
 * each pass, optionally binarised afresh per batch ('dynamic', Burda et al. 2015's protocol).
 * One generator (seeded) draws the order and the binarisation, so a run replays from its seed.
 */
export class DatasetSource implements BatchSource {
  readonly dim: number;
  private readonly rng: Rng;
  private readonly order: Int32Array;
  private cursor = 0;

  constructor(
    readonly data: ArrayDataset,
    readonly options: { seed: number; binarize: 'none' | 'dynamic' },
  ) {
    this.dim = data.dim;
    this.rng = new Rng(options.seed);
    this.order = this.rng.shuffle(Int32Array.from({ length: data.n }, (_, i) => i)) as Int32Array;
  }

  /** The stream position (generator, order, cursor), so a resumed training run draws the same batches. */
  getState(): { rng: number[]; order: number[]; cursor: number } {
    return { rng: this.rng.getState(), order: Array.from(this.order), cursor: this.cursor };
  }

  /** Restores a position from `getState()`. */
  setState(state: { rng: number[]; order: number[]; cursor: number }): void {
    if (!Array.isArray(state?.order) || state.order.length !== this.order.length) {
      throw new InputError('state.order', `must be a permutation of ${this.order.length} rows`);
    }
    this.rng.setState(state.rng);
    this.order.set(state.order);
    this.cursor = checkInt('state.cursor', state.cursor, 0, this.order.length);
  }

  /** The next `batchSize` rows [batchSize * dim] (reshuffling after each pass over the data). */
  nextBatch(batchSize: number): Float32Array {
    const idx = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      if (this.cursor >= this.order.length) {
        this.rng.shuffle(this.order);
        this.cursor = 0;
      }
      idx[i] = this.order[this.cursor++];
    }
    const rows = copyRows(this.data, idx);
    return this.options.binarize === 'dynamic' ? binarize(rows, this.rng) : rows;
  }
}
