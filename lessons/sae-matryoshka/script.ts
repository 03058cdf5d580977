/**
 * Lesson 8 (Node): the page's experiment (experiment.ts, k = 2), trained to the end, its probes
 * written as PNG; then the all-prefix loss three ways on one small random batch (B = 64,
 * N = 512, D = 64, k = 16): the literal sum over every prefix (O(N D) per input, by a cumulative
 * sum), the sorted-gap reference (kernels/matryoshka-loss/reference.ts, autodiff) and the fused
 * kernel (O(k D), suffix sums for the backward), their values compared and forward + backward
 * timed (median of 5; the machine is shared, so the ratios are rough).
 *
 *   npm run lesson -- sae-matryoshka [--quick]
 *
 * --quick trains 300 steps instead of 600.
 */
import * as tf from '@tensorflow/tfjs';
import { matryoshkaAllPrefixLoss } from '../../kernels/matryoshka-loss';
import { matryoshkaAllPrefixLossReference } from '../../kernels/matryoshka-loss/reference';
import { Rng } from '../../src/core/random';
import { runExperiment, writeFigures, type LessonScriptOptions } from '../../src/lesson/node';
import experiment, { ARCHS, type HierarchyRun } from './experiment';

export default async function run(opts: LessonScriptOptions): Promise<Record<string, number>> {
  const steps = opts.quick ? 300 : 600;
  const result = await runExperiment(experiment, { settings: { seed: opts.seed }, steps, log: opts.log });
  const r = result.run as HierarchyRun;
  const out: Record<string, number> = { steps, k: result.settings.k };
  try {
    await writeFigures(experiment, result, opts.outDir);
    const n = r.last;
    if (!n) throw new Error('sae-matryoshka: probes did not run');
    for (const a of ARCHS) {
      out[`absorption_${a}`] = n.absorption[a];
      out[`parentOnlyRecall_${a}`] = n.parentOnlyRecall[a];
      out[`meanMaxCosine_${a}`] = n.meanMaxCosine[a];
      out[`fvu_${a}`] = n.fvu[a];
      out[`l0_${a}`] = n.l0[a];
      out[`childParentCosine_${a}`] = n.childParentCosine[a];
      opts.log(
        `${a}: absorption ${n.absorption[a].toFixed(3)}, parent-only recall ${n.parentOnlyRecall[a].toFixed(3)}, MMCS ${n.meanMaxCosine[a].toFixed(3)}, FVU ${n.fvu[a].toFixed(4)}, child-parent cosine ${n.childParentCosine[a].toFixed(3)}`,
      );
    }
  } finally {
    r.dispose();
  }
  Object.assign(out, await kernelComparison(opts.seed, opts.log));
  return out;
}

/** The literal all-prefix loss per input: sum over m = 1..N of ||res - sum_{i<m} f_i d_i||^2. */
export function literalAllPrefix(fBN: tf.Tensor2D, wDecND: tf.Tensor2D, residualBD: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const [B, N] = fBN.shape;
    const D = wDecND.shape[1];
    // Prefix m's reconstruction = sum over latents 0 .. m-1 of f_i d_i: an inclusive cumulative sum
    // over latents, on the last axis (tfjs's Cumsum gradient mis-shapes a middle axis).
    const termsBDN = fBN.reshape([B, 1, N]).mul(wDecND.transpose().reshape([1, D, N]));
    const reconBDN = tf.cumsum(termsBDN, 2);
    return residualBD.reshape([B, D, 1]).sub(reconBDN).square().sum([1, 2]) as tf.Tensor1D;
  });
}

async function timeMs(f: () => tf.Tensor[]): Promise<number> {
  const times: number[] = [];
  for (let rep = 0; rep < 6; rep++) {
    const t0 = performance.now();
    const outs = f();
    for (const o of outs) await o.data();
    times.push(performance.now() - t0);
    tf.dispose(outs);
  }
  times.shift(); // the first run warms up
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function kernelComparison(seed: number, log: (l: string) => void): Promise<Record<string, number>> {
  const [B, N, D, K] = [64, 512, 64, 16];
  const rng = new Rng(seed + 101);
  const idx = new Int32Array(B * K);
  for (let b = 0; b < B; b++) {
    const pool = Array.from({ length: N }, (_, i) => i);
    for (let j = 0; j < K; j++) {
      const p = j + Math.floor(rng.uniform() * (N - j));
      [pool[j], pool[p]] = [pool[p], pool[j]];
      idx[b * K + j] = pool[j];
    }
  }
  const values = tf.tensor2d(
    Float32Array.from({ length: B * K }, () => rng.uniform() + 0.1),
    [B, K],
  );
  const indices = tf.tensor2d(idx, [B, K], 'int32');
  const wDec = tf.tensor2d(
    Float32Array.from({ length: N * D }, () => rng.normal() / Math.sqrt(D)),
    [N, D],
  );
  const residual = tf.tensor2d(
    Float32Array.from({ length: B * D }, () => rng.normal()),
    [B, D],
  );
  const dense = tf.tidy(() => {
    const rows = tf.range(0, B, 1, 'int32').reshape([B, 1]).tile([1, K]);
    const at = tf.stack([rows.flatten(), indices.flatten()], 1);
    return tf.scatterND(at, values.flatten(), [B, N]) as tf.Tensor2D;
  });
  try {
    const fast = () =>
      tf.grads((v: tf.Tensor, w: tf.Tensor) =>
        matryoshkaAllPrefixLoss(v as tf.Tensor2D, indices, w as tf.Tensor2D, residual).sum(),
      )([values, wDec]);
    const reference = () =>
      tf.grads((v: tf.Tensor, w: tf.Tensor) =>
        matryoshkaAllPrefixLossReference(v as tf.Tensor2D, indices, w as tf.Tensor2D, residual).sum(),
      )([values, wDec]);
    const literal = () =>
      tf.grads((f: tf.Tensor, w: tf.Tensor) => literalAllPrefix(f as tf.Tensor2D, w as tf.Tensor2D, residual).sum())([
        dense,
        wDec,
      ]);
    const rowsOf = async (f: () => tf.Tensor) => {
      const t = f();
      const v = (await t.data()) as Float32Array;
      t.dispose();
      return v;
    };
    const lFast = await rowsOf(() => matryoshkaAllPrefixLoss(values, indices, wDec, residual));
    const lRef = await rowsOf(() => matryoshkaAllPrefixLossReference(values, indices, wDec, residual));
    const lLit = await rowsOf(() => literalAllPrefix(dense, wDec, residual));
    let relDiff = 0;
    for (let b = 0; b < B; b++) {
      const scale = Math.abs(lLit[b]);
      relDiff = Math.max(relDiff, Math.abs(lFast[b] - lLit[b]) / scale, Math.abs(lRef[b] - lLit[b]) / scale);
    }
    const msFast = await timeMs(fast);
    const msRef = await timeMs(reference);
    const msLit = await timeMs(literal);
    log(
      `all-prefix loss (B=${B}, N=${N}, D=${D}, k=${K}), fwd+bwd: literal ${msLit.toFixed(1)} ms, sorted-gap reference ${msRef.toFixed(1)} ms, kernel ${msFast.toFixed(1)} ms; per-input losses agree to a relative ${relDiff.toExponential(1)}`,
    );
    return {
      kernelLiteralMs: msLit,
      kernelReferenceMs: msRef,
      kernelFastMs: msFast,
      kernelSpeedupVsLiteral: msLit / msFast,
      kernelSpeedupVsReference: msRef / msFast,
      kernelLossRelDiff: relDiff,
    };
  } finally {
    tf.dispose([values, indices, wDec, residual, dense]);
  }
}
