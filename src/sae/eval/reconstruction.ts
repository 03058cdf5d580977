/**
 * Reconstruction-side core metrics (SAEBench "core" eval; SAELens evals), accumulated in
 * float64 over the WHOLE evaluation set, never as an average of per-batch ratios (the bug class
 * of SAELens #659/#665 and SAEBench #76). Over M inputs x_b in R^D with reconstructions xhat_b:
 *
 *   explained variance = 1 - sum_b ||x_b - xhat_b||^2 / sum_b ||x_b - mean(x)||^2
 *                        (centred on the per-dimension mean of the whole set, pooled over D)
 *   mse                = sum_b ||x_b - xhat_b||^2 / (M D)        (per element, as SAEBench)
 *   cosine             = mean over inputs with x_b != 0 of <x_b, xhat_b> / (||x_b|| ||xhat_b||)
 *                        (0 when xhat_b = 0)
 *   l2 norm in / out   = (1/M) sum_b ||x_b||,  (1/M) sum_b ||xhat_b||
 *   l2 ratio           = mean over inputs with x_b != 0 of ||xhat_b|| / ||x_b||
 *                        (SAELens "shrinkage", which also skips zero inputs; 1 = none)
 *   relative reconstruction bias = sum_b ||xhat_b||^2 / sum_b <x_b, xhat_b>
 *                        (Wright & Sharkey 2024: gamma = argmin_g sum_b ||xhat_b / g - x_b||^2;
 *                        1 = unbiased, < 1 = shrinkage)
 *   l0 = (1/M) sum_b #{i : f_bi > 0},  l1 = (1/M) sum_b sum_i f_bi
 *   density_i = (1/M) #{b : f_bi > 0},  fraction alive = #{i : density_i > 0} / N
 *
 * The total sum of squares uses per-dimension sums and sums of squares in float64:
 * sum_b ||x_b - mean||^2 = sum_j (S2_j - S1_j^2 / M).
 *
 * `evaluateSae` runs a model over held-out data and reports these metrics in the units a training
 * run reports (MSE per input, summed over D) with the latent density and its log10 histogram
 * (Bricken et al. 2023's feature-density plot).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt } from '../../base/errors';
import type { ActivationSource } from '../../data/source';
import { type SparseAutoencoder, disposeOutput } from '../base';
import { type LatentRows, latentRowsOf } from './latent-rows';

/** The reconstruction metrics of one evaluation set (JSON-able). */
export interface ReconstructionMetrics {
  inputs: number;
  explainedVariance: number;
  fvu: number;
  mse: number;
  cosine: number;
  l2NormIn: number;
  l2NormOut: number;
  l2Ratio: number;
  relativeReconstructionBias: number;
  l0: number;
  l1: number;
  fractionAlive: number;
}

/** Streaming accumulator of `ReconstructionMetrics`; feed it batches with `add`. */
export class ReconstructionStats {
  private count = 0;
  private sqErr = 0;
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private cosSum = 0;
  private normIn = 0;
  private normOut = 0;
  private ratioSum = 0;
  /** Inputs with x != 0 (the cosine and L2-ratio averages are over these). */
  private nonzero = 0;
  private reconSq = 0;
  private cross = 0;
  private active = 0;
  private l1 = 0;
  /** Inputs each latent fired on [N]. */
  readonly fired: Float64Array;

  constructor(
    readonly dim: number,
    readonly nLatents: number,
  ) {
    this.sum = new Float64Array(dim);
    this.sumSq = new Float64Array(dim);
    this.fired = new Float64Array(nLatents);
  }

  /**
   * Adds a batch: inputs and reconstructions row-major [B, D], and the latents on those inputs.
   */
  add(xBD: ArrayLike<number>, xhatBD: ArrayLike<number>, latents: LatentRows): void {
    const D = this.dim;
    if (xBD.length !== xhatBD.length || xBD.length % D !== 0)
      throw new InputError('xhatBD', `x has ${xBD.length} values and xhat ${xhatBD.length}; both must be B x ${D}`);
    const B = xBD.length / D;
    if (latents.rows !== B) throw new InputError('latents', `has ${latents.rows} rows for ${B} inputs`);
    if (latents.nLatents !== this.nLatents)
      throw new InputError('latents', `has ${latents.nLatents} latents, expected ${this.nLatents}`);
    for (let b = 0; b < B; b++) {
      let xx = 0;
      let hh = 0;
      let xh = 0;
      let err = 0;
      for (let j = 0; j < D; j++) {
        const x = xBD[b * D + j];
        const h = xhatBD[b * D + j];
        xx += x * x;
        hh += h * h;
        xh += x * h;
        err += (x - h) * (x - h);
        this.sum[j] += x;
        this.sumSq[j] += x * x;
      }
      this.sqErr += err;
      const nx = Math.sqrt(xx);
      const nh = Math.sqrt(hh);
      if (nx > 0) {
        this.nonzero++;
        this.cosSum += nh > 0 ? xh / (nx * nh) : 0;
        this.ratioSum += nh / nx;
      }
      this.normIn += nx;
      this.normOut += nh;
      this.reconSq += hh;
      this.cross += xh;
    }
    for (let e = 0; e < latents.idx.length; e++) {
      this.fired[latents.idx[e]] += 1;
      this.l1 += latents.val[e];
    }
    this.active += latents.idx.length;
    this.count += B;
  }

  /** Inputs added so far. */
  get inputs(): number {
    return this.count;
  }

  /** Fraction of inputs each latent fired on [N]. */
  density(): Float64Array {
    return this.fired.map((f) => f / Math.max(1, this.count));
  }

  /** The metrics over everything added. */
  result(): ReconstructionMetrics {
    const M = this.count;
    if (M === 0) throw new InputError('inputs', 'no batches were added');
    let total = 0;
    for (let j = 0; j < this.dim; j++) total += this.sumSq[j] - (this.sum[j] * this.sum[j]) / M;
    const fvu = this.sqErr / total;
    let alive = 0;
    for (let i = 0; i < this.nLatents; i++) if (this.fired[i] > 0) alive++;
    return {
      inputs: M,
      explainedVariance: 1 - fvu,
      fvu,
      mse: this.sqErr / (M * this.dim),
      cosine: this.cosSum / this.nonzero,
      l2NormIn: this.normIn / M,
      l2NormOut: this.normOut / M,
      l2Ratio: this.ratioSum / this.nonzero,
      relativeReconstructionBias: this.reconSq / this.cross,
      l0: this.active / M,
      l1: this.l1 / M,
      fractionAlive: alive / this.nLatents,
    };
  }
}

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
  const stats = new ReconstructionStats(D, N);
  for (const flat of batches) {
    const x = tf.tensor2d(flat, [flat.length / D, D]);
    const out = sae.forward(x);
    try {
      const [xhatBD, rows] = await Promise.all([out.recon.data(), latentRowsOf(out.latents, N)]);
      stats.add(flat, xhatBD, rows);
    } finally {
      disposeOutput(out);
      x.dispose();
    }
  }
  const r = stats.result();
  const density = stats.density();
  return {
    inputs: r.inputs,
    mse: r.mse * D,
    fvu: r.fvu,
    explainedVariance: r.explainedVariance,
    l0: r.l0,
    deadFraction: density.filter((d) => d === 0).length / N,
    density,
    densityHistogram: densityHistogram(density, options.binsPerDecade ?? 2),
    relativeReconstructionBias: r.relativeReconstructionBias,
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
