/**
 * Seed stability (Paulo & Belrose 2025, "Sparse Autoencoders Trained on the Same Data Learn
 * Different Features", arXiv:2501.16615): train two SAEs with the same config and data but
 * different seeds, match their decoder rows one-to-one by the Hungarian algorithm on cosine
 * similarity, and report the fraction of latents whose match reaches 0.7 and 0.9. They found
 * only ~30% shared at 131k latents on Llama-3-8B, TopK more seed-dependent than ReLU+L1.
 *
 * Signed cosine: a latent whose decoder row points against another's writes the opposite
 * direction, so it is not the same feature.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt } from '../../base/errors';
import { maxSimilarityAssignment } from './assignment';

/** What `seedStability` returns (JSON-able). */
export interface SeedStability {
  nLatentsA: number;
  nLatentsB: number;
  /** Mean matched cosine over the min(nA, nB) pairs. */
  meanMatchedCosine: number;
  /** Fraction of A's latents (of min(nA, nB)) matched at cosine >= 0.7. */
  sharedAt07: number;
  /** ... at cosine >= 0.9. */
  sharedAt09: number;
  /** Histogram of matched cosines over [-1, 1] in 20 bins. */
  matchedCosineHistogram: number[];
}

/**
 * Signed cosines between the rows of `a` [nA, D] and `b` [nB, D], row-major [nA, nB], by one
 * matmul of the unit rows (the same numbers as `cosineMatrix` of assignment.ts, which loops in JS
 * and is far slower at thousands of rows). 0 for a zero row.
 */
export async function rowCosines(a: Float32Array, b: Float32Array, dim: number): Promise<Float32Array> {
  const t = tf.tidy(() => {
    const unit = (x: Float32Array) => {
      const m = tf.tensor2d(x, [x.length / dim, dim]);
      const norm = m.square().sum(1, true).sqrt();
      return m.div(tf.where(norm.greater(0), norm, tf.onesLike(norm)));
    };
    return unit(a).matMul(unit(b).transpose());
  });
  const out = (await t.data()) as Float32Array;
  t.dispose();
  return out;
}

/** Seed stability of two decoders [nA, D] and [nB, D] (row-major; rows need not be unit norm). */
export async function seedStability(
  decoderA: Float32Array,
  decoderB: Float32Array,
  dim: number,
): Promise<SeedStability> {
  checkInt('dim', dim, 1);
  if (decoderA.length % dim !== 0 || decoderB.length % dim !== 0)
    throw new InputError('decoderA', `lengths ${decoderA.length} and ${decoderB.length} must be multiples of ${dim}`);
  const nA = decoderA.length / dim;
  const nB = decoderB.length / dim;
  const cos = await rowCosines(decoderA, decoderB, dim);
  const match = maxSimilarityAssignment(cos, nA, nB);
  const pairs = match.values.length;
  const histogram = new Array(20).fill(0);
  let at07 = 0;
  let at09 = 0;
  for (const c of match.values) {
    if (c >= 0.7) at07++;
    if (c >= 0.9) at09++;
    histogram[Math.min(19, Math.max(0, Math.floor((c + 1) * 10)))]++;
  }
  return {
    nLatentsA: nA,
    nLatentsB: nB,
    meanMatchedCosine: match.total / pairs,
    sharedAt07: at07 / pairs,
    sharedAt09: at09 / pairs,
    matchedCosineHistogram: histogram,
  };
}
