/**
 * gensparse in the browser: the browser-safe public API (everything in `src/index.ts`
 * except the Node-only parts) plus the browser backend loader. The lesson site bundles
 * this file; panels import from it.
 */
export * from './core';
export * from './core/backend-browser';
export * from './vae';
export * from './sae';
export * from './data';
export * from './analysis';
/** The hot-path kernels (TopK, sparse decode, JumpReLU, Matryoshka loss, sampling, Adam), each beside its reference: `kernels.sparseDecode(...)`. */
export * as kernels from '../kernels';
