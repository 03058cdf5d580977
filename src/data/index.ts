/** Data sources: MNIST, synthetic features with ground truth, readers, the activation buffer. */
export * from './lm';
