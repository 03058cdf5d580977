/**
 * Statistics for findings over seeds: the mean with its 95% Student-t interval, and the
 * untrained-SAE baseline every known-truth metric is read against.
 *
 * With n seeds x_1..x_n (Student 1908; any statistics text, e.g. Wasserman 2004, section 10.7):
 *   mean = (1/n) sum_s x_s,   sd = sqrt(sum_s (x_s - mean)^2 / (n - 1)),
 *   interval = mean -/+ t_{1 - alpha/2, n - 1} sd / sqrt(n).
 * With 3 seeds t_{0.975, 2} = 4.30: the interval is 2.2 times wider than the normal 1.96 would
 * make it, which is why the quantile is computed, not approximated.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt, checkNumber } from '../base/errors';
import { disposeOutput } from '../sae/base';
import { BatchTopKSae } from '../sae/batch-topk';
import type { SaeConfig } from '../sae/create';
import { createSae } from '../sae/create';
import { type KnownTruthMetrics, type KnownTruthSource, evaluateKnownTruth } from '../sae/eval/truth';

/** A mean over seeds with its confidence interval. */
export interface MeanInterval {
  mean: number;
  /** Lower and upper end of the interval. */
  lo: number;
  hi: number;
  /** Sample standard deviation (n - 1 in the denominator). */
  sd: number;
  /** Number of values (seeds). */
  n: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
}

/**
 * The regularised incomplete beta function I_x(a, b), by its continued fraction (Press et al.,
 * Numerical Recipes, 3rd ed., section 6.4, `betai` / `betacf`).
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  checkNumber('x', x, { min: 0, max: 1 });
  if (x === 0 || x === 1) return x;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaFraction(1 - x, b, a)) / b;
}

/** P(T <= t) for Student's t with `df` degrees of freedom: 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2 for t >= 0. */
export function tCdf(t: number, df: number): number {
  checkNumber('df', df, { min: 0, minOpen: true });
  const tail = incompleteBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (bisection on `tCdf`, to 1e-12). */
export function tQuantile(p: number, df: number): number {
  checkNumber('p', p, { min: 0, max: 1, minOpen: true, maxOpen: true });
  checkNumber('df', df, { min: 0, minOpen: true });
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The mean of `values` (one per seed) and its `level` Student-t interval; needs at least 2 values. */
export function meanInterval(values: ArrayLike<number>, level = 0.95): MeanInterval {
  checkNumber('level', level, { min: 0, max: 1, minOpen: true, maxOpen: true });
  const n = values.length;
  if (n < 2) throw new InputError('values', `an interval needs at least 2 values (seeds), got ${n}`);
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(values[i])) throw new InputError(`values[${i}]`, `must be finite, got ${values[i]}`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const half = (tQuantile(1 - (1 - level) / 2, n - 1) * sd) / Math.sqrt(n);
  return { mean, lo: mean - half, hi: mean + half, sd, n, level };
}

/** The known-truth metrics an untrained baseline reports, each as a mean and interval over seeds. */
export const BASELINE_METRICS = ['f1', 'mcc', 'uniqueness', 'explainedVariance', 'saeL0'] as const;
export type BaselineMetric = (typeof BASELINE_METRICS)[number];

/** A stream that can replay its position (SynthBench), so every seed is scored on the same inputs. */
interface Replayable {
  getState(): { rng: number[] };
  setState(state: { rng: number[] }): void;
}

/**
 * The untrained baseline for the known-truth metrics: SAEs of `config`'s architecture and shape
 * with random unit decoder rows (their initialisation, one per seed in `seeds`), never trained,
 * scored like the trained ones on `samples` inputs of `source`. Every seed sees the same inputs
 * when the source can replay its position; the source is left where the last evaluation ended.
 * A BatchTopK-family SAE starts with threshold 0 (every positive pre-activation fires, L0 far above
 * k), so its threshold is first set by one training-mode selection on `calibrationBatch` inputs (the
 * first update sets theta to the smallest kept activation): the baseline then runs at L0 near k,
 * like the trained SAEs it is compared with. A trained SAE's F1, MCC or uniqueness means something
 * only above this row.
 */
export async function untrainedBaseline(
  config: SaeConfig,
  source: KnownTruthSource,
  options: { seeds: number[]; samples?: number; calibrationBatch?: number },
): Promise<{ perSeed: KnownTruthMetrics[]; metrics: Record<BaselineMetric, MeanInterval> }> {
  const seeds = options.seeds;
  if (!Array.isArray(seeds) || seeds.length < 2)
    throw new InputError('seeds', `needs at least 2 seeds for an interval, got ${JSON.stringify(seeds)}`);
  seeds.forEach((s, i) => checkInt(`seeds[${i}]`, s, 0, 2 ** 32 - 1));
  const calibrationBatch = checkInt('calibrationBatch', options.calibrationBatch ?? 1024, 1);
  const replay = 'getState' in source ? (source as KnownTruthSource & Replayable) : null;
  const start = replay?.getState();
  const perSeed: KnownTruthMetrics[] = [];
  for (const seed of seeds) {
    if (replay && start) replay.setState(start);
    const sae = createSae({ ...config, seed });
    try {
      if (sae instanceof BatchTopKSae) {
        const xBD = tf.tensor2d(source.sample(calibrationBatch).x, [calibrationBatch, source.dim]);
        disposeOutput(sae.forward(xBD, { training: true }));
        xBD.dispose();
        if (replay && start) replay.setState(start);
      }
      perSeed.push(await evaluateKnownTruth(sae, source, { samples: options.samples }));
    } finally {
      sae.dispose();
    }
  }
  const metrics = Object.fromEntries(
    BASELINE_METRICS.map((k) => [k, meanInterval(perSeed.map((r) => r[k]))]),
  ) as Record<BaselineMetric, MeanInterval>;
  return { perSeed, metrics };
}

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-13 on the range used here). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction of I_x(a, b) (modified Lentz), without its front factor. */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}
