/**
 * Matryoshka all-prefix loss (block size 1), reference (Bussmann et al. 2025, arXiv:2503.17547;
 * Nabeshima 2024): every prefix m = 1..N of the dictionary must reconstruct on its own,
 *   L(b) = sum_{m=1}^{N} || r_b - sum_{i < m} f_{b,i} W_dec[i, :] ||^2,   r = x - b_dec
 * (latents 0-based, so prefix m holds latents 0 .. m-1 and prefix N is the full reconstruction).
 * Computed in O(K*D) per input by the sorted-gap form: with the active indices sorted,
 * a_1 < ... < a_K, a_0 = 0, a_{K+1} = N, the prefix residual only changes when the prefix passes
 * an active latent, so the N prefix terms collapse to K+1:
 *   L = sum_{j=0}^{K} (a_{j+1} - a_j) * ||r_j||^2,   r_0 = x - b_dec,  r_j = r_{j-1} - f_{a_j} W_dec[a_j, :]
 * Gradients by autodiff (the fused kernel uses the suffix sums E_l = sum_{j >= l} w_j r_j instead).
 * The literal O(N*D) sum over every prefix is in the tests (the definition both are checked
 * against) and in bench/ (the naive baseline).
 */
import * as tf from '@tensorflow/tfjs';
import { gatherRows, stopGradient } from '../../src/base/autodiff';
import { checkFloat2D, checkSparseCode } from '../shared/checks';
import { InputError } from '../../src/base/errors';

/** Shared checks: sparse code [B,K], wDec [N,D], residual [B,D]. */
export function checkMatryoshkaArgs(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  residualBD: tf.Tensor2D,
): void {
  checkSparseCode(valuesBK, indicesBK);
  checkFloat2D('wDecND', wDecND);
  checkFloat2D('residualBD', residualBD);
  const [b] = valuesBK.shape;
  const [, d] = wDecND.shape;
  if (residualBD.shape[0] !== b || residualBD.shape[1] !== d) {
    throw new InputError('residualBD', `expected shape [${b}, ${d}], got [${residualBD.shape.join(', ')}]`);
  }
}

/**
 * @param valuesBK [B,K]  @param indicesBK [B,K] int32 (distinct per row)  @param wDecND [N,D]
 * @param residualBD [B,D] = x - b_dec  @returns [B]
 */
export function matryoshkaAllPrefixLossReference(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  residualBD: tf.Tensor2D,
): tf.Tensor1D {
  checkMatryoshkaArgs(valuesBK, indicesBK, wDecND, residualBD);
  const [b, k] = valuesBK.shape;
  const [n, d] = wDecND.shape;
  return tf.tidy(() => {
    const indices = stopGradient(indicesBK); // integer bookkeeping below must stay off the gradient tape
    // Sort each row's indices ascending; P permutes the values the same way (differentiable).
    const order = tf.topk(indices.neg().cast('float32'), k, true).indices; // [B,K]
    const sortedIdxBK = tf.topk(indices.neg(), k, true).values.neg() as tf.Tensor2D;
    const permBKK = order
      .expandDims(2)
      .equal(tf.range(0, k, 1, 'int32').reshape([1, 1, k]))
      .cast('float32'); // P[b,j,:] = e_{order[b,j]}
    const sortedValsBK = tf.matMul(permBKK, valuesBK.reshape([b, k, 1])).reshape([b, k]);
    // Gaps w_0 .. w_K between consecutive active indices (a_0 = 0, a_{K+1} = N).
    const a = sortedIdxBK.cast('float32');
    const gapsBK1 = tf.concat([a, tf.fill([b, 1], n)], 1).sub(tf.concat([tf.zeros([b, 1]), a], 1));
    // r_j = r_0 - sum_{l <= j} f_{a_l} W[a_l]
    const rowsBKD = gatherRows(wDecND, sortedIdxBK.reshape([-1]) as tf.Tensor1D).reshape([b, k, d]);
    const stepsBDK = sortedValsBK.reshape([b, 1, k]).mul(rowsBKD.transpose([0, 2, 1]));
    // Prefix sums over the K steps as a product with the upper-triangular ones matrix
    // (U[l, j] = 1 for l <= j): tfjs 4.22's cumsum gradient is wrong off the last axis, and its
    // reverse cumsum is wrong on webgpu (tests/kernels/browser.test.ts reports it).
    const upperKK = tf.linalg.bandPart(tf.ones([k, k]), 0, -1);
    const prefixBDK = tf.matMul(stepsBDK.reshape([b * d, k]), upperKK).reshape([b, d, k]);
    const residualsBDK = residualBD.reshape([b, d, 1]).sub(prefixBDK);
    const norms = tf.concat([residualBD.square().sum(1, true), residualsBDK.square().sum(1)], 1); // [B, K+1]
    return norms.mul(gapsBK1).sum(1) as tf.Tensor1D;
  });
}
