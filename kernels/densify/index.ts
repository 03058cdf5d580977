/**
 * Densify (sparse code -> dense [B,N]): the op's entry. It runs reference.ts on every backend;
 * the WebGL/WebGPU `densify` kernels serve only the sparse decode's backward (sparse-decode/index.ts).
 */
export { densify, rowColumnPairs } from './reference';
