/**
 * Rows that a model computes asynchronously, many at a time, served to a trainer in batches.
 *
 * Lessons 9 and 10 train on a character model's activations as it reads random text windows.
 * Running the model on 8 windows per step pays its fixed per-op cost every step; running it on
 * 64 windows every 8th step pays it once for 8 steps, with the same rows (each batch is still 8
 * random windows, now drawn 64 at a time). `fill(rows)` computes blocks until at least `rows`
 * are held (the model's read-back is asynchronous: no device sync on WebGL or WebGPU); the trainer
 * then reads them synchronously, in order, through `nextBatch` or, for (input, target) pairs,
 * `nextPairs`.
 */
import { ConfigError, InputError, checkInt } from '../base/errors';
import type { PairedActivationSource } from './source';

/** One computed block: the inputs, and their targets for a paired source; row-major [rows, dim] each. */
export interface RowBlock {
  inputs: Float32Array;
  targets?: Float32Array;
}

/** Serves the rows of blocks computed by `computeBlock`, in order; `fill` before reading. */
export class BlockSource implements PairedActivationSource {
  private inputs: Float32Array = new Float32Array(0);
  private targets: Float32Array | null = null;
  /** First row not yet served. */
  private cursor = 0;
  /** Whether the blocks carry targets: set by the first block. */
  private paired: boolean | null = null;

  /**
   * @param dim the width of a row
   * @param computeBlock the next block of rows (a model run over fresh windows); every block of a
   *   source has targets, or none has
   */
  constructor(
    readonly dim: number,
    private readonly computeBlock: () => Promise<RowBlock>,
  ) {
    checkInt('dim', dim, 1);
  }

  /** Rows computed and not yet served. */
  get rowsHeld(): number {
    return this.inputs.length / this.dim - this.cursor;
  }

  /** Computes blocks until at least `rows` rows are held (none when they already are). */
  async fill(rows: number): Promise<void> {
    checkInt('rows', rows, 1);
    while (this.rowsHeld < rows) {
      const block = await this.computeBlock();
      const { inputs, targets } = block;
      if (inputs.length === 0 || inputs.length % this.dim !== 0)
        throw new InputError(
          'block.inputs',
          `length ${inputs.length} is not a positive whole number of rows of dim ${this.dim}`,
        );
      this.paired ??= targets !== undefined;
      if ((targets !== undefined) !== this.paired)
        throw new InputError(
          'block.targets',
          this.paired ? 'missing (earlier blocks had targets)' : 'given (earlier blocks had none)',
        );
      if (targets && targets.length !== inputs.length)
        throw new InputError(
          'block.targets',
          `need one row per input row (${inputs.length} values), got ${targets.length}`,
        );
      // Keep the unserved rows, then the new block.
      const at = this.cursor * this.dim;
      this.inputs = concat(this.inputs.subarray(at), inputs);
      this.targets = targets ? concat(this.targets?.subarray(at) ?? new Float32Array(0), targets) : null;
      this.cursor = 0;
    }
  }

  nextBatch(batchSize: number): Float32Array {
    return this.take(batchSize).inputs;
  }

  nextPairs(batchSize: number): { inputs: Float32Array; targets: Float32Array } {
    if (this.paired === false) throw new ConfigError('source', 'its blocks have no targets (not a paired source)');
    const { inputs, targets } = this.take(batchSize);
    return { inputs, targets: targets as Float32Array };
  }

  /** The next `batchSize` rows (fresh arrays), or an InputError when fewer are held. */
  private take(batchSize: number): { inputs: Float32Array; targets: Float32Array | null } {
    checkInt('batchSize', batchSize, 1);
    if (batchSize > this.rowsHeld)
      throw new InputError('batchSize', `${batchSize} rows asked, ${this.rowsHeld} held: await fill(rows) first`);
    const [from, to] = [this.cursor * this.dim, (this.cursor + batchSize) * this.dim];
    this.cursor += batchSize;
    return { inputs: this.inputs.slice(from, to), targets: this.targets?.slice(from, to) ?? null };
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
