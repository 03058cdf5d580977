/**
 * The analytic KL divergence from the encoder's Gaussian to the standard-normal prior
 * (Kingma & Welling 2013, arXiv:1312.6114, App. B):
 *
 *   KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 * sum_j (mu_j^2 + sigma_j^2 - logVar_j - 1)
 *
 * Each dimension contributes its own non-negative term; a dimension whose term stays near
 * 0 for every input is "collapsed" (q equals the prior there: the decoder ignores it).
 * Free bits (Kingma et al. 2016, "Improving Variational Inference with Inverse
 * Autoregressive Flow", arXiv:1606.04934, Eq. 15) stop the optimiser from pushing a
 * dimension's batch-mean KL below lambda nats.
 */
import * as tf from '@tensorflow/tfjs';
import { checkNumber, checkShape } from '../core';

/**
 * KL per example and per latent dimension: 1/2 (mu^2 + exp(logVar) - logVar - 1).
 * @param muBZ [B, Z]  @param logVarBZ [B, Z]  @returns [B, Z], every entry >= 0
 */
export function gaussianKlPerDim(muBZ: tf.Tensor2D, logVarBZ: tf.Tensor2D): tf.Tensor2D {
  checkShape('logVar', logVarBZ, muBZ.shape);
  return tf.tidy(() => muBZ.square().add(logVarBZ.exp()).sub(logVarBZ).sub(1).mul(0.5));
}

/**
 * KL(q(z|x) || N(0, I)) per example (Kingma & Welling 2014, App. B):
 *   KL = -1/2 * sum_j (1 + logVar_j - mu_j^2 - exp(logVar_j))
 * @param muBZ [B, Z]  @param logVarBZ [B, Z]  @returns [B] in nats
 */
export function gaussianKl(muBZ: tf.Tensor2D, logVarBZ: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => gaussianKlPerDim(muBZ, logVarBZ).sum(-1));
}

/**
 * The KL term of the training objective with free bits (Kingma et al. 2016, Eq. 15):
 *   sum_j max(lambda, mean_b KL_bj)
 * With lambda = 0 this is the batch mean of `gaussianKl`. The gradient of a dimension whose
 * batch-mean KL is below lambda is zero, so the encoder may use it for free.
 * @param klBZ [B, Z] from `gaussianKlPerDim`  @param freeBits lambda in nats per dimension  @returns scalar
 */
export function freeBitsKl(klBZ: tf.Tensor2D, freeBits: number): tf.Scalar {
  checkNumber('freeBits', freeBits, { min: 0 });
  return tf.tidy(() => {
    const perDimZ = klBZ.mean(0);
    return (freeBits > 0 ? tf.maximum(perDimZ, freeBits) : perDimZ).sum() as tf.Scalar;
  });
}
