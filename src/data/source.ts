/**
 * The interface every stream of activation vectors implements: synthetic features, the
 * activation buffer, .npy and .safetensors files, a model's hidden layer. The SAE trainer
 * reads batches from it and never needs to know where they come from.
 */

/** An endless (or wrapping) stream of `dim`-dimensional activation vectors. */
export interface ActivationSource {
  /** Length of each activation vector (D). */
  readonly dim: number;
  /** The next `batchSize` vectors, row-major: a fresh Float32Array of `batchSize * dim` values. */
  nextBatch(batchSize: number): Float32Array;
}
