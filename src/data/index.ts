/** Data sources: MNIST, synthetic features with ground truth, readers, the activation buffer. */
/** IDX bytes (MNIST's format) and image-set helpers: parseIdx, toImageSet, binarisation modes. */
export * from './idx';
export * from './lm';
