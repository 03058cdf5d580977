/**
 * Sparse decode, reference: the dense decoder of a TopK SAE (Gao et al. 2024, arXiv:2406.04093):
 *   xhat[b] = sum_j values[b,j] * W_dec[indices[b,j], :] + b_dec  =  densify(values) W_dec + b_dec
 * computed the way a plain model would: scatter the code into a dense [B,N] matrix, then one
 * [B,N] x [N,D] matmul. Autodiff gives dValues = gather(dy W_dec^T), dW_dec = dense^T dy, db_dec = sum_b dy.
 */
import * as tf from '@tensorflow/tfjs';
import { densify } from '../densify';
import { checkFloat1D, checkFloat2D, checkSparseCode } from '../shared/checks';
import { InputError, describeValue } from '../../src/base/errors';

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

/** One decoder's weights: W_dec [N,D] and b_dec [D]. */
export interface DecoderWeights {
  wDecND: tf.Tensor2D;
  bDecD: tf.Tensor1D;
}

/** Shared argument checks of sparseDecodeStack: S*B rows of code, every member's block as sparseDecode checks it. */
export function checkDecodeStackArgs(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  members: readonly DecoderWeights[],
): void {
  checkSparseCode(valuesBK, indicesBK);
  if (!Array.isArray(members) || members.length === 0) {
    throw new InputError('members', `must be a non-empty list of decoder weights, got ${describeValue(members)}`);
  }
  if (valuesBK.shape[0] % members.length !== 0) {
    throw new InputError('valuesBK', `has ${valuesBK.shape[0]} rows, not a multiple of the ${members.length} members`);
  }
  const [n, d] = members[0]?.wDecND?.shape ?? [];
  for (const [m, { wDecND, bDecD }] of members.entries()) {
    checkDecodeArgs(valuesBK, indicesBK, wDecND, bDecD);
    if (wDecND.shape[0] !== n || wDecND.shape[1] !== d) {
      throw new InputError(`members[${m}].wDecND`, `has shape [${wDecND.shape.join(', ')}], member 0 [${n}, ${d}]`);
    }
  }
}

/**
 * A stack of S decoders, reference: rows s*B ... s*B + B - 1 of the code are member s's, decoded by
 * sparseDecodeReference with its own W_dec and b_dec.
 * @param valuesBK [S*B,K]  @param indicesBK [S*B,K] int32, each member's own latents  @returns [S*B,D]
 */
export function sparseDecodeStackReference(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  members: readonly DecoderWeights[],
): tf.Tensor2D {
  checkDecodeStackArgs(valuesBK, indicesBK, members);
  const b = valuesBK.shape[0] / members.length;
  return tf.tidy(() => {
    const rows = members.map(({ wDecND, bDecD }, m) => {
      const [v, i] = [valuesBK.slice([m * b, 0], [b, -1]), indicesBK.slice([m * b, 0], [b, -1])];
      return sparseDecodeReference(v as tf.Tensor2D, i as tf.Tensor2D, wDecND, bDecD);
    });
    return tf.concat(rows) as tf.Tensor2D;
  });
}
