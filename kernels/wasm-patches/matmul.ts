/**
 * Fast transposed matmuls on the wasm backend.
 *
 * tfjs-backend-wasm hands a matmul to XNNPACK only when neither input is transposed
 * (tfjs PR #2532); `transposeA`/`transposeB` fall back to a slow loop. Autodiff's matmul
 * gradients are exactly those transposed forms (dA = dY B^T, dB = A^T dY), so every
 * backward pass took the slow path (the timings are in the README's benchmark table, `core`).
 *
 * The fix: wrap the wasm `BatchMatMul` and `_FusedMatMul` kernels so that a transposed
 * input is transposed explicitly first (an O(size) copy), then the plain XNNPACK path runs.
 * Results are identical up to float summation order; `tests/kernels/wasm-matmul.test.ts` checks.
 */
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
const WRAPPED = ['BatchMatMul', '_FusedMatMul'] as const;
const originals = new Map<string, tf.KernelConfig>();

/** Is the fast path installed on the wasm backend? */
export function fastWasmMatMulInstalled(): boolean {
  return originals.size > 0;
}

/** Installs the explicit-transpose wrappers (idempotent). Call after the wasm backend is registered. */
export function installFastWasmMatMul(): void {
  if (originals.size > 0) return;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) throw new Error('installFastWasmMatMul: the wasm backend is not registered');
  for (const name of WRAPPED) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue;
    originals.set(name, original);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: withExplicitTranspose(original.kernelFunc, transpose.kernelFunc) });
  }
}

/** Restores tfjs's own kernels (used by the benchmark to measure before/after in one run). */
export function uninstallFastWasmMatMul(): void {
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  originals.clear();
}

function withExplicitTranspose(matMul: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return matMul(args);
    const temporaries: tf.TensorInfo[] = [];
    const swapLastTwo = (x: tf.TensorInfo): tf.TensorInfo => {
      const rank = x.shape.length;
      const perm = [...Array(rank).keys()];
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
      const out = transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
      temporaries.push(out);
      return out;
    };
    const a = transposeA ? swapLastTwo(inputs.a as tf.TensorInfo) : inputs.a;
    const b = transposeB ? swapLastTwo(inputs.b as tf.TensorInfo) : inputs.b;
    const result = matMul({
      inputs: { ...inputs, a, b },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    for (const t of temporaries) (backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
    return result;
  };
}
