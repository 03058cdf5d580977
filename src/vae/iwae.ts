/**
 * The importance-weighted bound on log p(x) (Burda, Grosse & Salakhutdinov 2015,
 * "Importance Weighted Autoencoders", arXiv:1509.00519, Eq. 8):
 *
 *   L_K(x) = E[ log (1/K) sum_k w_k ],   w_k = p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x)
 *
 * L_1 is the ELBO (with a sampled KL), L_K <= L_{K+1} <= log p(x) (their Theorem 1), and
 * L_K -> log p(x) as K grows: what papers report as the "test log-likelihood"
 * (Burda et al. use K = 5000). The log-weights are ~ -100 nats on MNIST, so the mean of
 * w_k would underflow; it is computed stably as logsumexp_k(log w_k) - log K.
 *
 *   log q(z|x) = -1/2 sum_j (logVar_j + (z_j - mu_j)^2 / exp(logVar_j) + log 2 pi)
 *   log p(z)   = -1/2 sum_j (z_j^2 + log 2 pi)
 */
import * as tf from '@tensorflow/tfjs';
import { checkInt, checkShape } from '../core';
import { logLikelihood } from './elbo';
import type { Vae } from './model';
import { type NoiseKey, mixSeed, sampleLatent } from './reparameterize';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * log N(z; mu, diag exp(logVar)) summed over dimensions.
 * @param zBZ [B, Z]  @param muBZ [B, Z]  @param logVarBZ [B, Z]  @returns [B]
 */
export function logNormalDiag(zBZ: tf.Tensor2D, muBZ: tf.Tensor2D, logVarBZ: tf.Tensor2D): tf.Tensor1D {
  checkShape('mu', muBZ, zBZ.shape);
  checkShape('logVar', logVarBZ, zBZ.shape);
  return tf.tidy(() => logVarBZ.add(zBZ.sub(muBZ).square().div(logVarBZ.exp())).add(LOG_2PI).sum(-1).mul(-0.5));
}

/**
 * log N(z; 0, I) summed over dimensions.  @param zBZ [B, Z]  @returns [B]
 */
export function logStandardNormal(zBZ: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => zBZ.square().add(LOG_2PI).sum(-1).mul(-0.5));
}

/**
 * log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x) for K samples per example.
 * @param xBD [B, D]  @returns [K, B]
 */
export function importanceLogWeights(
  model: Vae,
  xBD: tf.Tensor2D,
  k: number,
  key: NoiseKey,
  useKernels = true,
): tf.Tensor2D {
  checkInt('k', k, 1);
  model.checkInput(xBD);
  const b = xBD.shape[0];
  return tf.tidy(() => {
    const { muBZ, logVarBZ } = model.encode(xBD);
    const muKZ = muBZ.tile([k, 1]) as tf.Tensor2D; // row k*B + b: sample k of example b
    const logVarKZ = logVarBZ.tile([k, 1]) as tf.Tensor2D;
    const zKZ = sampleLatent(muKZ, logVarKZ, key, useKernels);
    const outKD = model.decode(zKZ);
    const logPxzKB = logLikelihood(
      model.config.likelihood,
      xBD,
      outKD.reshape([k, b, -1]) as tf.Tensor3D,
      model.config.sigma,
    );
    const logPriorOverQ = logStandardNormal(zKZ)
      .sub(logNormalDiag(zKZ, muKZ, logVarKZ))
      .reshape([k, b]);
    return logPxzKB.add(logPriorOverQ) as tf.Tensor2D;
  });
}

export interface IwaeOptions {
  /** Rows (samples x examples) decoded at once; bounds memory for large K. Default 8192. */
  maxRows?: number;
  /** The one switch (`useKernels`): fused kernels (true, default) or every op's reference.ts; same eps either way. */
  useKernels?: boolean;
}

/**
 * The IWAE bound L_K per example, in nats: logsumexp_k(log w_k) - log K.
 * Large K is processed in chunks of samples (each chunk a fresh step of the noise key).
 * @param xBD [B, D]  @param k K >= 1  @returns [B]
 */
export function iwaeBound(
  model: Vae,
  xBD: tf.Tensor2D,
  k: number,
  key: NoiseKey,
  options: IwaeOptions = {},
): tf.Tensor1D {
  checkInt('k', k, 1);
  const maxRows = checkInt('maxRows', options.maxRows ?? 8192, 1);
  model.checkInput(xBD);
  const chunk = Math.max(1, Math.min(k, Math.floor(maxRows / xBD.shape[0])));
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [];
    for (let done = 0, c = 0; done < k; done += chunk, c++) {
      const n = Math.min(chunk, k - done);
      parts.push(
        importanceLogWeights(
          model,
          xBD,
          n,
          { seed: key.seed, step: c === 0 ? key.step : mixSeed(key.seed, key.step, c) },
          options.useKernels ?? true,
        ),
      );
    }
    const logWKB = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
    return tf.logSumExp(logWKB, 0).sub(Math.log(k)) as tf.Tensor1D;
  });
}
