/**
 * Sparse decode, reference: the dense decoder of a TopK SAE (Gao et al. 2024, arXiv:2406.04093):
 *   xhat[b] = sum_j values[b,j] * W_dec[indices[b,j], :] + b_dec  =  densify(values) W_dec + b_dec
 * computed the way a plain model would: scatter the code into a dense [B,N] matrix, then one
 * [B,N] x [N,D] matmul. Autodiff gives dValues = gather(dy W_dec^T), dW_dec = dense^T dy, db_dec = sum_b dy.
 */
import * as tf from '@tensorflow/tfjs';
import { densify } from '../densify';
import { checkFloat1D, checkFloat2D, checkSparseCode } from '../shared/checks';
import { InputError } from '../../src/base/errors';

/** Shared argument checks of sparseDecode (reference and kernels). */
export function checkDecodeArgs(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  bDecD: tf.Tensor1D,
): void {
  checkSparseCode(valuesBK, indicesBK);
  checkFloat2D('wDecND', wDecND);
  checkFloat1D('bDecD', bDecD, wDecND.shape[1]);
  if (valuesBK.shape[1] > wDecND.shape[0]) {
    throw new InputError(
      'valuesBK',
      `has K = ${valuesBK.shape[1]} columns, more than the ${wDecND.shape[0]} latents of wDecND`,
    );
  }
}

/**
 * xhat = densify(values, indices) W_dec + b_dec.
 * @param valuesBK [B,K]  @param indicesBK [B,K] int32 in [0, N)  @param wDecND [N,D]  @param bDecD [D]  @returns [B,D]
 */
export function sparseDecodeReference(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  bDecD: tf.Tensor1D,
): tf.Tensor2D {
  checkDecodeArgs(valuesBK, indicesBK, wDecND, bDecD);
  return tf.tidy(() => tf.matMul(densify(valuesBK, indicesBK, wDecND.shape[0]), wDecND).add(bDecD) as tf.Tensor2D);
}
