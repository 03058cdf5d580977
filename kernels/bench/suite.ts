/**
 * Kernel benchmarks, browser-safe (the lesson site's benchmark page calls `runKernelBenchmarks`;
 * `npm run bench kernels` prints the same rows in Node). For each op: the reference path and the
 * op as the active backend runs it (its kernel where registered), timed in the same run, and
 * the kernel's floors, measured on this machine in this run:
 *   memory floor  = bytes the kernel must move (each input read once, each output written once)
 *                   / the measured copy bandwidth (a 64 MiB typed-array copy)
 *   compute floor = its FLOPs / the backend's measured matmul rate (512x256 by 256x2048)
 * and time / max(floors). Shapes ('full'): n = 16384 latents, d = 512, k = 32, B = 1024.
 */
import * as tf from '@tensorflow/tfjs';
import { sampleReparam, sampleReparamReference } from '../reparam-sample';
import { topkActivation, topkActivationReference, topkEncode, topkEncodeReference } from '../topk';
import { sparseDecode, sparseDecodeReference } from '../sparse-decode';
import { jumpRelu, jumpReluReference, jumpReluStep, jumpReluStepReference } from '../jumprelu';
import { matryoshkaAllPrefixLoss, matryoshkaAllPrefixLossReference } from '../matryoshka-loss';
import { hasKernel } from '../shared/js-kernel';
import { matryoshkaAllPrefixLossLiteral } from './baselines';

const kernels = {
  sampleReparam,
  sampleReparamReference,
  topkActivation,
  topkActivationReference,
  topkEncode,
  topkEncodeReference,
  sparseDecode,
  sparseDecodeReference,
  jumpRelu,
  jumpReluReference,
  jumpReluStep,
  jumpReluStepReference,
  matryoshkaAllPrefixLoss,
  matryoshkaAllPrefixLossReference,
  matryoshkaAllPrefixLossLiteral,
  hasKernel,
};
import { K } from '../shared/kernel-names';
import { type BenchRow, timeIt } from './harness';

export type { BenchRow } from './harness';

/** Options of a benchmark run: 'small' for a quick look (seconds), 'full' for the sizes. */
export interface KernelBenchOptions {
  size: 'small' | 'full';
  onRow?: (row: BenchRow) => void;
}

/** Copy bandwidth in bytes/ms (read + write counted) from copying a 64 MiB Float32Array. */
function measureCopyBandwidth(): number {
  const a = new Float32Array(16 * 1024 * 1024);
  for (let i = 0; i < a.length; i += 1024) a[i] = i;
  const b = new Float32Array(a.length);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    b.set(a);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * a.byteLength) / best;
}

/** Matmul rate of the active backend in FLOP/ms: [512,256] x [256,2048]. */
async function measureMatmulRate(): Promise<number> {
  const a = tf.randomNormal([512, 256], 0, 1, 'float32', 1);
  const b = tf.randomNormal([256, 2048], 0, 1, 'float32', 2);
  const ms = await timeIt(() => tf.matMul(a, b), { reps: 5 });
  tf.dispose([a, b]);
  return (2 * 512 * 256 * 2048) / ms;
}

/** Deterministic data for the benchmarks. */
function normal(shape: number[], seed: number, std = 1): tf.Tensor {
  return tf.randomNormal(shape, 0, std, 'float32', seed);
}

/** Distinct random indices per row: the top-k of a random matrix. */
function randomCode(b: number, n: number, k: number, seed: number): { values: tf.Tensor2D; indices: tf.Tensor2D } {
  return tf.tidy(() => {
    const { values, indices } = tf.topk(tf.randomUniform([b, n], 0, 1, 'float32', seed), k);
    return { values: values as tf.Tensor2D, indices: indices as tf.Tensor2D };
  });
}

/** Runs every kernel benchmark on the active backend and returns (and streams) the rows. */
export async function runKernelBenchmarks(options: KernelBenchOptions): Promise<BenchRow[]> {
  const full = options.size === 'full';
  const n = full ? 16384 : 2048,
    d = full ? 512 : 128,
    k = 32,
    b = full ? 1024 : 128;
  const reps = 3;
  const heavyReps = full ? 1 : 3; // the dense references at full size take seconds per call
  const backend = tf.getBackend();
  const rows: BenchRow[] = [];
  const bandwidth = measureCopyBandwidth(); // bytes / ms
  const flopRate = await measureMatmulRate(); // FLOP / ms
  const has = (name: string) => kernels.hasKernel(name);
  const emit = (row: BenchRow) => {
    rows.push(row);
    options.onRow?.(row);
  };
  const floorNote = (ms: number, bytes: number, flops: number, extra = '') => {
    const memFloor = bytes / bandwidth,
      flopFloor = flops / flopRate;
    const floor = Math.max(memFloor, flopFloor);
    return (
      `${extra}floor ${floor.toFixed(1)} ms (${memFloor >= flopFloor ? 'memory' : 'compute'}: ` +
      `${(bytes / 2 ** 20).toFixed(0)} MiB, ${(flops / 1e9).toFixed(2)} GFLOP); time/floor ${(ms / floor).toFixed(1)}`
    );
  };
  const kernelTag = (name: string) => (has(name) ? '' : `no ${name} kernel on ${backend}: reference ran; `);
  emit({
    section: 'kernels',
    name: `measured on ${backend}`,
    fastMs: 0,
    note: `copy bandwidth ${(bandwidth / 1e6).toFixed(1)} GB/s, matmul ${(flopRate / 1e6).toFixed(1)} GFLOP/s`,
  });

  // 1. Fused reparameterized sampling: forward alone, and forward + backward (cpu/wasm: eps kept from the forward).
  {
    const zb = b,
      zz = full ? 2048 : 256;
    const mu = normal([zb, zz], 11) as tf.Tensor2D,
      lv = normal([zb, zz], 12, 0.3) as tf.Tensor2D;
    const size = zb * zz * 4;
    const fwd = (fn: typeof kernels.sampleReparam) => () => fn(mu, lv, 5, 7);
    const refFwd = await timeIt(fwd(kernels.sampleReparamReference), { reps });
    const msFwd = await timeIt(fwd(kernels.sampleReparam), { reps });
    emit({
      section: 'kernels',
      name: `reparam sample fwd [${zb}, ${zz}] (fused vs composite)`,
      referenceMs: refFwd,
      fastMs: msFwd,
      note: floorNote(msFwd, 3 * size, 0, kernelTag(has(K.reparamSampleEps) ? K.reparamSampleEps : K.reparamSample)),
    });
    const run = (fn: typeof kernels.sampleReparam) => () =>
      tf.grads((m: tf.Tensor, l: tf.Tensor) =>
        fn(m as tf.Tensor2D, l as tf.Tensor2D, 5, 7)
          .square()
          .sum(),
      )([mu, lv]);
    const refMs = await timeIt(run(kernels.sampleReparamReference), { reps });
    const ms = await timeIt(run(kernels.sampleReparam), { reps });
    emit({
      section: 'kernels',
      name: `reparam sample fwd+bwd [${zb}, ${zz}] (fused, vs composite)`,
      referenceMs: refMs,
      fastMs: ms,
      note: floorNote(ms, 7 * size, 0, kernelTag(has(K.reparamSampleEps) ? K.reparamSampleEps : K.reparamSample)),
    });
    tf.dispose([mu, lv]);
  }

  // 2. TopK activation forward (selection) on [B, n].
  {
    const pre = normal([b, n], 21) as tf.Tensor2D;
    const run = (fn: typeof kernels.topkActivation) => () => {
      const c = fn(pre, k);
      return [c.valuesBK, c.indicesBK];
    };
    const refMs = await timeIt(run(kernels.topkActivationReference), { reps });
    const ms = await timeIt(run(kernels.topkActivation), { reps });
    emit({
      section: 'kernels',
      name: `TopK select [${b}, ${n}] k=${k} (vs tf.topk)`,
      referenceMs: refMs,
      fastMs: ms,
      note: floorNote(ms, b * n * 4 + 2 * b * k * 4, 0, kernelTag(K.topk)),
    });
    pre.dispose();
  }

  // 3. TopK encoder forward + backward: sparse backward vs dense.
  {
    const x = normal([b, d], 31) as tf.Tensor2D,
      w = normal([d, n], 32, 0.05) as tf.Tensor2D;
    const be = normal([n], 33, 0.01) as tf.Tensor1D,
      bd = normal([d], 34, 0.01) as tf.Tensor1D;
    const run = (fn: typeof kernels.topkEncode) => () =>
      tf.grads((xx: tf.Tensor, ww: tf.Tensor, e: tf.Tensor, dd: tf.Tensor) =>
        fn(xx as tf.Tensor2D, ww as tf.Tensor2D, e as tf.Tensor1D, dd as tf.Tensor1D, k)
          .valuesBK.square()
          .sum(),
      )([x, w, be, bd]);
    const refMs = await timeIt(run(kernels.topkEncodeReference), { reps: heavyReps });
    const ms = await timeIt(run(kernels.topkEncode), { reps: heavyReps });
    const flops = 2 * b * d * n + 2 * 2 * b * k * d; // dense forward matmul + sparse backward
    emit({
      section: 'kernels',
      name: `TopK encoder fwd+bwd d=${d} n=${n} k=${k} B=${b} (sparse vs dense backward)`,
      referenceMs: refMs,
      fastMs: ms,
      note: floorNote(ms, (b * d + 2 * d * n + b * n) * 4, flops, kernelTag(K.topkEncode)),
    });
    tf.dispose([x, w, be, bd]);
  }

  // 4. Sparse decode forward + backward vs the dense decode.
  {
    const { values, indices } = randomCode(b, n, k, 41);
    const w = normal([n, d], 42, 0.05) as tf.Tensor2D,
      bd = normal([d], 43, 0.01) as tf.Tensor1D;
    const run = (fn: typeof kernels.sparseDecode) => () =>
      tf.grads((v: tf.Tensor, ww: tf.Tensor, dd: tf.Tensor) =>
        fn(v as tf.Tensor2D, indices, ww as tf.Tensor2D, dd as tf.Tensor1D)
          .square()
          .sum(),
      )([values, w, bd]);
    const refMs = await timeIt(run(kernels.sparseDecodeReference), { reps: heavyReps });
    const ms = await timeIt(run(kernels.sparseDecode), { reps });
    // forward reads W and writes xhat; backward reads dy and W, writes dW and dValues
    const bytes = (2 * n * d + n * d + 2 * b * d + 3 * b * k) * 4;
    emit({
      section: 'kernels',
      name: `sparse decode fwd+bwd n=${n} d=${d} k=${k} B=${b} (vs dense decode)`,
      referenceMs: refMs,
      fastMs: ms,
      note: floorNote(ms, bytes, 3 * 2 * b * k * d, kernelTag(K.sparseDecode)),
    });
    tf.dispose([values, indices, w, bd]);
  }

  // 5. JumpReLU forward + backward (with the L0 step term) on [B, n].
  {
    const z = normal([b, n], 51) as tf.Tensor2D;
    const theta = tf.fill([n], 0.5) as tf.Tensor1D;
    const run = (f: typeof kernels.jumpRelu, s: typeof kernels.jumpReluStep) => () =>
      tf.grads((zz: tf.Tensor, t: tf.Tensor) =>
        f(zz as tf.Tensor2D, t as tf.Tensor1D, 0.05)
          .sum()
          .add(s(zz as tf.Tensor2D, t as tf.Tensor1D, 0.05).sum()),
      )([z, theta]);
    const refMs = await timeIt(run(kernels.jumpReluReference, kernels.jumpReluStepReference), { reps });
    const ms = await timeIt(run(kernels.jumpRelu, kernels.jumpReluStep), { reps });
    emit({
      section: 'kernels',
      name: `JumpReLU + step fwd+bwd [${b}, ${n}] (fused vs composite)`,
      referenceMs: refMs,
      fastMs: ms,
      note: floorNote(ms, 2 * 4 * b * n * 4, 0, kernelTag(K.jumpRelu)),
    });
    tf.dispose([z, theta]);
  }

  // 6. Matryoshka all-prefix loss forward + backward. The literal reference costs O(n*d) per input:
  // it runs on a slice of the batch and its time is scaled to B (per-input cost is constant).
  {
    const { values, indices } = randomCode(b, n, k, 61);
    const w = normal([n, d], 62, 0.05) as tf.Tensor2D,
      res = normal([b, d], 63) as tf.Tensor2D;
    const bRef = full ? 4 : 8;
    const slice = <T extends tf.Tensor>(t: T) => t.slice([0, 0], [bRef, t.shape[1] as number]) as T;
    const vS = slice(values),
      iS = slice(indices),
      rS = slice(res);
    const run = (fn: typeof kernels.matryoshkaAllPrefixLoss, v: tf.Tensor2D, i: tf.Tensor2D, r: tf.Tensor2D) => () =>
      tf.grads((vv: tf.Tensor, ww: tf.Tensor, rr: tf.Tensor) =>
        fn(vv as tf.Tensor2D, i, ww as tf.Tensor2D, rr as tf.Tensor2D).sum(),
      )([v, w, r]);
    const refSliceMs = await timeIt(run(kernels.matryoshkaAllPrefixLossLiteral, vS, iS, rS), { reps: full ? 1 : 3 });
    const refMs = refSliceMs * (b / bRef);
    const gapMs = await timeIt(run(kernels.matryoshkaAllPrefixLossReference, values, indices, res), { reps });
    const ms = await timeIt(run(kernels.matryoshkaAllPrefixLoss, values, indices, res), { reps });
    // equality on the slice: relative error of the losses
    const [lr, lk] = [
      kernels.matryoshkaAllPrefixLossLiteral(vS, iS, w, rS),
      kernels.matryoshkaAllPrefixLoss(vS, iS, w, rS),
    ];
    const [ar, ak] = [await lr.data(), await lk.data()];
    let rel = 0;
    for (let i = 0; i < ar.length; i++) rel = Math.max(rel, Math.abs(ar[i] - ak[i]) / Math.abs(ar[i]));
    tf.dispose([lr, lk, vS, iS, rS]);
    const bytes = (2 * b * k * d + n * d + 2 * b * d) * 4;
    emit({
      section: 'kernels',
      name: `Matryoshka all-prefix fwd+bwd n=${n} d=${d} k=${k} B=${b} (vs literal all-prefix)`,
      referenceMs: refMs,
      fastMs: ms,
      note:
        `literal timed on B=${bRef} (${refSliceMs.toFixed(0)} ms) and scaled x${b / bRef}; reference.ts (sorted-gap composite) ${gapMs.toFixed(1)} ms; ` +
        `max rel. difference to the literal ${rel.toExponential(1)}; ` +
        floorNote(ms, bytes, 2 * 4 * b * k * d, kernelTag(K.matryoshka)),
    });
    tf.dispose([values, indices, w, res]);
  }
  return rows;
}
