/**
 * Small helpers for the WebGL (GLSL ES 3.00 via `backend.runWebGLProgram`) and WebGPU (WGSL via
 * `backend.runWebGPUProgram`) kernels. Nothing here imports a GPU backend package: the program
 * objects are plain data, so this file loads in Node too (the kernels simply never run there).
 */
import * as tf from '@tensorflow/tfjs';

/** A WebGL GPGPU program as tfjs-backend-webgl expects it. */
export interface GLProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms?: { name: string; type: 'float' | 'int' | 'ivec2' | 'vec2' }[];
}

interface GLBackend {
  runWebGLProgram(
    program: GLProgram,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms?: number[][],
  ): tf.TensorInfo;
}

/**
 * Runs a GLSL program on the webgl backend (its compiled-program cache keys on the code). An
 * int32 output is stored as floats like tfjs's own int kernels (ArgMax); setOutput writes a float.
 */
export function runGL(
  backend: unknown,
  program: GLProgram,
  inputs: tf.TensorInfo[],
  uniforms?: number[][],
  dtype: 'float32' | 'int32' = 'float32',
): tf.TensorInfo {
  return (backend as GLBackend).runWebGLProgram(program, inputs, dtype, uniforms);
}

/** A WebGPU compute program as tfjs-backend-webgpu expects it (flat dispatch, one thread per output). */
export interface GPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  size: boolean;
  workgroupSize: [number, number, number];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  uniforms?: string;
  getUserCode: () => string;
}

interface GPUBackend {
  runWebGPUProgram(
    program: GPUProgram,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

/**
 * A flat WebGPU program: `body` is WGSL run for each output `index` (< uniforms.size); it must
 * call setOutputAtIndex(index, value). Compiled shaders are cached by `shaderKey` plus the
 * shapes, not by the code, so the key must name everything baked into the code.
 */
export function gpuProgram(
  shaderKey: string,
  variableNames: string[],
  outputShape: number[],
  body: string,
  options: { uniforms?: string; helpers?: string } = {},
): GPUProgram {
  const size = outputShape.reduce((a, b) => a * b, 1);
  const workgroupSize: [number, number, number] = [64, 1, 1];
  return {
    variableNames,
    outputShape,
    shaderKey,
    size: true,
    workgroupSize,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / workgroupSize[0]), 1, 1], // the backend reshapes it past the per-dimension limit
    uniforms: options.uniforms,
    getUserCode: () => `
      ${options.helpers ?? ''}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/**
 * Runs a WGSL program on the webgpu backend. With an int32 output, setOutputAtIndex still takes
 * an f32 (tfjs converts it). Input getters return f32 whatever the input's dtype.
 */
export function runGPU(
  backend: unknown,
  program: GPUProgram,
  inputs: tf.TensorInfo[],
  uniforms?: { type: string; data: number[] }[],
  dtype: 'float32' | 'int32' = 'float32',
): tf.TensorInfo {
  return (backend as GPUBackend).runWebGPUProgram(program, inputs, dtype, uniforms);
}

/** A float literal for GLSL/WGSL code ("1.0", "0.5", "-2.5e-7"). */
export function floatLiteral(x: number): string {
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** zeros with x's shape on the backend running the kernel (tfjs's own ZerosLike kernel). */
export function zerosLike(x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  const backendName = tf.getBackend();
  const kernel = tf.getKernel('ZerosLike', backendName);
  if (!kernel) throw new Error(`no ZerosLike kernel on ${backendName}`);
  return kernel.kernelFunc({ inputs: { x }, backend: backend as tf.KernelBackend, attrs: {} }) as tf.TensorInfo;
}

/** Frees an intermediate result of a GPU kernel (one the kernel does not return): the JS kernels' helper. */
export { disposeInfo } from './js-kernel';
