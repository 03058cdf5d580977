/**
 * The shared tensor core (browser-safe): seeded randomness, parameters, Adam, the training
 * loop, safetensors bytes, backend selection. Node-only parts are in `./node`.
 */
export * from '../base/errors';
export * from '../base/autodiff';
export * from './limits';
export * from './random';
export * from './params';
export * from './optim';
export * from './train';
export * from './safetensors';
export * from './backend';
export * from '../../kernels/wasm-patches/matmul';
export * from '../../kernels/wasm-patches/identity';
