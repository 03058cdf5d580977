/**
 * Every SAE loss term, one small function each, its formula and source above it (the shape of
 * openai/sparse_autoencoder's loss.py). Inputs are in the model's normalised units: x' = s x,
 * x'hat its reconstruction. The architectures pick their terms and coefficients; the base
 * class (base.ts) sums them.
 *
 *   MSE          mean_b ||x'_b - x'hat_b||^2                                      (all)
 *   FVU          sum_b ||x'_b - x'hat_b||^2 / sum_b ||x'_b - mean(x')||^2          (TopK family objective)
 *                (both also per member of a stack in one pass)
 *   L1           mean_b sum_i |f_bi| ||W_dec,i||                                   (ReLU + L1)
 *   L0           mean_b sum_i H(z_bi - theta_i)                                    (JumpReLU)
 *   AuxK         ||e - ehat||^2 / ||e - mean(e)||^2 over dead latents              (TopK family)
 *   prefix FVU   mean over prefixes m of the FVU of the first m latents           (Matryoshka)
 */
import * as tf from '@tensorflow/tfjs';
import { gatherRows, stopGradient } from '../base/autodiff';
import { densify } from '../../kernels/densify';
import { matryoshkaAllPrefixLoss } from '../../kernels/matryoshka-loss';
import { sparseDecode } from '../../kernels/sparse-decode';
import { topkActivation } from '../../kernels/topk';

/**
 * Per-input squared error summed over D, averaged over the batch: mean_b ||x_b - xhat_b||^2.
 * @param xBD [B,D] @param xhatBD [B,D] @returns scalar
 */
export function squaredError(xBD: tf.Tensor2D, xhatBD: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => xBD.sub(xhatBD).square().sum(1).mean() as tf.Scalar);
}

/** Total variance of a batch about its mean, sum_b ||x_b - mean(x)||^2 (+1e-12 against a constant batch). */
function totalVariance(xBD: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => xBD.sub(xBD.mean(0, true)).square().sum().add(1e-12) as tf.Scalar);
}

/**
 * Fraction of variance unexplained over one batch, numerator and denominator summed
 * separately (Gao et al. 2024, Sec. 2.1's normalised MSE): sum_b ||x_b - xhat_b||^2 / sum_b ||x_b - mean(x)||^2.
 * @param xBD [B,D] @param xhatBD [B,D] @returns scalar
 */
export function batchFvu(xBD: tf.Tensor2D, xhatBD: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => xBD.sub(xhatBD).square().sum().div(totalVariance(xBD)) as tf.Scalar);
}

/**
 * `squaredError` and `batchFvu` of every member of a stack that reconstructs one batch, in one
 * pass: member s's values are those of its own reconstruction xhat[s], with the same arithmetic
 * (the same differences and the same order of summation).
 * @param xBD [B,D] @param xhatSBD [S,B,D] @returns mseS [S], fvuS [S]
 */
export function stackReconstructionLosses(
  xBD: tf.Tensor2D,
  xhatSBD: tf.Tensor3D,
): { mseS: tf.Tensor1D; fvuS: tf.Tensor1D } {
  return tf.tidy(() => {
    const [s, b, d] = xhatSBD.shape;
    const squaresSBD = xBD.sub(xhatSBD).square();
    return {
      mseS: squaresSBD.sum(2).mean(1) as tf.Tensor1D,
      fvuS: squaresSBD
        .reshape([s, b * d])
        .sum(1)
        .div(totalVariance(xBD)) as tf.Tensor1D,
    };
  });
}

/**
 * The decoder-norm-weighted L1 penalty (Bricken et al. 2023; Anthropic's April 2024 update;
 * SAELens "standard"), averaged over the batch:
 *   P = mean_b sum_i |f_bi| * ||W_dec,i||
 * With unit-norm decoder rows the weight is 1; writing it keeps the penalty honest when rows drift.
 * Latents dense [B,N], or sparse (values [B,K] at latents indices [B,K]: the same sum over the listed entries).
 * @param latents [B,N] or { valuesBK, indicesBK } @param wDecND [N,D] @returns scalar
 */
export function weightedL1(
  latents: tf.Tensor2D | { valuesBK: tf.Tensor2D; indicesBK: tf.Tensor2D },
  wDecND: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const normsN = wDecND.square().sum(1).sqrt();
    if (latents instanceof tf.Tensor) return latents.abs().mul(normsN).sum(1).mean() as tf.Scalar;
    const { valuesBK, indicesBK } = latents;
    const normsBK = gatherRows(normsN.reshape([-1, 1]), indicesBK.reshape([-1])).reshape(valuesBK.shape);
    return valuesBK.abs().mul(normsBK).sum(1).mean() as tf.Scalar;
  });
}

/**
 * The L0 penalty of a JumpReLU SAE (Rajamanoharan et al. 2024, arXiv:2407.14435, Eq. 10),
 * averaged over the batch:  ||f||_0 = mean_b sum_i H(z_bi - theta_i).
 * Its theta gradient comes from the step op's pseudo-derivative (kernels/jumprelu, Eq. 12).
 * @param stepBN [B,N] H(z - theta) from `jumpReluStep` (or [B,K] at a sparse code's entries) @returns scalar
 */
export function l0Penalty(stepBN: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => stepBN.sum(1).mean() as tf.Scalar);
}

/**
 * The L0 penalty around a target T (dictionary_learning's JumpReLU trainer): (L0 / T - 1)^2.
 * Its gradient is the L0 term's times 2 (L0 / T - 1) / T: it raises the thresholds while L0 is
 * above T and lowers them while it is below, where the plain L0 only ever raises them.
 * @param l0 scalar from `l0Penalty` (or `pooledL0`) @param target T > 0 @returns scalar
 */
export function l0TargetPenalty(l0: tf.Scalar, target: number): tf.Scalar {
  return tf.tidy(() => l0.div(target).sub(1).square() as tf.Scalar);
}

/**
 * AuxK loss over the dead latents (Gao et al. 2024, Sec. A.2):
 *   a = ReLU(topk(zDead, kAux)),  ehat = a W_dead  (WITHOUT b_dec: adding it is sparsify #132),
 *   L_aux = sum_b ||e_b - ehat_b||^2 / sum_b ||e_b - mean_b(e)||^2
 * @param residualBD [B,D] e = x' - x'hat, treated as a constant
 * @param zDeadBM [B,M] pre-activations of the M dead latents
 * @param wDeadMD [M,D] their decoder rows
 * @returns scalar
 */
export function auxKLoss(residualBD: tf.Tensor2D, zDeadBM: tf.Tensor2D, wDeadMD: tf.Tensor2D, kAux: number): tf.Scalar {
  return tf.tidy(() => {
    const e = stopGradient(residualBD);
    const M = zDeadBM.shape[1];
    const { valuesBK, indicesBK } = topkActivation(zDeadBM, Math.min(kAux, M));
    const ehatBD = densify(valuesBK, indicesBK, M).matMul(wDeadMD);
    return e.sub(ehatBD).square().sum().div(totalVariance(e)) as tf.Scalar;
  });
}

/** The weights AuxK reads: W_enc [D,N], b_enc [N], W_dec [N,D], and b_dec [D] when subtracted before encoding. */
export interface AuxKWeights {
  wEncDN: tf.Tensor2D;
  bEncN: tf.Tensor1D;
  wDecND: tf.Tensor2D;
  /** b_dec when the SAE encodes x' - b_dec, null when it encodes x'. */
  inputBiasD: tf.Tensor1D | null;
}

/**
 * The AuxK term for the given dead latents (0 when there are none). Only the dead columns of
 * W_enc are multiplied: O(B*D*M) for M dead latents instead of a second dense encoder pass.
 * @param xnBD [B,D] normalised inputs @param xhatBD [B,D] their reconstruction @param deadM dead latent indices
 * @param targetBD [B,D] what xhat predicts: x' (default) or a transcoder's y'; the residual is target - xhat
 */
export function deadLatentAuxK(
  weights: AuxKWeights,
  xnBD: tf.Tensor2D,
  xhatBD: tf.Tensor2D,
  deadM: Int32Array | undefined,
  kAux: number,
  targetBD: tf.Tensor2D = xnBD,
): tf.Scalar {
  if (!deadM || deadM.length === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const idxM = tf.tensor1d(deadM, 'int32');
    const centred = weights.inputBiasD ? xnBD.sub(weights.inputBiasD) : xnBD;
    const wEncDeadDM = gatherRows(weights.wEncDN.transpose(), idxM).transpose();
    const bEncDeadM = gatherRows(weights.bEncN.reshape([-1, 1]), idxM).reshape([-1]);
    const zDeadBM = centred.matMul(wEncDeadDM).add(bEncDeadM) as tf.Tensor2D;
    const wDeadMD = gatherRows(weights.wDecND, idxM);
    return auxKLoss(targetBD.sub(xhatBD) as tf.Tensor2D, zDeadBM, wDeadMD, kAux);
  });
}

/**
 * Matryoshka loss over EVERY prefix m = 1..N (block size 1; Bussmann et al. 2025,
 * arXiv:2503.17547, Eq. 2 with all prefixes; Nabeshima 2024), as an FVU:
 *   L = (1/N) sum_{m=1}^{N} sum_b ||x'_b - b_dec - sum_{i<m} f_bi W_dec,i||^2 / sum_b ||x'_b - mean(x')||^2
 * computed in O(K*D) per input by kernels/matryoshka-loss (the sorted-gap form).
 * @param valuesBK [B,K] @param indicesBK [B,K] int32 @param wDecND [N,D] @param bDecD [D] @param xnBD [B,D]
 */
export function allPrefixFvu(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  bDecD: tf.Tensor1D,
  xnBD: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const perInputB = matryoshkaAllPrefixLoss(valuesBK, indicesBK, wDecND, xnBD.sub(bDecD) as tf.Tensor2D);
    return perInputB.sum().div(totalVariance(xnBD).mul(wDecND.shape[0])) as tf.Scalar;
  });
}

/**
 * Matryoshka loss over a list of prefix sizes m_1 < ... < m_G = N (Bussmann et al. 2025, Eq. 2):
 *   L = (1/G) sum_g sum_b ||x'_b - (sum_{i<m_g} f_bi W_dec,i + b_dec)||^2 / sum_b ||x'_b - mean(x')||^2
 * @param valuesBK [B,K] @param indicesBK [B,K] int32 (stop-gradient) @param wDecND [N,D] @param bDecD [D] @param xnBD [B,D]
 */
export function prefixListFvu(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  bDecD: tf.Tensor1D,
  xnBD: tf.Tensor2D,
  prefixes: number[],
): tf.Scalar {
  return tf.tidy(() => {
    const idx = stopGradient(indicesBK);
    const terms = prefixes.map((m) => {
      const keptBK = valuesBK.mul(idx.less(m).cast('float32')) as tf.Tensor2D;
      return xnBD
        .sub(sparseDecode(keptBK, idx, wDecND, bDecD))
        .square()
        .sum();
    });
    return tf.addN(terms).div(totalVariance(xnBD).mul(prefixes.length)) as tf.Scalar;
  });
}

/**
 * `prefixListFvu` on dense latents f [B,N] (BatchTopK's, whose count per input varies): the
 * reconstruction of prefix m_g adds the block f[:, m_{g-1}:m_g] W_dec[m_{g-1}:m_g] to that of
 * m_{g-1}, so all G terms cost one B x N x D product:
 *   L = (1/G) sum_g sum_b ||x'_b - (sum_{i<m_g} f_bi W_dec,i + b_dec)||^2 / sum_b ||x'_b - mean(x')||^2
 * @param fBN [B,N] @param wDecND [N,D] @param bDecD [D] @param xnBD [B,D] @param prefixes m_1 < ... < m_G = N
 */
export function prefixListFvuDense(
  fBN: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  bDecD: tf.Tensor1D,
  xnBD: tf.Tensor2D,
  prefixes: number[],
): tf.Scalar {
  return tf.tidy(() => {
    let reconBD: tf.Tensor2D = tf.zerosLike(xnBD).add(bDecD);
    let start = 0;
    const terms = prefixes.map((end) => {
      const blockBD = fBN.slice([0, start], [-1, end - start]).matMul(wDecND.slice([start, 0], [end - start, -1]));
      reconBD = reconBD.add(blockBD) as tf.Tensor2D;
      start = end;
      return xnBD.sub(reconBD).square().sum();
    });
    return tf.addN(terms).div(totalVariance(xnBD).mul(prefixes.length)) as tf.Scalar;
  });
}

/**
 * The L0 penalty with its theta gradient pooled over W past steps (a persistent kernel density
 * estimate, jumprelu.ts): the value stays l0, the gradient is 1/(W+1) of this step's plus
 * W/(W+1) of the pooled one:
 *   (1/(W+1)) l0 + (W/(W+1)) [sg(l0) + sum_i (theta_i - sg(theta_i)) c_i]
 * @param l0 this step's L0 penalty @param thetaN [N] @param pooledGradN [N] c, the pooled d/dtheta
 */
export function pooledL0(l0: tf.Scalar, thetaN: tf.Tensor1D, pooledGradN: tf.Tensor1D, window: number): tf.Scalar {
  return tf.tidy(() => {
    const surrogate = thetaN.sub(stopGradient(thetaN)).mul(pooledGradN).sum();
    return l0.div(window + 1).add(
      stopGradient(l0)
        .add(surrogate)
        .mul(window / (window + 1)),
    ) as tf.Scalar;
  });
}
