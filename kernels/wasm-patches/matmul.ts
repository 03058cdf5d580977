/**
 * Fast transposed matmuls on the wasm backend.
 *
 * tfjs-backend-wasm hands a matmul to XNNPACK only when neither input is transposed
 * (tfjs PR #2532); `transposeA`/`transposeB` fall back to a slow loop. Autodiff's matmul
 * gradients are exactly those transposed forms (dA = dY B^T, dB = A^T dY), so every
 * backward pass took the slow path (the timings are in the README's benchmark table, `core`).
 *
 * The fix: wrap the wasm `BatchMatMul` and `_FusedMatMul` kernels so that a transposed
 * input is transposed explicitly first (an O(size) copy, on the SIMD transpose installed with them:
 * transpose.ts), then the plain XNNPACK path runs.
 *
 * The same holds for a batch: tfjs's wasm `BatchMatMul` reaches XNNPACK only for one matrix
 * pair; a rank-3 product [S,M,K] x [S,K,N] with S > 1 (a stack of models) took the slow loop,
 * far slower than S separate matmuls (`npm run bench -- sae-stack` times both). So
 * a batched `BatchMatMul` runs as S plain products on slices of the inputs (a batch of 1 on
 * either side broadcasts), concatenated. `_FusedMatMul` keeps tfjs's batch handling (the package
 * does not call it with a batch).
 * Each XNNPACK call has a fixed cost (an operator set up for new weights, the thread pool woken), so
 * per-pair calls pay only from `PER_ITEM_MIN_MACS` multiply-adds per pair (a [256,64] x [64,256]
 * stack item; attention's per-head products ran several times slower one call per pair). Smaller
 * pairs run as one batch in a WebAssembly SIMD loop (small-matmul.ts; tfjs's own loop for them ran at
 * about 1 GFLOP/s), or on tfjs's loop where that does not apply (N not a multiple of 4, int32).
 * Results are identical up to float summation order; `tests/kernels/wasm-matmul.test.ts` checks.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeInfo, runJs } from '../shared/js-kernel';
import { smallMatMulSimd } from './small-matmul';
import { installFastWasmTranspose, uninstallFastWasmTranspose } from './transpose';

type KernelArgs = Parameters<tf.KernelFunc>[0];
const WRAPPED = ['BatchMatMul', '_FusedMatMul'] as const;
const originals = new Map<string, tf.KernelConfig>();

/** Multiply-adds (M * K * N) of one matrix pair from which a batch runs as one XNNPACK call per pair. */
export const PER_ITEM_MIN_MACS = 2 ** 22;

/** Is the fast path installed on the wasm backend? */
export function fastWasmMatMulInstalled(): boolean {
  return originals.size > 0;
}

/**
 * Installs the explicit-transpose wrappers (idempotent). Call after the wasm backend is registered.
 * `perItemMinMacs`: the per-pair size from which a batch runs pair by pair (default
 * `PER_ITEM_MIN_MACS`; tests set 0 to check that path on small inputs).
 */
export function installFastWasmMatMul({ perItemMinMacs = PER_ITEM_MIN_MACS }: { perItemMinMacs?: number } = {}): void {
  if (originals.size > 0) return;
  if (!tf.getKernel('Transpose', 'wasm')) throw new Error('installFastWasmMatMul: the wasm backend is not registered');
  installFastWasmTranspose(); // the explicit transposes below run on it
  const helpers = ['Reshape', 'Slice', 'Concat'].map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
  if (helpers.some((k) => k === undefined)) throw new Error('installFastWasmMatMul: wasm lacks Reshape/Slice/Concat');
  const [reshape, slice, concat] = helpers as tf.KernelFunc[];
  for (const name of WRAPPED) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue;
    originals.set(name, original);
    tf.unregisterKernel(name, 'wasm');
    const plain =
      name === 'BatchMatMul'
        ? perBatchItem(original.kernelFunc, { reshape, slice, concat }, perItemMinMacs)
        : original.kernelFunc;
    tf.registerKernel({ ...original, kernelFunc: withExplicitTranspose(plain) });
  }
}

/** Restores tfjs's own kernels (used by the benchmark to measure before/after in one run). */
export function uninstallFastWasmMatMul(): void {
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  originals.clear();
  uninstallFastWasmTranspose();
}

function withExplicitTranspose(matMul: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const transpose = (tf.getKernel('Transpose', 'wasm') as tf.KernelConfig).kernelFunc; // the installed one
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
    for (const t of temporaries) disposeInfo(backend, t);
    return result;
  };
}

/**
 * An untransposed `BatchMatMul` of a batch of S > 1 as S products of one matrix pair each (the
 * XNNPACK path): a [..., M, K] and b [..., K, N] flattened to [Sa, M, K] and [Sb, K, N] (Sa, Sb
 * equal, or one of them 1 and broadcast), item i = a[Sa = 1 ? 0 : i] x b[Sb = 1 ? 0 : i], then
 * concatenated and shaped [...broadcast batch dims, M, N]. Pairs of fewer than `minMacs`
 * multiply-adds run on tfjs's own batched loop.
 */
function perBatchItem(
  matMul: tf.KernelFunc,
  k: { reshape: tf.KernelFunc; slice: tf.KernelFunc; concat: tf.KernelFunc },
  minMacs: number,
): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, backend } = args;
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const sa = batchA.reduce((x, y) => x * y, 1);
    const sb = batchB.reduce((x, y) => x * y, 1);
    const [m, inner] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    if (Math.max(sa, sb) <= 1) return matMul(args);
    if (m * inner * n < minMacs) return smallPairs(args, [sa, sb], [m, inner, n]) ?? matMul(args);
    const temporaries: tf.TensorInfo[] = [];
    const run = (kernel: tf.KernelFunc, kernelInputs: KernelArgs['inputs'], attrs: object): tf.TensorInfo => {
      const out = kernel({ inputs: kernelInputs, backend, attrs: attrs as KernelArgs['attrs'] }) as tf.TensorInfo;
      temporaries.push(out);
      return out;
    };
    const a3 = run(k.reshape, { x: a }, { shape: [sa, m, inner] });
    const b3 = run(k.reshape, { x: b }, { shape: [sb, inner, n] });
    const items: tf.TensorInfo[] = [];
    for (let i = 0; i < Math.max(sa, sb); i++) {
      const ai = run(k.slice, { x: a3 }, { begin: [sa === 1 ? 0 : i, 0, 0], size: [1, m, inner] });
      const bi = run(k.slice, { x: b3 }, { begin: [sb === 1 ? 0 : i, 0, 0], size: [1, inner, n] });
      const ci = matMul({ ...args, inputs: { a: ai, b: bi } }) as tf.TensorInfo;
      temporaries.push(ci);
      items.push(ci);
    }
    const joined = run(k.concat, items as unknown as KernelArgs['inputs'], { axis: 0 });
    const batch = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
    const out = k.reshape({ inputs: { x: joined }, backend, attrs: { shape: [...batch, m, n] } }) as tf.TensorInfo;
    // Reshape shares its input's data and counts a reference: freeing every temporary leaves `out` its own.
    for (const t of temporaries) disposeInfo(backend, t);
    return out;
  };
}

/**
 * A batch of small pairs in one call of the SIMD loop (small-matmul.ts), or null where it does not
 * apply (not float32, N not a multiple of 4, batch shapes that broadcast other than one side of 1).
 */
function smallPairs(
  { inputs, backend }: KernelArgs,
  [sa, sb]: [number, number],
  [m, inner, n]: [number, number, number],
): tf.TensorInfo | null {
  const a = inputs.a as tf.TensorInfo;
  const b = inputs.b as tf.TensorInfo;
  const simd = smallMatMulSimd(backend);
  if (!simd || a.dtype !== 'float32' || b.dtype !== 'float32' || n % 4 !== 0) return null;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const sameBatch = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
  if (!(sameBatch || sa === 1 || sb === 1)) return null;
  const batch = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
  const [out] = runJs(backend, [a, b], [{ shape: [...batch, m, n], dtype: 'float32' }], ([av, bv], [cv]) =>
    simd.matmul(
      av.byteOffset,
      bv.byteOffset,
      cv.byteOffset,
      Math.max(sa, sb),
      m,
      inner,
      n,
      sa === 1 ? 0 : m * inner * 4,
      sb === 1 ? 0 : inner * n * 4,
    ),
  );
  return out;
}
