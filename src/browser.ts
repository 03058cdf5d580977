/**
 * gensparse in the browser: the browser-safe public API (everything in `src/index.ts`
 * except the Node-only parts) plus the browser backend loader. The lesson site bundles
 * this file (public/build/js/gensparse.js); panels import the modules they use directly.
 */
export * from './core';
export * from './core/backend-browser';
export * from './vae';
export * from './sae';
/** The SAE evaluation suite: splicing, SAEBench record, known truth, absorption, stability, dashboards, steering. */
export * from './sae/eval';
export * from './data';
export * from './analysis';
export * as kernels from '../kernels';
