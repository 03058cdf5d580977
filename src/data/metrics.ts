/**
 * Ground-truth metrics: how well a learned dictionary recovers the true features of synthetic data.
 * Plain arrays in, numbers out (read a tensor with `await w.data()` first), so a page can call them.
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
import { InputError, checkInt, checkNumber } from '../base/errors';

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

/** Cosine similarities between every true direction and every decoder row, row-major [m, N]. */
export function cosineMatrix({ decoder, directions, dim }: DictionaryVsTruth): Float32Array {
  checkInt('dim', dim, 1);
  if (decoder.length % dim !== 0)
    throw new InputError('decoder', `length ${decoder.length} is not a multiple of dim ${dim}`);
  if (directions.length % dim !== 0)
    throw new InputError('directions', `length ${directions.length} is not a multiple of dim ${dim}`);
  const n = decoder.length / dim;
  const m = directions.length / dim;
  const rowNorms = (a: Float32Array, rows: number) =>
    Float64Array.from({ length: rows }, (_, r) => {
      let s = 0;
      for (let j = 0; j < dim; j++) s += a[r * dim + j] ** 2;
      return Math.sqrt(s);
    });
  const dn = rowNorms(decoder, n);
  const un = rowNorms(directions, m);
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < n; k++) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += directions[i * dim + j] * decoder[k * dim + j];
      const denom = un[i] * dn[k];
      out[i * n + k] = denom > 0 ? dot / denom : 0; // a zero row matches nothing
    }
  }
  return out;
}

/** Mean max cosine similarity and the count of true features recovered at `threshold`. */
export function featureRecovery(input: DictionaryVsTruth, threshold = 0.9): Recovery {
  checkNumber('threshold', threshold, { min: -1, max: 1 });
  const cos = cosineMatrix(input);
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
  const cos = cosineMatrix(input);
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
