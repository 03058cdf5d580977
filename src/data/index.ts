/** Data sources: MNIST, synthetic features with ground truth, readers, the activation buffer. */
/** IDX bytes (MNIST's format) and image-set helpers: parseIdx, toImageSet, binarisation modes. */
export * from './idx';
/** The ActivationSource interface every activation stream implements, and ArraySource for rows in memory. */
export * from './source';
/** Synthetic features with ground truth: SuperpositionData, HierarchicalData (the absorption toy). */
export * from './synthetic';
/** SynthBench: SynthSAEBench's known-truth generator with its published parameters, at laptop scale. */
export * from './synth-bench';
/** The earlier known-truth generator, kept as the preset 'gensparse-v1'. */
export * from './synth-bench-v1';
/** Both generators by name: createSynthBench('synth-sae-bench' | 'gensparse-v1', ...). */
export * from './synth-bench-presets';
/** The activation mixing buffer (shuffled or sequential), itself an ActivationSource. */
export * from './buffer';
/** Rows a model computes asynchronously a block at a time (many text windows), served in batches. */
export * from './block-source';
export * from './lm';
