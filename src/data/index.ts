/** Data sources: MNIST, synthetic features with ground truth, readers, the activation buffer. */
/** IDX bytes (MNIST's format) and image-set helpers: parseIdx, toImageSet, binarisation modes. */
export * from './idx';
/** The ActivationSource interface every activation stream implements, and ArraySource for rows in memory. */
export * from './source';
/** Synthetic features with ground truth: SuperpositionData, HierarchicalData (the absorption toy). */
export * from './synthetic';
/** SynthBench: a SynthSAEBench-style known-truth generator (Zipf, hierarchy, correlations) at laptop scale. */
export * from './synth-bench';
/** Ground-truth metrics: mean max cosine similarity, recovered features, absorption rate. */
export * from './metrics';
/** The activation mixing buffer (shuffled or sequential), itself an ActivationSource. */
export * from './buffer';
export * from './lm';
