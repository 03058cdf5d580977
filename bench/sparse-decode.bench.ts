/**
 * `npm run bench -- sparse-decode`: the sparse decode (kernels/sparse-decode) forward + backward
 * at n=16384, d=512, k=32, B=1024 against its memory floor, as a training step uses it: the
 * gradients stay on the backend (Adam consumes them there), so only a checksum of each is read
 * back. The kernel suite's row (kernels section) also reads the dense dW_dec [n, d] back to
 * JavaScript (a 32 MiB copy no training step makes); that figure is repeated here for comparison.
 *
 * Memory floor = bytes the op must move once / copy bandwidth measured in this run:
 *   forward reads the K touched rows of W per input (at most all of W) and writes xhat;
 *   backward reads dy and W again, writes dW (dense) and dValues.
 *   Counted as in the kernel suite: (3 n d + 2 B d + 3 B k) floats.
 */
import * as tf from '@tensorflow/tfjs';
import * as kernels from '../kernels';
import { Rng } from '../src/core/random';
import { type BenchRow, timeIt } from '../kernels/bench/harness';

/** Copy bandwidth (bytes/ms) of a 64 MiB Float32Array copy, best of 5. */
function copyBandwidth(): number {
  const a = new Float32Array(16 * 1024 * 1024);
  for (let i = 0; i < a.length; i += 1024) a[i] = i;
  const b = new Float32Array(a.length);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    b.set(a);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * a.byteLength) / best;
}

export default async function (): Promise<BenchRow[]> {
  const n = 16384;
  const d = 512;
  const k = 32;
  const b = 1024;
  const rng = new Rng(41);
  const { values, indices } = tf.tidy(() => {
    const top = tf.topk(rng.randomUniform([b, n]), k);
    return { values: top.values as tf.Tensor2D, indices: top.indices as tf.Tensor2D };
  });
  const w = rng.randomNormal([n, d]).mul(0.05) as tf.Tensor2D;
  const bDec = rng.randomNormal([d]).mul(0.01) as tf.Tensor1D;
  const gradsOf = (fn: typeof kernels.sparseDecode) =>
    tf.grads((v: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      fn(v as tf.Tensor2D, indices, ww as tf.Tensor2D, bb as tf.Tensor1D)
        .square()
        .sum(),
    )([values, w, bDec]);
  /** One scalar per call: the sum of every gradient's sum (forces the work, reads 4 bytes). */
  const checksum = (fn: typeof kernels.sparseDecode) => () =>
    tf.tidy(() => tf.addN(gradsOf(fn).map((g) => g.sum())) as tf.Scalar);

  const bandwidth = copyBandwidth();
  const floor = ((3 * n * d + 2 * b * d + 3 * b * k) * 4) / bandwidth;
  const forwardFloor = ((n * d + b * d + 2 * b * k) * 4) / bandwidth;
  const dense = await timeIt(checksum(kernels.sparseDecodeReference), { warmup: 1, reps: 1 });
  const forward = await timeIt(() => kernels.sparseDecode(values, indices, w, bDec).sum(), { reps: 5 });
  const both = await timeIt(checksum(kernels.sparseDecode), { reps: 5 });
  const withReadback = await timeIt(() => gradsOf(kernels.sparseDecode), { reps: 3 });
  tf.dispose([values, indices, w, bDec]);

  const size = `n=${n} d=${d} k=${k} B=${b}`;
  const ratio = (ms: number, f: number) => `floor ${f.toFixed(1)} ms; time/floor ${(ms / f).toFixed(1)}`;
  return [
    {
      section: 'sparse-decode',
      name: `sparse decode forward ${size}`,
      fastMs: forward,
      note: `${ratio(forward, forwardFloor)} (copy bandwidth ${(bandwidth / 1e6).toFixed(1)} GB/s)`,
    },
    {
      section: 'sparse-decode',
      name: `sparse decode fwd+bwd ${size}, gradients left on the backend (reference: dense decode)`,
      referenceMs: dense,
      fastMs: both,
      note: ratio(both, floor),
    },
    {
      section: 'sparse-decode',
      name: `sparse decode fwd+bwd ${size}, dense dW_dec read back to JS (the kernels section's way)`,
      fastMs: withReadback,
      note: `${ratio(withReadback, floor)}; the read-back alone is ${(withReadback - both).toFixed(0)} ms`,
    },
  ];
}
