/**
 * tfjs's wasm `Identity` kernel copies its input. Identity is what `tf.clone` runs, and autodiff
 * clones every tensor a gradient needs (`inputsToSave`) while recording the forward pass, so on
 * wasm each recorded matmul or decode copied its weights: 32 MiB for an SAE's W_dec [16384, 512]
 * on every step, as long as the decode itself. tfjs tensors are immutable (no kernel writes into
 * an input), so the copy can share the input's memory instead and count one more reference, which
 * is what tfjs's cpu backend and the wasm `Reshape` kernel already do.
 */
import * as tf from '@tensorflow/tfjs';

let original: tf.KernelConfig | null = null;

interface RefCounted {
  incRef(dataId: tf.DataId): void;
}

/** Replaces the wasm Identity kernel with one that shares memory (idempotent). Call after the wasm backend is registered. */
export function installSharedWasmIdentity(): void {
  if (original) return;
  const stock = tf.getKernel('Identity', 'wasm');
  if (!stock) throw new Error('installSharedWasmIdentity: the wasm backend is not registered');
  original = stock;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return stock.kernelFunc(args);
      (args.backend as unknown as RefCounted).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

/** Restores tfjs's copying Identity (the benchmark measures both). */
export function uninstallSharedWasmIdentity(): void {
  if (!original) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel(original);
  original = null;
}
