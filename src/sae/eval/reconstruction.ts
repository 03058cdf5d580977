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
 */
import { InputError } from '../../base/errors';
import type { LatentRows } from './latent-rows';

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
