/**
 * gensparse: Gaussian VAEs and sparse autoencoders on one TensorFlow.js core.
 *
 * This is the Node entry point: everything in the browser bundle (`src/browser.ts`)
 * plus the Node-only parts (backend loader, files, progress bar).
 */
export * from './core';
export * from './core/node';
export * from './vae';
export * from './vae/node';
export * from './sae';
/** The SAE evaluation suite: splicing, SAEBench record, known truth, absorption, stability, dashboards, steering. */
export * from './sae/eval';
export * from './sae/node';
export * from './data';
export * from './data/node';
export * from './analysis';
/** The hot-path kernels (TopK, sparse decode, JumpReLU, Matryoshka loss, sampling, Adam), each beside its reference: `kernels.sparseDecode(...)`. */
export * as kernels from '../kernels';
export * from './analysis/node';
