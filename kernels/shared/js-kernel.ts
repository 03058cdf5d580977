/**
 * Plain-JavaScript kernels over typed arrays, registered for the `cpu` and `wasm` backends.
 *
 * One kernel body serves both: `runJs` hands it the inputs and outputs as typed arrays.
 *   cpu:  inputs come from `backend.readSync` (the stored arrays, no copy); outputs are fresh
 *         arrays handed over with `backend.makeTensorInfo`.
 *   wasm: outputs are allocated on the wasm heap first (`backend.makeOutput`), then every view
 *         is taken with `backend.typedArrayFromHeap` (an allocation can grow the heap and
 *         detach older views), so the kernel reads and writes the heap in place.
 * With `setPoisonOutputs(true)` (tests) every output is filled with NaN (float) or
 * 0x7fffffff (int) before the kernel runs, so an element the kernel forgets to write fails.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../src/base/errors';

/** Backends that run the JS kernels. */
export const JS_BACKENDS = ['cpu', 'wasm'] as const;

export type Typed = Float32Array | Int32Array;
interface OutSpec {
  shape: number[];
  dtype: 'float32' | 'int32';
}

interface CpuLike {
  readSync(id: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Typed): tf.TensorInfo;
}
interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Typed;
}

let poison = false;

/** Tests: fill every JS kernel output with NaN / 0x7fffffff before the kernel writes it. */
export function setPoisonOutputs(on: boolean): void {
  poison = on;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function poisonFill(out: Typed): void {
  if (out instanceof Float32Array) out.fill(NaN);
  else out.fill(0x7fffffff);
}

/**
 * Runs `compute(inputs, outputs)` on typed arrays and returns the outputs as TensorInfos.
 * `compute` must write every element of every output.
 */
export function runJs(
  backend: unknown,
  inputs: tf.TensorInfo[],
  outputs: OutSpec[],
  compute: (ins: Typed[], outs: Typed[]) => void,
): tf.TensorInfo[] {
  const wasm = backend as unknown as Partial<WasmLike>;
  if (typeof wasm.typedArrayFromHeap === 'function' && typeof wasm.makeOutput === 'function') {
    const infos = outputs.map((o) => wasm.makeOutput!(o.shape, o.dtype));
    const ins = inputs.map((t) => wasm.typedArrayFromHeap!(t));
    const outs = infos.map((t) => wasm.typedArrayFromHeap!(t));
    if (poison) outs.forEach(poisonFill);
    compute(ins, outs);
    return infos;
  }
  const cpu = backend as unknown as CpuLike;
  const ins = inputs.map((t) => cpu.readSync(t.dataId) as Typed);
  const outs = outputs.map((o) =>
    o.dtype === 'int32' ? new Int32Array(size(o.shape)) : new Float32Array(size(o.shape)),
  );
  if (poison) outs.forEach(poisonFill);
  compute(ins, outs);
  return outs.map((arr, i) => cpu.makeTensorInfo(outputs[i].shape, outputs[i].dtype, arr));
}

/** Frees an intermediate result of a kernel (one it does not return), on any backend. */
export function disposeInfo(backend: unknown, t: tf.TensorInfo): void {
  (backend as tf.KernelBackend).disposeData(t.dataId);
}

/** The name of a JS backend instance: 'wasm' (a heap to read views from) or 'cpu'. */
function jsBackendName(backend: unknown): 'wasm' | 'cpu' {
  return typeof (backend as Partial<WasmLike>).typedArrayFromHeap === 'function' ? 'wasm' : 'cpu';
}

/** tfjs's own kernel `name` (BatchMatMul, Reshape, Sum, ...) on the JS backend running a kernel; `caller` names that kernel in the error. */
export function backendKernel(backend: unknown, name: string, caller: string): tf.KernelFunc {
  const backendName = jsBackendName(backend);
  const kernel = tf.getKernel(name, backendName);
  if (!kernel) throw new Error(`${caller}: no ${name} kernel on ${backendName}`);
  return kernel.kernelFunc;
}

/** Registers one kernel function for every JS backend (skipping a name already registered). */
export function registerJsKernel(kernelName: string, kernelFunc: tf.KernelFunc): void {
  for (const backendName of JS_BACKENDS) registerOnce(kernelName, backendName, kernelFunc);
}

/** tf.registerKernel unless (kernelName, backendName) is already registered (module loaded twice). */
export function registerOnce(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, backendName) == null) tf.registerKernel({ kernelName, backendName, kernelFunc });
}

/** Does the active backend have this kernel? (If not, the op runs its reference.) */
export function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) != null;
}

/**
 * THE switch between the fast kernels and the plain-tfjs references (reference.ts of each op),
 * one name for every model and every op: `useKernels`. Models take it as a config option and
 * run their forward pass inside `withKernels(useKernels, ...)`; `setUseKernels(false)` turns
 * the kernels off everywhere; the environment variable GENSPARSE_USE_KERNELS=0 forces the
 * references for a whole process (as sparsify's environment flag does).
 */
const envOff = typeof process !== 'undefined' && /^(0|false|no|off)$/i.test(process.env?.GENSPARSE_USE_KERNELS ?? '');
let globalOn = !envOff;
let scopedOn = true;

/** Turns the kernels on (default, unless the environment forces them off) or off everywhere. */
export function setUseKernels(on: boolean): void {
  if (typeof on !== 'boolean') throw new ConfigError('useKernels', `must be a boolean, got ${String(on)}`);
  globalOn = on && !envOff;
}

/** Are the kernels on (globally, and in the current `withKernels` scope)? */
export function kernelsEnabled(): boolean {
  return globalOn && scopedOn;
}

/** Runs `fn` with the kernels on or off (off: every op runs its reference.ts); restores the switch after. */
export function withKernels<T>(on: boolean, fn: () => T): T {
  const before = scopedOn;
  scopedOn = before && on;
  try {
    return fn();
  } finally {
    scopedOn = before;
  }
}

/** Should an op run its kernel on the active backend? (Kernels on, and registered here.) */
export function kernelActive(kernelName: string): boolean {
  return kernelsEnabled() && hasKernel(kernelName);
}

/** Runs a registered kernel through the engine (so the tape records it and its gradient applies). */
export function runKernel<T extends tf.Tensor | tf.Tensor[]>(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown> = {},
): T {
  return tf
    .engine()
    .runKernel(kernelName, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as unknown as T;
}

/**
 * Runs a registered kernel whose inputs are a list (a stack's members' tensors one after the
 * other): the engine names them '0', '1', ... and its gradient gets them in that order (`saveAllInputs`).
 */
export function runListKernel<T extends tf.Tensor | tf.Tensor[]>(
  kernelName: string,
  inputs: tf.Tensor[],
  attrs: Record<string, unknown> = {},
): T {
  return runKernel<T>(kernelName, inputs as unknown as Record<string, tf.Tensor>, attrs);
}

/** A list kernel's gradients by input position: `grads[i]` for input `from + i`. */
export function gradsByPosition(grads: tf.Tensor[], from = 0): Record<string, () => tf.Tensor> {
  return Object.fromEntries(grads.map((g, i) => [String(from + i), () => g]));
}
