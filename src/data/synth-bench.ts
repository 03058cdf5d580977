/**
 * SynthSAEBench (Chanin & Garriga-Alonso 2026, "SynthSAEBench: Evaluating Sparse Autoencoders on
 * Scalable Realistic Synthetic Data", arXiv:2602.14687; SAELens `docs/synth_sae_bench.md` and
 * `sae_lens/synthetic`): a known-truth activation model with the published parameters as
 * defaults, scaled from 16,384 features in d = 768 to a laptop (1,024 features in d = 64). The
 * previous generator of this package is kept as the preset 'gensparse-v1' (synth-bench-v1.ts).
 *
 *   x = sum_i c_i u_i + b
 *
 * What is published for SynthSAEBench-16k, and what this module does with it:
 * - Firing probabilities: Zipf over the feature index (feature 0 the most frequent), rescaled
 *   linearly so that the first feature has pMax = 0.4 and the last pMin = 5e-4, exponent a = 0.5:
 *     p_r = pMin + (pMax - pMin) (r^-a - m^-a) / (1 - m^-a),   r = 1..m.
 * - Hierarchy: 128 roots, branching 4, depth 3 (85 features per tree) among 16,384 features. The
 *   roots scale with m here: round(128 m / 16384), 8 at m = 1,024. Trees are laid out breadth-first
 *   over the feature index, so roots are the most frequent features and deeper nodes rarer. A child
 *   fires only if its parent does; the children of one parent are mutually exclusive (when several
 *   fire, one chosen uniformly keeps firing); a child's magnitude is scaled by its parent's
 *   magnitude over the parent's mean. Probabilities are compensated for the gating (SAELens
 *   `compute_probability_correction_factors`): a child draws with
 *     q_i = min(1, (p_i / p_parent) (1 + sum_{sibling j != i} p_j / p_parent)),
 *   an approximation: where the siblings together ask for more than the parent fires, the
 *   children's marginals fall below their Zipf p (this is why SynthSAEBench-16k's true L0 is ~34,
 *   not sum_i p_i). `probabilities` holds the exact marginals (see there).
 * - Correlations: a Gaussian copula over all features with a low-rank factor F [m, 25] of
 *   N(0, 0.1^2) entries: feature i draws g_i = <F_i, s> + sqrt(1 - ||F_i||^2) e_i, s ~ N(0, I_25),
 *   e_i ~ N(0, 1), and fires when g_i > Phi^-1(1 - q_i) (if some ||F_i||^2 > 0.99, F is scaled down
 *   so that the largest is 0.99, as SAELens does). Each draw keeps its marginal q_i.
 * - Magnitudes: mean linear over the index from 5 (feature 0) to 4 (the last); a per-feature std
 *   drawn once from |N(0.5, 0.5^2)|; a firing feature's magnitude is ReLU(mean_i + std_i N(0, 1)),
 *   and one that lands on 0 counts as not firing.
 * - Directions: Gaussian rows normalised, then 100 Adam steps at lr 3e-4 on
 *     L(U) = sum_{i != j} (u_i . u_j)^2 + m sum_i (u_i . u_i - 1)^2,
 *   then normalised again (SAELens `orthogonalize_embeddings`).
 * - Bias: b, a random direction of norm 0.5.
 *
 * One row is drawn top-down: roots and free features, then for each active parent its children
 * (copula draw, magnitude, mutual exclusion, scaling), level by level. The children of an
 * inactive parent are never drawn: their draws would be discarded, so skipping them leaves the law
 * unchanged (SAELens draws every feature and then zeroes them).
 */
import { ConfigError, checkInt, checkNumber } from '../base/errors';
import { Rng } from '../core/random';
import type { ActivationSource } from './source';
import { type SyntheticSample, normalCdf, normalQuantile, randomDirections } from './synthetic';

/** Shape and rules of the feature hierarchy. */
export interface SynthBenchHierarchy {
  /** Number of trees. */
  roots: number;
  /** Children per node. */
  branching: number;
  /** Levels below the root (3: root, children, grandchildren, great-grandchildren). */
  depth: number;
  /** Children of one parent are mutually exclusive. Default true (SynthSAEBench). */
  mutuallyExclusive?: boolean;
  /** Raise the children's draw probabilities to make up for the gating. Default true (SynthSAEBench). */
  compensateProbabilities?: boolean;
  /** Scale a child's magnitude by its parent's magnitude over the parent's mean. Default true (SynthSAEBench). */
  scaleChildrenByParent?: boolean;
}

/** Config of `SynthBench`; every default is SynthSAEBench-16k's, scaled to 1,024 features in d = 64. */
export interface SynthBenchConfig {
  /** Number of true features m. Default 1024. */
  numFeatures?: number;
  /** Dimension d (m > d: superposition). Default 64. */
  dim?: number;
  /** Firing probability of feature 0. Default 0.4. */
  maxProbability?: number;
  /** Firing probability of the last feature. Default 5e-4. */
  minProbability?: number;
  /** Zipf exponent. Default 0.5. */
  zipfExponent?: number;
  /** The hierarchy (default: branching 4, depth 3, round(128 m / 16384) roots); null for none. */
  hierarchy?: SynthBenchHierarchy | null;
  /** Rank of the copula's factor (0: independent). Default 25. */
  correlationRank?: number;
  /** Std of the factor's entries. Default 0.1. */
  correlationScale?: number;
  /** Mean magnitude, linear over the feature index from `start` (feature 0) to `end`. Default 5 to 4. */
  magnitudeMean?: { start: number; end: number };
  /** Per-feature magnitude std, drawn once from |N(mean, std^2)|. Default mean 0.5, std 0.5. */
  magnitudeStd?: { mean: number; std: number };
  /** Adam steps on the directions' off-diagonal Gram (null: none). Default 100 steps at lr 3e-4. */
  orthogonalization?: { steps: number; lr: number } | null;
  /** Norm of the bias b. Default 0.5. */
  biasNorm?: number;
  /** Seed of the structure (directions, bias, magnitudes, loadings) and then of the data stream. Default 0. */
  seed?: number;
}

/** SynthSAEBench-16k as published (SAELens docs/synth_sae_bench.md). */
export const SYNTH_SAE_BENCH_16K = {
  numFeatures: 16384,
  dim: 768,
  maxProbability: 0.4,
  minProbability: 5e-4,
  zipfExponent: 0.5,
  hierarchy: { roots: 128, branching: 4, depth: 3 },
  correlationRank: 25,
  correlationScale: 0.1,
  magnitudeMean: { start: 5, end: 4 },
  magnitudeStd: { mean: 0.5, std: 0.5 },
  orthogonalization: { steps: 100, lr: 3e-4 },
  biasNorm: 0.5,
} as const;

/** SynthSAEBench-16k's hierarchy with its roots scaled to `m` features (128 at 16,384), at most what fits. */
export function scaledHierarchy(m: number): SynthBenchHierarchy {
  const { roots, branching, depth } = SYNTH_SAE_BENCH_16K.hierarchy;
  const perTree = treeSize(branching, depth);
  return {
    roots: Math.min(Math.round((roots * m) / SYNTH_SAE_BENCH_16K.numFeatures), Math.floor(m / perTree)),
    branching,
    depth,
  };
}

/** Zipf probabilities rescaled linearly to [pMin, pMax] over ranks 1..m (SAELens `zipfian_firing_probabilities`). */
export function zipfProbabilities(m: number, exponent: number, pMax: number, pMin: number): Float64Array {
  checkInt('m', m, 1);
  if (m === 1) return Float64Array.of(pMax);
  const last = m ** -exponent;
  return Float64Array.from(
    { length: m },
    (_, i) => pMin + ((pMax - pMin) * ((i + 1) ** -exponent - last)) / (1 - last),
  );
}

/** The SynthSAEBench generator with its ground truth. */
export class SynthBench implements ActivationSource {
  readonly numFeatures: number;
  readonly dim: number;
  /** Unit directions u_i, row-major [m, d]. */
  readonly directions: Float32Array;
  /** The bias b [d]. */
  readonly bias: Float32Array;
  /** The Zipf probability p_i of each feature [m]: what the compensation aims each marginal at. */
  readonly zipfProbabilities: Float64Array;
  /** The probability q_i of each feature's own draw [m], after compensation (capped at 1). */
  readonly drawProbabilities: Float64Array;
  /** How many children's compensated q_i reached the cap of 1. */
  readonly cappedDraws: number;
  /**
   * The marginal firing probability of each feature [m], exact when the draws are independent
   * (correlationRank 0): P_i = a_i for roots and free features, P_i = P_parent a_i E[1 / (1 + K_i)]
   * for a mutually exclusive child, with a_i = q_i Phi(mean_i / std_i) (a draw that also has a
   * positive magnitude) and K_i the number of its siblings' draws that fire. With correlations the
   * roots' and free features' marginals stay exact (the copula keeps them); the children's shift a little.
   */
  readonly probabilities: Float64Array;
  /** Parent feature of each feature, -1 for roots and free features [m]. */
  readonly parentOf: Int32Array;
  /** Children of each feature (empty for leaves and free features). */
  readonly children: number[][];
  /** The roots and free features (drawn directly), in index order. */
  readonly top: Int32Array;
  readonly mutuallyExclusive: boolean;
  readonly scaleChildrenByParent: boolean;
  /** Mean and std of each feature's magnitude [m]. */
  readonly meanMagnitudes: Float64Array;
  readonly stdMagnitudes: Float64Array;
  /** Copula factor F, row-major [m, rank]. */
  readonly loadings: Float64Array;
  readonly rank: number;
  private readonly residualScale: Float64Array;
  private readonly thresholds: Float64Array;
  private readonly rng: Rng;

  constructor(config: SynthBenchConfig = {}) {
    const P = SYNTH_SAE_BENCH_16K;
    const m = checkInt('numFeatures', config.numFeatures ?? 1024, 1);
    const d = checkInt('dim', config.dim ?? 64, 1);
    const pMax = checkNumber('maxProbability', config.maxProbability ?? P.maxProbability, {
      min: 0,
      max: 1,
      minOpen: true,
    });
    const pMin = checkNumber('minProbability', config.minProbability ?? P.minProbability, {
      min: 0,
      max: pMax,
      minOpen: true,
    });
    const exponent = checkNumber('zipfExponent', config.zipfExponent ?? P.zipfExponent, { min: 0, minOpen: true });
    const h = config.hierarchy === undefined ? scaledHierarchy(m) : config.hierarchy;
    this.rank = checkInt('correlationRank', config.correlationRank ?? P.correlationRank, 0);
    const scale = checkNumber('correlationScale', config.correlationScale ?? P.correlationScale, { min: 0 });
    const meanLaw = config.magnitudeMean ?? P.magnitudeMean;
    checkNumber('magnitudeMean.start', meanLaw.start, { min: 0, minOpen: true });
    checkNumber('magnitudeMean.end', meanLaw.end, { min: 0, minOpen: true });
    const stdLaw = config.magnitudeStd ?? P.magnitudeStd;
    checkNumber('magnitudeStd.mean', stdLaw.mean, { min: 0 });
    checkNumber('magnitudeStd.std', stdLaw.std, { min: 0 });
    const ortho = config.orthogonalization === undefined ? P.orthogonalization : config.orthogonalization;
    if (ortho) {
      checkInt('orthogonalization.steps', ortho.steps, 0);
      checkNumber('orthogonalization.lr', ortho.lr, { min: 0, minOpen: true });
    }
    const biasNorm = checkNumber('biasNorm', config.biasNorm ?? P.biasNorm, { min: 0 });
    this.numFeatures = m;
    this.dim = d;

    // The hierarchy, breadth-first over the feature index (SAELens `generate_hierarchy`).
    this.parentOf = new Int32Array(m).fill(-1);
    this.children = Array.from({ length: m }, () => []);
    this.mutuallyExclusive = h?.mutuallyExclusive ?? true;
    this.scaleChildrenByParent = h?.scaleChildrenByParent ?? true;
    if (h) {
      checkInt('hierarchy.roots', h.roots, 0);
      checkInt('hierarchy.branching', h.branching, 1);
      checkInt('hierarchy.depth', h.depth, 0);
      const needed = h.roots * treeSize(h.branching, h.depth);
      if (needed > m) throw new ConfigError('hierarchy', `needs ${needed} features, more than numFeatures = ${m}`);
      let next = h.roots;
      let level = Array.from({ length: h.roots }, (_, i) => i);
      for (let depth = 0; depth < h.depth; depth++) {
        const below: number[] = [];
        for (const parent of level) {
          for (let c = 0; c < h.branching; c++) {
            const child = next++;
            this.parentOf[child] = parent;
            this.children[parent].push(child);
            below.push(child);
          }
        }
        level = below;
      }
    }
    this.top = Int32Array.from(Array.from({ length: m }, (_, i) => i).filter((i) => this.parentOf[i] === -1));

    // Probabilities: Zipf, then the compensated draw probabilities of the children.
    this.zipfProbabilities = zipfProbabilities(m, exponent, pMax, pMin);
    const p = this.zipfProbabilities;
    this.drawProbabilities = Float64Array.from(p);
    let capped = 0;
    if (h?.compensateProbabilities ?? true) {
      for (let parent = 0; parent < m; parent++) {
        const kids = this.children[parent];
        const siblingsTotal = kids.reduce((a, c) => a + p[c], 0);
        for (const c of kids) {
          let q = p[c] / p[parent];
          if (this.mutuallyExclusive && kids.length >= 2) q *= 1 + (siblingsTotal - p[c]) / p[parent];
          if (q >= 1) capped++;
          this.drawProbabilities[c] = Math.min(1, q);
        }
      }
    }
    this.cappedDraws = capped;

    const root = new Rng(checkInt('seed', config.seed ?? 0, 0, 2 ** 32 - 1));
    const directionRng = root.fork();
    const structure = root.fork();
    this.rng = root.fork();

    // Directions and bias.
    const u = Float64Array.from(randomDirections(directionRng, m, d, false));
    const oriented = ortho && ortho.steps > 0 ? orthogonalizeDirections(u, m, d, ortho) : u;
    this.directions = Float32Array.from(oriented);
    const b = randomDirections(directionRng, 1, d, false);
    this.bias = b.map((v) => v * biasNorm);

    // Magnitudes: linear means, folded-normal stds.
    this.meanMagnitudes = Float64Array.from({ length: m }, (_, i) =>
      m === 1 ? meanLaw.start : meanLaw.start + ((meanLaw.end - meanLaw.start) * i) / (m - 1),
    );
    this.stdMagnitudes = Float64Array.from({ length: m }, () =>
      Math.abs(stdLaw.mean + stdLaw.std * structure.normal()),
    );

    // Copula factor over every feature (SAELens `generate_random_low_rank_correlation_matrix`).
    const r = this.rank;
    this.loadings = Float64Array.from({ length: m * r }, () => scale * structure.normal());
    const rowSq = Float64Array.from({ length: m }, (_, i) => {
      let sq = 0;
      for (let k = 0; k < r; k++) sq += this.loadings[i * r + k] ** 2;
      return sq;
    });
    const maxSq = rowSq.reduce((a, v) => Math.max(a, v), 0);
    if (maxSq > 0.99) {
      const shrink = Math.sqrt(0.99 / maxSq);
      for (let j = 0; j < this.loadings.length; j++) this.loadings[j] *= shrink;
      for (let i = 0; i < m; i++) rowSq[i] *= 0.99 / maxSq;
    }
    this.residualScale = rowSq.map((sq) => Math.sqrt(1 - sq));
    this.thresholds = this.drawProbabilities.map((q) => normalQuantile(1 - q));
    this.probabilities = this.exactMarginals();
  }

  /** Expected number of firing features per input, sum_i P_i (exact without correlations). */
  get expectedL0(): number {
    return this.probabilities.reduce((a, b) => a + b, 0);
  }

  /** `n` inputs with their true codes (magnitudes, 0 where a feature is off). */
  sample(n: number): SyntheticSample {
    checkInt('n', n, 1);
    const m = this.numFeatures;
    const d = this.dim;
    const r = this.rank;
    const rng = this.rng;
    const codes = new Float32Array(n * m);
    const x = new Float32Array(n * d);
    const s = new Float64Array(r);
    const firing: number[] = [];
    // Feature i's own draw: the copula (or a Bernoulli without one), then a magnitude; 0 when off.
    const draw = (i: number): number => {
      let on: boolean;
      if (r === 0) on = rng.uniform() < this.drawProbabilities[i];
      else {
        let g = this.residualScale[i] * rng.normal();
        for (let k = 0; k < r; k++) g += this.loadings[i * r + k] * s[k];
        on = g > this.thresholds[i];
      }
      return on ? Math.max(0, this.meanMagnitudes[i] + this.stdMagnitudes[i] * rng.normal()) : 0;
    };
    for (let row = 0; row < n; row++) {
      const base = row * m;
      for (let k = 0; k < r; k++) s[k] = rng.normal();
      // Parents are processed before their children: roots and free features first, then a queue.
      const queue: number[] = [];
      for (const i of this.top) {
        const c = draw(i);
        if (c > 0) {
          codes[base + i] = c;
          queue.push(i);
        }
      }
      for (let at = 0; at < queue.length; at++) {
        const parent = queue[at];
        const kids = this.children[parent];
        if (kids.length === 0) continue;
        firing.length = 0;
        for (const c of kids) {
          const v = draw(c);
          if (v > 0) {
            codes[base + c] = v;
            firing.push(c);
          }
        }
        if (this.mutuallyExclusive && firing.length > 1) {
          const winner = firing[rng.int(firing.length)];
          for (const c of firing) if (c !== winner) codes[base + c] = 0;
          firing.length = 0;
          firing.push(winner);
        }
        const factor = this.scaleChildrenByParent ? codes[base + parent] / this.meanMagnitudes[parent] : 1;
        for (const c of firing) {
          codes[base + c] *= factor;
          queue.push(c);
        }
      }
      for (let j = 0; j < d; j++) x[row * d + j] = this.bias[j];
      for (const i of queue) {
        const c = codes[base + i];
        for (let j = 0; j < d; j++) x[row * d + j] += c * this.directions[i * d + j];
      }
    }
    return { x, codes };
  }

  /** The next `batchSize` inputs (ActivationSource); the codes are discarded. */
  nextBatch(batchSize: number): Float32Array {
    return this.sample(batchSize).x;
  }

  /** The stream position, so a caller can replay the same inputs (a resumed run, or one evaluation set per SAE). */
  getState(): { rng: number[] } {
    return { rng: this.rng.getState() };
  }

  /** Restores a position from `getState()`. */
  setState(state: { rng: number[] }): void {
    this.rng.setState(state?.rng);
  }

  /** The marginals P_i documented on `probabilities`, top-down over the trees. */
  private exactMarginals(): Float64Array {
    const m = this.numFeatures;
    const a = Float64Array.from({ length: m }, (_, i) => {
      const sd = this.stdMagnitudes[i];
      return this.drawProbabilities[i] * (sd > 0 ? normalCdf(this.meanMagnitudes[i] / sd) : 1);
    });
    const out = new Float64Array(m);
    const visit = (i: number, pi: number) => {
      out[i] = pi;
      const kids = this.children[i];
      if (kids.length === 0) return;
      // count[k] = P(exactly k of the siblings other than the one in question fire), by a product of
      // (1 - a_j + a_j z) over those siblings (a Poisson-binomial law).
      for (const c of kids) {
        let share = 1;
        if (this.mutuallyExclusive) {
          let count = [1];
          for (const o of kids) {
            if (o === c) continue;
            const next = new Array(count.length + 1).fill(0);
            count.forEach((v, k) => {
              next[k] += v * (1 - a[o]);
              next[k + 1] += v * a[o];
            });
            count = next;
          }
          share = count.reduce((acc, v, k) => acc + v / (k + 1), 0);
        }
        visit(c, pi * a[c] * share);
      }
    };
    for (const i of this.top) visit(i, a[i]);
    return out;
  }
}

/** Nodes in one tree of `depth` levels below a root with `branching` children per node. */
function treeSize(branching: number, depth: number): number {
  let size = 0;
  for (let l = 0; l <= depth; l++) size += branching ** l;
  return size;
}

/**
 * L(U) = sum_{i != j} (u_i . u_j)^2 + m sum_i (u_i . u_i - 1)^2 for rows u_i of U [m, d]
 * (SAELens `orthogonalize_embeddings` with target cosine 0).
 */
export function orthogonalityLoss(u: Float64Array, m: number, d: number): number {
  let loss = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let g = 0;
      for (let k = 0; k < d; k++) g += u[i * d + k] * u[j * d + k];
      loss += i === j ? m * (g - 1) ** 2 : 2 * g * g;
    }
  }
  return loss;
}

/**
 * dL/dU of `orthogonalityLoss`, row-major [m, d]:
 *   dL/du_i = 4 sum_{j != i} (u_i . u_j) u_j + 4 m (u_i . u_i - 1) u_i.
 * The sum over j is (U U^T U)_i - (u_i . u_i) u_i, and U (U^T U) costs 2 m d^2 where the pairs cost m^2 d.
 */
export function orthogonalityGradient(u: Float64Array, m: number, d: number): Float64Array {
  const gram = new Float64Array(d * d); // U^T U [d, d]
  for (let i = 0; i < m; i++) {
    const ui = i * d;
    for (let a = 0; a < d; a++) {
      const va = u[ui + a];
      for (let b = 0; b < d; b++) gram[a * d + b] += va * u[ui + b];
    }
  }
  const grad = new Float64Array(m * d);
  for (let i = 0; i < m; i++) {
    const ui = i * d;
    let self = 0;
    for (let k = 0; k < d; k++) self += u[ui + k] * u[ui + k];
    const c = 4 * m * (self - 1) - 4 * self;
    for (let b = 0; b < d; b++) {
      let v = 0;
      for (let a = 0; a < d; a++) v += u[ui + a] * gram[a * d + b];
      grad[ui + b] = 4 * v + c * u[ui + b];
    }
  }
  return grad;
}

/**
 * Unit rows pushed towards orthogonal: `steps` Adam steps (beta 0.9 / 0.999, eps 1e-8, PyTorch's
 * defaults) at `lr` on `orthogonalityLoss`, from the normalised rows of `u`, then normalised again.
 */
export function orthogonalizeDirections(
  u: Float64Array,
  m: number,
  d: number,
  options: { steps: number; lr: number },
): Float64Array {
  const w = normalisedRows(u, m, d);
  const first = new Float64Array(m * d);
  const second = new Float64Array(m * d);
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  for (let t = 1; t <= options.steps; t++) {
    const g = orthogonalityGradient(w, m, d);
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    for (let j = 0; j < w.length; j++) {
      first[j] = beta1 * first[j] + (1 - beta1) * g[j];
      second[j] = beta2 * second[j] + (1 - beta2) * g[j] * g[j];
      w[j] -= (options.lr * (first[j] / c1)) / (Math.sqrt(second[j] / c2) + eps);
    }
  }
  return normalisedRows(w, m, d);
}

function normalisedRows(u: Float64Array, m: number, d: number): Float64Array {
  const out = new Float64Array(m * d);
  for (let i = 0; i < m; i++) {
    let norm = 0;
    for (let k = 0; k < d; k++) norm += u[i * d + k] ** 2;
    norm = Math.sqrt(norm);
    for (let k = 0; k < d; k++) out[i * d + k] = u[i * d + k] / norm;
  }
  return out;
}
