/**
 * The preset 'gensparse-v1': the known-truth generator this package used before the faithful
 * SynthSAEBench preset (src/data/synth-bench.ts), kept so that earlier reports can be rerun. It
 * follows SynthSAEBench (SAELens `docs/synth_sae_bench.md`, arXiv:2602.14687) in spirit only:
 * children are one categorical draw under their parent, the Zipf ranking is shuffled and floored
 * rather than rescaled, only roots and free features are correlated (loadings N(0, s^2 / r)),
 * magnitudes are |N(1, 0.5^2)|, and there is no orthogonalisation and no bias. Activations are
 *
 *   x = sum_i c_i u_i + noise,   c_i = a_i * m_i,
 *
 * with m true features along random unit directions u_i in d < m dimensions (superposition), and:
 * - Zipf firing probabilities: the feature of rank r (a random permutation of the features) has
 *   p_r = max(pMin, pMax * r^(-exponent)) (SynthSAEBench: exponent 0.5, from 0.4 down to 5e-4).
 * - A hierarchy: `roots` trees with `branching` children per node down to `depth` levels. A child
 *   can fire only when its parent fires, and the children of one parent are mutually exclusive:
 *   given a firing parent, one child (uniformly chosen) fires with probability `childCoverage`,
 *   none otherwise. So a child's marginal probability is p_parent * childCoverage / branching.
 *   Roots and the features outside the trees take their Zipf probability.
 * - Low-rank correlations (a Gaussian copula of rank r): a root or free feature i fires when
 *     g_i = <L_i, s> + sqrt(1 - ||L_i||^2) e_i > Phi^-1(1 - p_i),   s ~ N(0, I_r), e_i ~ N(0, 1),
 *   loadings L_i ~ N(0, correlationScale^2 / r) per entry (row norms capped at 0.95). Each marginal
 *   stays exactly p_i; features with aligned loadings co-fire more often than independent ones.
 * - Magnitude noise: a firing feature's magnitude is |magnitudeMean + magnitudeStd * N(0, 1)|.
 * - Optional isotropic Gaussian noise on x.
 */
import { ConfigError, checkInt, checkNumber } from '../base/errors';
import { Rng } from '../core/random';
import type { ActivationSource } from './source';
import { type SyntheticSample, normalQuantile, randomDirections } from './synthetic';

/** Shape of the feature hierarchy of `SynthBenchV1`. */
export interface SynthHierarchyV1 {
  /** Number of trees. */
  roots: number;
  /** Children per node. */
  branching: number;
  /** Levels below the root (1: roots with children only). */
  depth: number;
  /** Probability that a firing parent fires one of its children. Default 0.5. */
  childCoverage?: number;
}

/** Config of `SynthBenchV1`; defaults give a laptop-sized benchmark (1,024 features in d = 64). */
export interface SynthBenchV1Config {
  /** Number of true features m. Default 1024. */
  numFeatures?: number;
  /** Dimension d (m > d: superposition). Default 64. */
  dim?: number;
  /** Firing probability of the most frequent feature. Default 0.4 (SynthSAEBench). */
  maxProbability?: number;
  /** Floor of the firing probabilities. Default 5e-4 (SynthSAEBench). */
  minProbability?: number;
  /** Zipf exponent. Default 0.5 (SynthSAEBench). */
  zipfExponent?: number;
  /** The hierarchy (default 16 roots, branching 4, depth 2: 336 features in trees); null for none. */
  hierarchy?: SynthHierarchyV1 | null;
  /** Rank of the correlation factor (0: independent). Default 8. */
  correlationRank?: number;
  /** Scale of the loadings. Default 0.5. */
  correlationScale?: number;
  /** Mean firing magnitude. Default 1. */
  magnitudeMean?: number;
  /** Std of the firing magnitude before folding. Default 0.5. */
  magnitudeStd?: number;
  /** Isotropic noise std on x. Default 0. */
  noiseStd?: number;
  /** Seed of the structure (directions, ranks, loadings) and then of the data stream. Default 0. */
  seed?: number;
}

/** The 'gensparse-v1' generator with its ground truth. */
export class SynthBenchV1 implements ActivationSource {
  readonly numFeatures: number;
  readonly dim: number;
  /** Unit directions u_i, row-major [m, d]. */
  readonly directions: Float32Array;
  /** Marginal firing probability of each feature [m] (exact, hierarchy included). */
  readonly probabilities: Float64Array;
  /** Zipf probability of each feature [m] (the firing threshold of roots and free features). */
  readonly zipfProbabilities: Float64Array;
  /** Parent feature of each feature, -1 for roots and free features [m]. */
  readonly parentOf: Int32Array;
  /** Children of each feature (empty for leaves and free features). */
  readonly children: number[][];
  /** Features whose firing is drawn directly (roots and free features), in index order. */
  readonly top: Int32Array;
  /** Copula loadings of the top features, row-major [top.length, rank]. */
  readonly loadings: Float64Array;
  readonly rank: number;
  readonly childCoverage: number;
  private readonly thresholds: Float64Array;
  private readonly residualScale: Float64Array;
  private readonly magnitudeMean: number;
  private readonly magnitudeStd: number;
  private readonly noiseStd: number;
  private readonly rng: Rng;

  constructor(config: SynthBenchV1Config = {}) {
    const m = checkInt('numFeatures', config.numFeatures ?? 1024, 1);
    const d = checkInt('dim', config.dim ?? 64, 1);
    const pMax = checkNumber('maxProbability', config.maxProbability ?? 0.4, { min: 0, max: 1, minOpen: true });
    const pMin = checkNumber('minProbability', config.minProbability ?? 5e-4, { min: 0, max: pMax });
    const exponent = checkNumber('zipfExponent', config.zipfExponent ?? 0.5, { min: 0 });
    const h = config.hierarchy === undefined ? { roots: 16, branching: 4, depth: 2 } : config.hierarchy;
    this.rank = checkInt('correlationRank', config.correlationRank ?? 8, 0);
    const scale = checkNumber('correlationScale', config.correlationScale ?? 0.5, { min: 0 });
    this.magnitudeMean = checkNumber('magnitudeMean', config.magnitudeMean ?? 1, { min: 0, minOpen: true });
    this.magnitudeStd = checkNumber('magnitudeStd', config.magnitudeStd ?? 0.5, { min: 0 });
    this.noiseStd = checkNumber('noiseStd', config.noiseStd ?? 0, { min: 0 });
    this.numFeatures = m;
    this.dim = d;
    const root = new Rng(checkInt('seed', config.seed ?? 0, 0, 2 ** 32 - 1));
    this.directions = randomDirections(root.fork(), m, d, false);
    const structure = root.fork();
    this.rng = root.fork();

    // Zipf probabilities over a random ranking of the features.
    const ranks = structure.shuffle(Int32Array.from({ length: m }, (_, i) => i)) as Int32Array;
    this.zipfProbabilities = new Float64Array(m);
    ranks.forEach((feature, r) => {
      this.zipfProbabilities[feature] = Math.max(pMin, pMax * (r + 1) ** -exponent);
    });

    // The trees take the first features in depth-first order; the rest are free.
    this.parentOf = new Int32Array(m).fill(-1);
    this.children = Array.from({ length: m }, () => []);
    this.childCoverage = 0;
    if (h) {
      checkInt('hierarchy.roots', h.roots, 0);
      checkInt('hierarchy.branching', h.branching, 1);
      checkInt('hierarchy.depth', h.depth, 0);
      this.childCoverage = checkNumber('hierarchy.childCoverage', h.childCoverage ?? 0.5, { min: 0, max: 1 });
      let perTree = 0;
      for (let l = 0; l <= h.depth; l++) perTree += h.branching ** l;
      if (h.roots * perTree > m)
        throw new ConfigError('hierarchy', `needs ${h.roots * perTree} features, more than numFeatures = ${m}`);
      let next = 0;
      const grow = (node: number, level: number) => {
        if (level === h.depth) return;
        for (let c = 0; c < h.branching; c++) {
          const child = next++;
          this.parentOf[child] = node;
          this.children[node].push(child);
          grow(child, level + 1);
        }
      };
      for (let t = 0; t < h.roots; t++) grow(next++, 0);
    }
    this.top = Int32Array.from(Array.from({ length: m }, (_, i) => i).filter((i) => this.parentOf[i] === -1));
    // Exact marginals: top features their Zipf p; a child p_parent * coverage / (number of siblings).
    this.probabilities = new Float64Array(m);
    const setMarginal = (i: number, p: number) => {
      this.probabilities[i] = p;
      for (const c of this.children[i]) setMarginal(c, (p * this.childCoverage) / this.children[i].length);
    };
    for (const i of this.top) setMarginal(i, this.zipfProbabilities[i]);

    // Copula loadings of the top features.
    this.loadings = new Float64Array(this.top.length * this.rank);
    this.residualScale = new Float64Array(this.top.length).fill(1);
    for (let t = 0; t < this.top.length && this.rank > 0; t++) {
      let sq = 0;
      for (let k = 0; k < this.rank; k++) {
        const v = (scale / Math.sqrt(this.rank)) * structure.normal();
        this.loadings[t * this.rank + k] = v;
        sq += v * v;
      }
      if (sq > 0.95 ** 2) {
        const shrink = 0.95 / Math.sqrt(sq);
        for (let k = 0; k < this.rank; k++) this.loadings[t * this.rank + k] *= shrink;
        sq = 0.95 ** 2;
      }
      this.residualScale[t] = Math.sqrt(1 - sq);
    }
    this.thresholds = Float64Array.from(this.top, (i) => normalQuantile(1 - this.zipfProbabilities[i]));
  }

  /** Expected number of firing features per input, sum_i p_i. */
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
    const fire = (row: number, i: number) => {
      const c = Math.abs(this.magnitudeMean + this.magnitudeStd * rng.normal()) || this.magnitudeMean;
      codes[row * m + i] = c;
      for (let j = 0; j < d; j++) x[row * d + j] += c * this.directions[i * d + j];
      const kids = this.children[i];
      if (kids.length > 0 && rng.uniform() < this.childCoverage) fire(row, kids[rng.int(kids.length)]);
    };
    for (let row = 0; row < n; row++) {
      for (let k = 0; k < r; k++) s[k] = rng.normal();
      for (let t = 0; t < this.top.length; t++) {
        let on: boolean;
        if (r === 0) {
          on = rng.uniform() < this.zipfProbabilities[this.top[t]];
        } else {
          let g = this.residualScale[t] * rng.normal();
          for (let k = 0; k < r; k++) g += this.loadings[t * r + k] * s[k];
          on = g > this.thresholds[t];
        }
        if (on) fire(row, this.top[t]);
      }
      if (this.noiseStd > 0) for (let j = 0; j < d; j++) x[row * d + j] += this.noiseStd * rng.normal();
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
}
