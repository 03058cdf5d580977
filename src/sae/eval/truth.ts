/**
 * Metrics against known true features (SynthSAEBench, SAELens `synthetic/training.py`;
 * arXiv:2602.14687). With decoder rows d_j (N latents) and true directions u_i (m features):
 *
 * - MCC, mean correlation coefficient: the one-to-one (Hungarian) assignment of latents to true
 *   features maximising sum |cos(d_j, u_i)|, and the mean matched |cos| over the min(N, m) pairs
 *   (absolute cosine as in SAELens, so published figures compare).
 * - Each latent's best true feature b(j) = argmax_i |cos(d_j, u_i)|. Treating "latent j fires"
 *   as a detector of "feature b(j) fires": per-latent precision TP/(TP+FP), recall TP/(TP+FN),
 *   F1, each 0 when undefined, averaged over all N latents (SAELens `ClassificationMetrics`).
 *   The same counts over the Hungarian pairs instead give `matched` precision/recall/F1.
 * - Uniqueness: #distinct {b(j)} / N (SAELens `feature_uniqueness`: 1 = every latent tracks its
 *   own feature). `claimedOnce`: of the true features claimed by at least one latent, the
 *   fraction claimed by exactly one.
 * - Shrinkage: (1/M) sum_b ||xhat_b|| / ||x_b|| (SAELens `ShrinkageCalculator`; 1 = none).
 * - Explained variance, L0, dead latents: the pooled reconstruction metrics (`ReconstructionStats`).
 *
 * On a dictionary alone (plain arrays in, numbers out, so a page can call them):
 *
 * - Mean max cosine similarity (MMCS; Sharkey, Braun & Millidge 2022, "Taking features out of
 *   superposition with sparse autoencoders"): for each true direction u_i, the best cosine with any
 *   decoder row d_j, averaged over the m true features:
 *     MMCS = (1/m) sum_i max_j <u_i, d_j> / (||u_i|| ||d_j||).
 *   Signed cosine: a row pointing against u_i does not represent a feature with positive magnitude.
 * - Recovered features: the number of true features with max_j cos(u_i, d_j) >= threshold (default 0.9).
 * - Absorption rate (in the spirit of Chanin et al. 2024, "A is for Absorption", arXiv:2409.14507):
 *   for each parent P, its parent latent l(P) is the latent whose decoder row is most aligned with
 *   u_P. On inputs where a child of P fires (so P fires too), the parent is absorbed when l(P) does
 *   not fire: the parent's direction is then carried, if at all, by the child's latent.
 *     absorption rate = #{inputs with a child of P on and l(P) silent} / #{inputs with a child of P on},
 *   pooled over parents. Two companions tell absorption from other failures:
 *   - `carriedRate`: the share of child inputs where l(P) is silent AND some other firing latent j
 *     has cos(d_j, u_P) >= `carryCosine` (default 0.1): the parent's direction moved into the
 *     child's latent (Chanin et al.'s absorbing latent, whose decoder aligns with the probe),
 *     rather than being dropped (e.g. when a TopK SAE has fewer slots than active features);
 *   - `parentOnlyRecall`: the fraction of inputs with P on and no child on where l(P) fires. A high
 *     absorption rate with a high recall is a parent latent with holes, which is absorption; a low
 *     recall means l(P) is not a parent latent at all.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt, checkNumber } from '../../base/errors';
import type { SyntheticSample } from '../../data/synthetic';
import type { SparseAutoencoder } from '../base';
import { absCosineMatrix, cosineMatrix, maxSimilarityAssignment } from './assignment';
import { type LatentRows, decoderDirections, latentRowsOf } from './latent-rows';
import { ReconstructionStats } from './reconstruction';
import { disposeLatents } from './splice';

/** What `KnownTruthStats.result` returns (JSON-able). */
export interface KnownTruthMetrics {
  inputs: number;
  trueL0: number;
  saeL0: number;
  deadLatents: number;
  explainedVariance: number;
  shrinkage: number;
  mcc: number;
  uniqueness: number;
  claimedOnce: number;
  precision: number;
  recall: number;
  f1: number;
  matchedPrecision: number;
  matchedRecall: number;
  matchedF1: number;
}

/** Streaming accumulator of the known-truth metrics for one SAE. */
export class KnownTruthStats {
  readonly nLatents: number;
  readonly numFeatures: number;
  /** |cos| [N, m], latents by features. */
  readonly absCos: Float64Array;
  /** Best true feature of each latent [N]. */
  readonly best: Int32Array;
  /** Hungarian partner of each latent, -1 when unmatched [N]. */
  readonly partner: Int32Array;
  private readonly mcc: number;
  private readonly recon: ReconstructionStats;
  private readonly counts: { best: Float64Array; matched: Float64Array };
  private trueActive = 0;

  /** @param decoder [N, D] decoder rows in input units  @param directions [m, D] true directions */
  constructor(
    decoder: Float32Array,
    directions: Float32Array,
    readonly dim: number,
  ) {
    checkInt('dim', dim, 1);
    this.nLatents = decoder.length / dim;
    this.numFeatures = directions.length / dim;
    if (!Number.isInteger(this.nLatents) || !Number.isInteger(this.numFeatures))
      throw new InputError('decoder', `decoder and directions must be whole rows of dim ${dim}`);
    const N = this.nLatents;
    const m = this.numFeatures;
    this.absCos = absCosineMatrix(decoder, directions, dim);
    this.best = new Int32Array(N);
    for (let j = 0; j < N; j++) {
      let arg = 0;
      for (let i = 1; i < m; i++) if (this.absCos[j * m + i] > this.absCos[j * m + arg]) arg = i;
      this.best[j] = arg;
    }
    const match = maxSimilarityAssignment(this.absCos, N, m);
    this.partner = new Int32Array(N).fill(-1);
    match.rows.forEach((j, p) => {
      this.partner[j] = match.cols[p];
    });
    this.mcc = match.total / match.values.length;
    this.recon = new ReconstructionStats(dim, N);
    // TP, FP, FN per latent, for the best-feature and the matched-feature detectors: [3N] each.
    this.counts = { best: new Float64Array(3 * N), matched: new Float64Array(3 * N) };
  }

  /** Adds a batch: true codes [B, m], inputs and reconstructions [B, D], the SAE's latents. */
  add(codesBM: Float32Array, xBD: ArrayLike<number>, xhatBD: ArrayLike<number>, latents: LatentRows): void {
    const N = this.nLatents;
    const m = this.numFeatures;
    const B = latents.rows;
    if (codesBM.length !== B * m) throw new InputError('codesBM', `needs ${B} x ${m} values, got ${codesBM.length}`);
    this.recon.add(xBD, xhatBD, latents);
    const fires = new Uint8Array(N);
    for (let b = 0; b < B; b++) {
      fires.fill(0);
      for (let e = latents.rowStart[b]; e < latents.rowStart[b + 1]; e++) fires[latents.idx[e]] = 1;
      for (let i = 0; i < m; i++) if (codesBM[b * m + i] > 0) this.trueActive++;
      for (const [kind, target] of [
        ['best', this.best],
        ['matched', this.partner],
      ] as const) {
        const c = this.counts[kind];
        for (let j = 0; j < N; j++) {
          if (target[j] < 0) continue;
          const truth = codesBM[b * m + target[j]] > 0;
          if (fires[j] && truth) c[3 * j]++;
          else if (fires[j]) c[3 * j + 1]++;
          else if (truth) c[3 * j + 2]++;
        }
      }
    }
  }

  /** The metrics over everything added. */
  result(): KnownTruthMetrics {
    const N = this.nLatents;
    const r = this.recon.result();
    const classify = (c: Float64Array, include: (j: number) => boolean) => {
      let p = 0;
      let rc = 0;
      let f = 0;
      let count = 0;
      for (let j = 0; j < N; j++) {
        if (!include(j)) continue;
        const [tp, fp, fn] = [c[3 * j], c[3 * j + 1], c[3 * j + 2]];
        const prec = tp + fp > 0 ? tp / (tp + fp) : 0;
        const rec = tp + fn > 0 ? tp / (tp + fn) : 0;
        p += prec;
        rc += rec;
        f += prec + rec > 0 ? (2 * prec * rec) / (prec + rec) : 0;
        count++;
      }
      return [p / count, rc / count, f / count];
    };
    const [precision, recall, f1] = classify(this.counts.best, () => true);
    const [matchedPrecision, matchedRecall, matchedF1] = classify(this.counts.matched, (j) => this.partner[j] >= 0);
    const claims = new Map<number, number>();
    for (const b of this.best) claims.set(b, (claims.get(b) ?? 0) + 1);
    let once = 0;
    for (const n of claims.values()) if (n === 1) once++;
    return {
      inputs: r.inputs,
      trueL0: this.trueActive / r.inputs,
      saeL0: r.l0,
      deadLatents: Math.round((1 - r.fractionAlive) * N),
      explainedVariance: r.explainedVariance,
      shrinkage: r.l2Ratio,
      mcc: this.mcc,
      uniqueness: claims.size / N,
      claimedOnce: once / claims.size,
      precision,
      recall,
      f1,
      matchedPrecision,
      matchedRecall,
      matchedF1,
    };
  }
}

/** A generator with known features: `SynthBench`, `SuperpositionData`, `HierarchicalData`. */
export interface KnownTruthSource {
  readonly dim: number;
  /** True unit directions [m, D]. */
  readonly directions: Float32Array;
  sample(n: number): SyntheticSample;
}

/** Draws `samples` fresh inputs from `source` (in batches) and scores `sae` against its true features. */
export async function evaluateKnownTruth(
  sae: SparseAutoencoder,
  source: KnownTruthSource,
  options: { samples?: number; batchSize?: number } = {},
): Promise<KnownTruthMetrics> {
  const samples = checkInt('samples', options.samples ?? 8192, 1);
  const batchSize = checkInt('batchSize', options.batchSize ?? 1024, 1);
  if (source.dim !== sae.dIn) throw new InputError('source', `dim ${source.dim} does not match dIn ${sae.dIn}`);
  const stats = new KnownTruthStats(await decoderDirections(sae), source.directions, sae.dIn);
  for (let done = 0; done < samples; done += batchSize) {
    const B = Math.min(batchSize, samples - done);
    const { x, codes } = source.sample(B);
    const xT = tf.tensor2d(x, [B, sae.dIn]);
    const latents = sae.encode(xT);
    const xhatT = sae.decode(latents);
    const [xhat, rows] = await Promise.all([xhatT.data(), latentRowsOf(latents, sae.nLatents)]);
    tf.dispose([xT, xhatT]);
    disposeLatents(latents);
    stats.add(codes, x, xhat, rows);
  }
  return stats.result();
}

/** A dictionary and the true features to compare it with. */
export interface DictionaryVsTruth {
  /** Decoder rows d_j, row-major [N, D]. */
  decoder: Float32Array;
  /** True directions u_i, row-major [m, D]. */
  directions: Float32Array;
  /** D. */
  dim: number;
}

/** Per-feature recovery: best cosine and the latent that achieves it. */
export interface Recovery {
  /** Mean over true features of the best cosine. */
  meanMaxCosine: number;
  /** Number of true features whose best cosine reaches the threshold. */
  recovered: number;
  /** Best cosine per true feature [m]. */
  maxCosine: Float32Array;
  /** Index of the best latent per true feature [m]. */
  bestLatent: Int32Array;
}

/** Throws unless the decoder and the true directions are whole rows of `dim`. */
function checkDictionary({ decoder, directions, dim }: DictionaryVsTruth): void {
  checkInt('dim', dim, 1);
  if (decoder.length % dim !== 0)
    throw new InputError('decoder', `length ${decoder.length} is not a multiple of dim ${dim}`);
  if (directions.length % dim !== 0)
    throw new InputError('directions', `length ${directions.length} is not a multiple of dim ${dim}`);
}

/** Mean max cosine similarity and the count of true features recovered at `threshold`. */
export function featureRecovery(input: DictionaryVsTruth, threshold = 0.9): Recovery {
  checkNumber('threshold', threshold, { min: -1, max: 1 });
  checkDictionary(input);
  const cos = cosineMatrix(input.directions, input.decoder, input.dim);
  const m = input.directions.length / input.dim;
  const n = input.decoder.length / input.dim;
  const maxCosine = new Float32Array(m);
  const bestLatent = new Int32Array(m);
  let sum = 0;
  let recovered = 0;
  for (let i = 0; i < m; i++) {
    let best = -Infinity;
    let arg = -1;
    for (let k = 0; k < n; k++)
      if (cos[i * n + k] > best) {
        best = cos[i * n + k];
        arg = k;
      }
    maxCosine[i] = best;
    bestLatent[i] = arg;
    sum += best;
    if (best >= threshold) recovered++;
  }
  return { meanMaxCosine: sum / m, recovered, maxCosine, bestLatent };
}

/** Inputs for `absorptionRate`: a hierarchy, true codes and the SAE's latents on the same inputs. */
export interface AbsorptionInput extends DictionaryVsTruth {
  /** Feature index of each parent (HierarchicalData.parents). */
  parents: number[];
  /** Children of each parent (HierarchicalData.children). */
  children: number[][];
  /** True codes [B, m] (HierarchicalData.sample(...).codes). */
  codes: Float32Array;
  /** The SAE's latent activations on those inputs [B, N]. */
  latents: Float32Array;
  /** A latent fires when its activation exceeds this (default 0). */
  firingThreshold?: number;
  /** A firing latent carries the parent when its decoder cosine with u_P reaches this (default 0.1). */
  carryCosine?: number;
}

/** Per-parent absorption figures. */
export interface ParentAbsorption {
  parent: number;
  /** The parent latent l(P): best decoder cosine with u_P. */
  latent: number;
  cosine: number;
  /** Inputs where a child of P fires, and of those, how many leave l(P) silent. */
  childInputs: number;
  absorbed: number;
  /** Of the absorbed inputs, those where another firing latent carries u_P (cosine >= carryCosine). */
  carried: number;
  /** Inputs where P fires with no child, and of those, how many fire l(P). */
  parentOnlyInputs: number;
  parentOnlyFired: number;
}

/** Absorption rate pooled over parents, the parent-only recall control, and per-parent counts. */
export function absorptionRate(input: AbsorptionInput): {
  rate: number;
  carriedRate: number;
  parentOnlyRecall: number;
  perParent: ParentAbsorption[];
} {
  const { dim, codes, latents, parents, children } = input;
  const firing = input.firingThreshold ?? 0;
  const carryCosine = checkNumber('carryCosine', input.carryCosine ?? 0.1, { min: -1, max: 1 });
  const m = input.directions.length / dim;
  const n = input.decoder.length / dim;
  if (codes.length % m !== 0)
    throw new InputError('codes', `length ${codes.length} is not a multiple of the ${m} true features`);
  const batch = codes.length / m;
  if (latents.length !== batch * n)
    throw new InputError('latents', `expected ${batch} x ${n} = ${batch * n} values, got ${latents.length}`);
  if (children.length !== parents.length)
    throw new InputError('children', `${children.length} child lists for ${parents.length} parents`);
  const rec = featureRecovery(input);
  const cos = cosineMatrix(input.directions, input.decoder, input.dim);
  const perParent: ParentAbsorption[] = parents.map((parent, k) => {
    const latent = rec.bestLatent[parent];
    const row: ParentAbsorption = {
      parent,
      latent,
      cosine: rec.maxCosine[parent],
      childInputs: 0,
      absorbed: 0,
      carried: 0,
      parentOnlyInputs: 0,
      parentOnlyFired: 0,
    };
    for (let b = 0; b < batch; b++) {
      if (codes[b * m + parent] === 0) continue;
      const childOn = children[k].some((c) => codes[b * m + c] !== 0);
      const fired = latents[b * n + latent] > firing;
      if (childOn) {
        row.childInputs++;
        if (!fired) {
          row.absorbed++;
          for (let j = 0; j < n; j++) {
            if (j !== latent && latents[b * n + j] > firing && cos[parent * n + j] >= carryCosine) {
              row.carried++;
              break;
            }
          }
        }
      } else {
        row.parentOnlyInputs++;
        if (fired) row.parentOnlyFired++;
      }
    }
    return row;
  });
  const total = (key: keyof ParentAbsorption) => perParent.reduce((s, r) => s + (r[key] as number), 0);
  const childInputs = total('childInputs');
  const parentOnly = total('parentOnlyInputs');
  return {
    rate: childInputs > 0 ? total('absorbed') / childInputs : NaN,
    carriedRate: childInputs > 0 ? total('carried') / childInputs : NaN,
    parentOnlyRecall: parentOnly > 0 ? total('parentOnlyFired') / parentOnly : NaN,
    perParent,
  };
}
