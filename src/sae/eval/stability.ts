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
import { InputError, checkInt } from '../../core/errors';
import { cosineMatrix } from '../../data/metrics';
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

/** Seed stability of two decoders [nA, D] and [nB, D] (row-major; rows need not be unit norm). */
export function seedStability(decoderA: Float32Array, decoderB: Float32Array, dim: number): SeedStability {
  checkInt('dim', dim, 1);
  if (decoderA.length % dim !== 0 || decoderB.length % dim !== 0)
    throw new InputError('decoderA', `lengths ${decoderA.length} and ${decoderB.length} must be multiples of ${dim}`);
  const nA = decoderA.length / dim;
  const nB = decoderB.length / dim;
  // cosineMatrix(decoder, directions) is [directions, decoder]: rows of A, columns of B.
  const cos = cosineMatrix({ decoder: decoderB, directions: decoderA, dim });
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
