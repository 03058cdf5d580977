/**
 * SAE metrics on held-out data, accumulated over the WHOLE evaluation set in float64.
 *
 * - MSE = (1/M) sum_b ||x_b - xhat_b||^2 (input units, summed over D)
 * - FVU = sum_b ||x_b - xhat_b||^2 / sum_b ||x_b - mean(x)||^2, numerator and denominator each
 *   summed over the whole set (averaging per-batch ratios is a known bug class: SAELens
 *   #659/#665, SAEBench #76); the denominator combines per-batch sums of squares with the
 *   parallel-variance formula (Chan, Golub & LeVeque 1979), so no second pass is needed
 * - explained variance = 1 - FVU
 * - L0 = mean number of latents with f > 0 per input
 * - dead fraction = latents that fired on none of the evaluation inputs
 * - latent density = per latent, the fraction of inputs it fires on; histogram of log10 density
 *   (Bricken et al. 2023's feature-density plot)
 * - relative reconstruction bias gamma = E||xhat||^2 / E<x, xhat> (Wright & Sharkey 2024,
 *   "Addressing Feature Suppression in SAEs"; 1 = unbiased, < 1 = shrinkage)
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt } from '../core/errors';
import type { ActivationSource } from '../data/source';
import { type SparseAutoencoder, disposeOutput, firedCounts } from './base';

/** What `evaluateSae` returns. */
export interface SaeEvaluation {
  inputs: number;
  mse: number;
  fvu: number;
  explainedVariance: number;
  l0: number;
  deadFraction: number;
  /** Fraction of inputs each latent fires on [N]. */
  density: Float64Array;
  /** Histogram of log10(density) over latents that fired: bin edges (length bins+1) and counts. */
  densityHistogram: { log10Edges: number[]; counts: number[] };
  relativeReconstructionBias: number;
}

/** Options of `evaluateSae`. */
export interface EvaluateOptions {
  /** Batches drawn from a source. Default 8. */
  batches?: number;
  /** Inputs per batch. Default 1024. */
  batchSize?: number;
  /** Histogram bins per decade, from 10^-8 to 10^0. Default 2. */
  binsPerDecade?: number;
}

/**
 * Evaluates an SAE at inference (batch-independent latents) on held-out data: a source
 * (drawing `batches` x `batchSize` inputs) or a fixed row-major array [M*D].
 */
export async function evaluateSae(
  sae: SparseAutoencoder,
  data: ActivationSource | Float32Array,
  options: EvaluateOptions = {},
): Promise<SaeEvaluation> {
  if (sae.predictsTarget) {
    throw new InputError(
      'sae',
      `a '${sae.architecture}' predicts a target, not its input: evaluate it with spliceMlpEvaluate`,
    );
  }
  const D = sae.dIn;
  const N = sae.nLatents;
  const batchSize = checkInt('batchSize', options.batchSize ?? 1024, 1);
  const batches: Float32Array[] = [];
  if (data instanceof Float32Array) {
    if (data.length === 0 || data.length % D !== 0)
      throw new InputError('data', `length ${data.length} is not a positive multiple of dIn ${D}`);
    for (let start = 0; start < data.length; start += batchSize * D)
      batches.push(data.subarray(start, Math.min(data.length, start + batchSize * D)));
  } else {
    const nb = checkInt('batches', options.batches ?? 8, 1);
    for (let i = 0; i < nb; i++) batches.push(data.nextBatch(batchSize));
  }
  let count = 0;
  let sqErr = 0;
  let m2 = 0;
  let active = 0;
  let reconSq = 0;
  let cross = 0;
  const mean = new Float64Array(D);
  const fired = new Float64Array(N);
  for (const flat of batches) {
    const b = flat.length / D;
    const x = tf.tensor2d(flat, [b, D]);
    const out = sae.forward(x);
    const stats = tf.tidy(() => {
      const batchMean = x.mean(0);
      return [
        x.sub(out.recon).square().sum(),
        x.sub(batchMean).square().sum(),
        batchMean,
        firedCounts(out.latents, N),
        out.recon.square().sum(),
        x.mul(out.recon).sum(),
      ];
    });
    disposeOutput(out);
    x.dispose();
    const [e, m2b, meanB, firedB, rs, xr] = await Promise.all(stats.map((t) => t.data()));
    stats.forEach((t) => t.dispose());
    // Chan et al.: M2 = M2_a + M2_b + ||mean_a - mean_b||^2 * n_a n_b / (n_a + n_b).
    let gap = 0;
    for (let j = 0; j < D; j++) gap += (meanB[j] - mean[j]) ** 2;
    m2 += m2b[0] + (gap * count * b) / (count + b);
    for (let j = 0; j < D; j++) mean[j] += ((meanB[j] - mean[j]) * b) / (count + b);
    count += b;
    sqErr += e[0];
    reconSq += rs[0];
    cross += xr[0];
    for (let i = 0; i < N; i++) {
      fired[i] += firedB[i];
      active += firedB[i];
    }
  }
  const fvu = sqErr / m2;
  const density = fired.map((f) => f / count);
  return {
    inputs: count,
    mse: sqErr / count,
    fvu,
    explainedVariance: 1 - fvu,
    l0: active / count,
    deadFraction: density.filter((d) => d === 0).length / N,
    density,
    densityHistogram: densityHistogram(density, options.binsPerDecade ?? 2),
    relativeReconstructionBias: reconSq / cross,
  };
}

/** Histogram of log10(density) for latents with density > 0, from 10^-8 to 10^0. */
export function densityHistogram(
  density: ArrayLike<number>,
  binsPerDecade = 2,
): { log10Edges: number[]; counts: number[] } {
  checkInt('binsPerDecade', binsPerDecade, 1);
  const bins = 8 * binsPerDecade;
  const log10Edges = Array.from({ length: bins + 1 }, (_, i) => -8 + i / binsPerDecade);
  const counts = new Array(bins).fill(0);
  for (let i = 0; i < density.length; i++) {
    if (!(density[i] > 0)) continue;
    const bin = Math.floor((Math.log10(density[i]) + 8) * binsPerDecade);
    counts[Math.min(bins - 1, Math.max(0, bin))] += 1;
  }
  return { log10Edges, counts };
}
