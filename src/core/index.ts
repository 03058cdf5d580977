/**
 * The shared tensor core (browser-safe): seeded randomness, parameters, Adam, the training
 * loop, safetensors bytes, backend selection. Node-only parts are in `./node`.
 */
export * from './errors';
export * from './autodiff';
export * from './limits';
export * from './random';
export * from './params';
export * from './optim';
export * from './train';
export * from './safetensors';
export * from './backend';
export * from './wasm-matmul';
export * from './wasm-identity';
