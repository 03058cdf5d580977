/**
 * Progressive codes (Gao et al. 2024, arXiv:2406.04093, Sec. 5.3): a TopK SAE read at a
 * different k' than it was trained at. Multi-TopK training (L = FVU(k) + FVU(4k)/8) is meant
 * to make the code usable at any k'; these helpers measure it.
 *
 * - `fvuAtK`: held-out FVU = sum_b ||x_b - xhat_b||^2 / sum_b ||x_b - mean(x)||^2 (numerator and
 *   denominator over the whole set, in float64) with the latents re-selected at k'.
 * - `nextActivationRatios`: per input, a_(k+1) / a_(k), the (k+1)-th largest activation over
 *   the k-th. Near 1 the cut at k falls inside a plateau of similar activations (the code is
 *   not naturally k-sparse); near 0 the k-th is the last one that matters.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt } from '../base/errors';
import type { TopKSae } from '../sae';

/** Held-out FVU of `sae` read at `k` (any k in [1, N]) on rows [M, D], in batches of `batchSize`. */
export async function fvuAtK(sae: TopKSae, rowsMD: Float32Array, k: number, batchSize = 512): Promise<number> {
  const D = sae.dIn;
  if (rowsMD.length === 0 || rowsMD.length % D !== 0) {
    throw new InputError('rowsMD', `length ${rowsMD.length} is not a positive whole number of rows of ${D}`);
  }
  checkInt('batchSize', batchSize, 1);
  const M = rowsMD.length / D;
  const mean = new Float64Array(D);
  for (let r = 0; r < M; r++) for (let c = 0; c < D; c++) mean[c] += rowsMD[r * D + c] / M;
  let err = 0;
  let total = 0;
  for (let start = 0; start < M; start += batchSize) {
    const rows = Math.min(batchSize, M - start);
    const x = rowsMD.subarray(start * D, (start + rows) * D);
    const reconT = tf.tidy(() => sae.decode(sae.encodeWithK(tf.tensor2d(x, [rows, D]), k)));
    const recon = await reconT.data();
    reconT.dispose();
    for (let i = 0; i < x.length; i++) {
      err += (x[i] - recon[i]) ** 2;
      total += (x[i] - mean[i % D]) ** 2;
    }
  }
  return err / total;
}

/**
 * Per row of `valuesBK1` (the k+1 largest activations of each input, any order), the ratio
 * of the (k+1)-th largest to the k-th largest; rows whose k-th activation is 0 give 0.
 * @param valuesBK1 row-major [B, k+1]
 */
export function nextActivationRatios(valuesBK1: ArrayLike<number>, kPlusOne: number): Float64Array {
  checkInt('kPlusOne', kPlusOne, 2);
  if (valuesBK1.length % kPlusOne !== 0) {
    throw new InputError('valuesBK1', `length ${valuesBK1.length} is not a whole number of rows of ${kPlusOne}`);
  }
  const B = valuesBK1.length / kPlusOne;
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const row = Array.from({ length: kPlusOne }, (_, j) => valuesBK1[b * kPlusOne + j]).sort((p, q) => q - p);
    const kth = row[kPlusOne - 2];
    out[b] = kth > 0 ? Math.max(0, row[kPlusOne - 1]) / kth : 0;
  }
  return out;
}

/** The (k+1)-th over k-th activation ratios of `sae` on rows [M, D] (see `nextActivationRatios`). */
export async function progressiveRatios(sae: TopKSae, rowsMD: Float32Array, k: number): Promise<Float64Array> {
  const D = sae.dIn;
  const M = rowsMD.length / D;
  const out = new Float64Array(M);
  for (let start = 0; start < M; start += 512) {
    const rows = Math.min(512, M - start);
    const xBD = tf.tensor2d(rowsMD.subarray(start * D, (start + rows) * D), [rows, D]);
    const latents = sae.encodeWithK(xBD, k + 1);
    xBD.dispose();
    if (latents.kind !== 'sparse') throw new InputError('sae', 'must return sparse latents from encodeWithK');
    const values = await latents.valuesBK.data();
    latents.valuesBK.dispose();
    latents.indicesBK.dispose();
    out.set(nextActivationRatios(values, k + 1), start);
  }
  return out;
}
