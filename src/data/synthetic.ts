/**
 * Synthetic activations with known ground truth, so every claim about an SAE can be checked.
 *
 * Both generators draw sparse feature codes c in R^m and embed them along unit directions
 * u_1..u_m in R^d (Elhage et al. 2022, "Toy Models of Superposition", arXiv:2209.10652;
 * Sharkey, Braun & Millidge 2022, "Taking features out of superposition with sparse autoencoders"):
 *
 *   x = sum_i c_i u_i + noise,   c_i = a_i * m_i,   a_i ~ Bernoulli(p_i),   m_i ~ magnitude law,
 *   noise ~ N(0, noiseStd^2 I_d).
 *
 * - `SuperpositionData`: m independent (or correlated) features in d < m dimensions along random
 *   unit directions. Correlation is a one-factor Gaussian copula: feature i fires when
 *   g_i = sqrt(rho) s_G + sqrt(1 - rho) e_i > Phi^-1(1 - p_i), with s_G shared by the features of
 *   its group G and e_i independent; each marginal stays exactly p_i. Independent sparse features
 *   are drawn with geometric skips (O(p m) random numbers per row instead of m).
 * - `HierarchicalData`: parents whose children fire only when the parent fires, at most one
 *   child per parent (mutually exclusive), plus independent features. The default is the toy
 *   of Nabeshima 2024 (github.com/noanabeshima/matryoshka-saes, tree.json), used by Bussmann,
 *   Nabeshima, Karvonen & Nanda 2025 (arXiv:2503.17547) to show feature absorption:
 *   3 parents with p = 0.15, each with 3 children that fire with probability 0.2 each given the
 *   parent (none of them with 0.4), 8 independent features with p = 0.05, binary magnitudes,
 *   orthonormal directions in d = 20 (3 + 9 + 8 = 20 features).
 */
import { ConfigError, checkInt, checkNumber, checkOneOf } from '../base/errors';
import { Rng } from '../core/random';
import type { ActivationSource } from './source';

/** The law of a feature's magnitude when it fires. */
export type Magnitude =
  | { kind: 'constant'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'exponential'; mean: number };

/** A batch with its ground truth: inputs `x` [n, d] and true codes [n, m], both row-major. */
export interface SyntheticSample {
  x: Float32Array;
  codes: Float32Array;
}

/** Options shared by both generators. */
export interface SyntheticBase {
  /** Magnitude of a firing feature. */
  magnitude?: Magnitude;
  /** Standard deviation of isotropic Gaussian noise added to x (default 0). */
  noiseStd?: number;
  /** 'random': independent uniform unit vectors; 'orthonormal': Gram-Schmidt of those (needs m <= d). */
  directions?: 'random' | 'orthonormal';
  /** Seed of everything random: directions first, then the data stream. */
  seed?: number;
}

/** Options of `SuperpositionData`. */
export interface SuperpositionConfig extends SyntheticBase {
  /** Number of true features m. */
  numFeatures: number;
  /** Dimension d of the embedding space (superposition when d < m). */
  dim: number;
  /** Firing probability p, one for all features or one per feature. */
  probability: number | ArrayLike<number>;
  /** Copula correlation rho in [0, 1) between features of one group (default 0: independent). */
  correlation?: number;
  /** Features [0, g), [g, 2g), ... share a factor (default: all m in one group). */
  correlationGroupSize?: number;
}

/** Options of `HierarchicalData`; every field defaults to Nabeshima's toy (see the module comment). */
export interface HierarchicalConfig extends SyntheticBase {
  /** Embedding dimension d (default 20). */
  dim?: number;
  /** Number of parents (default 3). */
  numParents?: number;
  /** Firing probability of each parent (default 0.15). */
  parentProbability?: number;
  /** Children per parent (default 3). */
  childrenPerParent?: number;
  /** Probability of each child given that its parent fires (default 0.2); children are mutually exclusive. */
  childProbability?: number;
  /** Features outside the hierarchy (default 8). */
  numIndependent?: number;
  /** Firing probability of each independent feature (default 0.05). */
  independentProbability?: number;
}

/** What both generators share: directions, magnitudes, noise, the seeded streams. */
abstract class SyntheticFeatures implements ActivationSource {
  /** Unit directions u_i, row-major [m, d]. */
  readonly directions: Float32Array;
  /** Marginal firing probability of each feature [m]. */
  readonly probabilities: Float32Array;
  protected readonly rng: Rng;
  private readonly magnitude: Magnitude;
  private readonly noiseStd: number;

  constructor(
    readonly numFeatures: number,
    readonly dim: number,
    base: SyntheticBase,
    defaultDirections: 'random' | 'orthonormal',
    defaultMagnitude: Magnitude,
  ) {
    checkInt('numFeatures', numFeatures, 1);
    checkInt('dim', dim, 1);
    const kind = checkOneOf('directions', base.directions ?? defaultDirections, ['random', 'orthonormal']);
    if (kind === 'orthonormal' && numFeatures > dim) {
      throw new ConfigError(
        'directions',
        `'orthonormal' needs numFeatures <= dim, got ${numFeatures} > ${dim}; use 'random'`,
      );
    }
    this.magnitude = checkMagnitude(base.magnitude ?? defaultMagnitude);
    this.noiseStd = checkNumber('noiseStd', base.noiseStd ?? 0, { min: 0 });
    const root = new Rng(base.seed ?? 0);
    this.directions = randomDirections(root.fork(), numFeatures, dim, kind === 'orthonormal');
    this.rng = root.fork();
    this.probabilities = new Float32Array(numFeatures);
  }

  /** Marks which features fire in row `row` of `codes` (1 = on); magnitudes are applied afterwards. */
  protected abstract drawActive(codes: Float32Array, row: number): void;

  /** `n` inputs with their true codes. */
  sample(n: number): SyntheticSample {
    checkInt('n', n, 1);
    const m = this.numFeatures;
    const d = this.dim;
    const codes = new Float32Array(n * m);
    const x = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      this.drawActive(codes, r);
      for (let i = 0; i < m; i++) {
        if (codes[r * m + i] === 0) continue;
        const c = drawMagnitude(this.magnitude, this.rng);
        codes[r * m + i] = c;
        for (let j = 0; j < d; j++) x[r * d + j] += c * this.directions[i * d + j];
      }
      if (this.noiseStd > 0) for (let j = 0; j < d; j++) x[r * d + j] += this.noiseStd * this.rng.normal();
    }
    return { x, codes };
  }

  /** The next `batchSize` inputs (ActivationSource); the codes are discarded. */
  nextBatch(batchSize: number): Float32Array {
    return this.sample(batchSize).x;
  }

  /** The stream position (the generator's state), so a resumed training run draws the same batches. */
  getState(): { rng: number[] } {
    return { rng: this.rng.getState() };
  }

  /** Restores a position from `getState()`. */
  setState(state: { rng: number[] }): void {
    this.rng.setState(state?.rng);
  }
}

/** m sparse features along random unit directions in d dimensions, optionally correlated. */
export class SuperpositionData extends SyntheticFeatures {
  /** Copula correlation rho. */
  readonly correlation: number;
  private readonly groupSize: number;
  private readonly thresholds: Float64Array;
  private readonly maxProbability: number;

  constructor(config: SuperpositionConfig) {
    super(config.numFeatures, config.dim, config, 'random', { kind: 'uniform', min: 0, max: 1 }); // Elhage et al. 2022
    const m = this.numFeatures;
    const p = config.probability;
    for (let i = 0; i < m; i++) {
      const pi = typeof p === 'number' ? p : p[i];
      this.probabilities[i] = checkNumber(typeof p === 'number' ? 'probability' : `probability[${i}]`, pi, {
        min: 0,
        max: 1,
      });
    }
    if (typeof p !== 'number' && p.length !== m)
      throw new ConfigError('probability', `needs ${m} entries (one per feature), got ${p.length}`);
    this.correlation = checkNumber('correlation', config.correlation ?? 0, { min: 0, max: 1, maxOpen: true });
    this.groupSize = checkInt('correlationGroupSize', config.correlationGroupSize ?? m, 1, m);
    // Feature i fires when its copula variable exceeds Phi^-1(1 - p_i).
    this.thresholds = Float64Array.from(this.probabilities, (pi) => normalQuantile(1 - pi));
    this.maxProbability = this.probabilities.reduce((a, b) => Math.max(a, b), 0);
  }

  protected drawActive(codes: Float32Array, row: number): void {
    const m = this.numFeatures;
    if (this.correlation === 0) {
      if (this.maxProbability >= 0.25) {
        for (let i = 0; i < m; i++) if (this.rng.uniform() < this.probabilities[i]) codes[row * m + i] = 1;
        return;
      }
      // Sparse case: jump between candidates with geometric gaps (each feature is a candidate with
      // probability pMax, independently), then keep candidate i with probability p_i / pMax.
      // Same law as one Bernoulli(p_i) per feature, with O(pMax * m) draws instead of m.
      if (this.maxProbability === 0) return;
      const logQ = Math.log(1 - this.maxProbability);
      for (
        let i = Math.floor(Math.log(1 - this.rng.uniform()) / logQ);
        i < m;
        i += 1 + Math.floor(Math.log(1 - this.rng.uniform()) / logQ)
      ) {
        const pi = this.probabilities[i];
        if (pi === this.maxProbability || this.rng.uniform() * this.maxProbability < pi) codes[row * m + i] = 1;
      }
      return;
    }
    const a = Math.sqrt(this.correlation);
    const b = Math.sqrt(1 - this.correlation);
    let shared = 0;
    for (let i = 0; i < m; i++) {
      if (i % this.groupSize === 0) shared = this.rng.normal();
      if (a * shared + b * this.rng.normal() > this.thresholds[i]) codes[row * m + i] = 1;
    }
  }
}

/** Parents, mutually exclusive children that fire only with their parent, and independent features. */
export class HierarchicalData extends SyntheticFeatures {
  /** Feature index of each parent. */
  readonly parents: number[];
  /** Feature indices of each parent's children, `children[k]` for `parents[k]`. */
  readonly children: number[][];
  /** Feature indices outside the hierarchy. */
  readonly independent: number[];
  /** For each feature, the index of its parent feature, or -1. */
  readonly parentOf: Int32Array;
  /** Probability of each child given its parent. */
  readonly childProbability: number;

  constructor(config: HierarchicalConfig = {}) {
    const numParents = checkInt('numParents', config.numParents ?? 3, 0);
    const perParent = checkInt('childrenPerParent', config.childrenPerParent ?? 3, 0);
    const numIndependent = checkInt('numIndependent', config.numIndependent ?? 8, 0);
    const m = numParents * (1 + perParent) + numIndependent;
    if (m === 0)
      throw new ConfigError('numParents', 'the hierarchy has no features: raise numParents or numIndependent');
    super(m, config.dim ?? 20, config, 'orthonormal', { kind: 'constant', value: 1 }); // binary, as in Nabeshima's toy
    const pParent = checkNumber('parentProbability', config.parentProbability ?? 0.15, { min: 0, max: 1 });
    this.childProbability = checkNumber('childProbability', config.childProbability ?? 0.2, {
      min: 0,
      max: perParent > 0 ? 1 / perParent : 1,
    });
    const pIndependent = checkNumber('independentProbability', config.independentProbability ?? 0.05, {
      min: 0,
      max: 1,
    });
    // Depth-first order, as in Nabeshima's tree: parent, its children, next parent, ..., then the independent features.
    this.parents = [];
    this.children = [];
    this.independent = [];
    this.parentOf = new Int32Array(m).fill(-1);
    let next = 0;
    for (let k = 0; k < numParents; k++) {
      const parent = next++;
      this.parents.push(parent);
      this.probabilities[parent] = pParent;
      const kids: number[] = [];
      for (let c = 0; c < perParent; c++) {
        const child = next++;
        kids.push(child);
        this.parentOf[child] = parent;
        this.probabilities[child] = pParent * this.childProbability;
      }
      this.children.push(kids);
    }
    for (let k = 0; k < numIndependent; k++) {
      this.independent.push(next);
      this.probabilities[next++] = pIndependent;
    }
  }

  protected drawActive(codes: Float32Array, row: number): void {
    const base = row * this.numFeatures;
    this.parents.forEach((parent, k) => {
      if (this.rng.uniform() >= this.probabilities[parent]) return;
      codes[base + parent] = 1;
      // One categorical draw picks at most one child: child c with probability q, none with 1 - n q.
      const c = Math.floor(this.rng.uniform() / this.childProbability);
      if (this.childProbability > 0 && c < this.children[k].length) codes[base + this.children[k][c]] = 1;
    });
    for (const i of this.independent) if (this.rng.uniform() < this.probabilities[i]) codes[base + i] = 1;
  }
}

/** `m` unit vectors in R^d: normalised Gaussian draws, orthogonalised (Gram-Schmidt) when asked. */
export function randomDirections(rng: Rng, m: number, d: number, orthonormal: boolean): Float32Array {
  const out = new Float64Array(m * d);
  for (let i = 0; i < m; i++) {
    for (;;) {
      for (let j = 0; j < d; j++) out[i * d + j] = rng.normal();
      if (orthonormal) {
        for (let k = 0; k < i; k++) {
          let dot = 0;
          for (let j = 0; j < d; j++) dot += out[i * d + j] * out[k * d + j];
          for (let j = 0; j < d; j++) out[i * d + j] -= dot * out[k * d + j];
        }
      }
      let norm = 0;
      for (let j = 0; j < d; j++) norm += out[i * d + j] ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-6) {
        for (let j = 0; j < d; j++) out[i * d + j] /= norm;
        break;
      }
    }
  }
  return Float32Array.from(out);
}

/**
 * Phi(x), the standard normal CDF: erfc(-x / sqrt(2)) / 2, with erfc from its Chebyshev fit
 * (Press et al., Numerical Recipes, 2nd ed., section 6.2, `erfcc`: fractional error < 1.2e-7).
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Phi^-1(q), the standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(q: number): number {
  if (q <= 0) return -Infinity;
  if (q >= 1) return Infinity;
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (q < lo || q > 1 - lo) {
    const t = Math.sqrt(-2 * Math.log(q < lo ? q : 1 - q));
    const v =
      (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
      ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
    return q < lo ? v : -v;
  }
  const s = q - 0.5;
  const r = s * s;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * s) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

function checkMagnitude(mag: Magnitude): Magnitude {
  switch (mag.kind) {
    case 'constant':
      checkNumber('magnitude.value', mag.value, { min: 0, minOpen: true });
      break;
    case 'uniform':
      checkNumber('magnitude.min', mag.min, { min: 0 });
      checkNumber('magnitude.max', mag.max, { min: mag.min, minOpen: true });
      break;
    case 'exponential':
      checkNumber('magnitude.mean', mag.mean, { min: 0, minOpen: true });
      break;
    default:
      throw new ConfigError(
        'magnitude.kind',
        `must be one of 'constant', 'uniform', 'exponential', got '${(mag as { kind: string }).kind}'`,
      );
  }
  return mag;
}

function drawMagnitude(mag: Magnitude, rng: Rng): number {
  switch (mag.kind) {
    case 'constant':
      return mag.value;
    case 'uniform': {
      // A firing feature must be nonzero: redraw the (probability-zero in exact arithmetic) value 0.
      let v = 0;
      while (v === 0) v = mag.min + (mag.max - mag.min) * rng.uniform();
      return v;
    }
    case 'exponential':
      return -mag.mean * Math.log(1 - rng.uniform()) || mag.mean * 2 ** -32;
  }
}
