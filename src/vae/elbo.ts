/**
 * The evidence lower bound (Kingma & Welling 2013, arXiv:1312.6114, Eq. 3 and Eq. 10):
 *
 *   ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || p(z))  <=  log p(x)
 *
 * estimated with S reparameterized samples z_s = mu + sigma * eps_s for the first term and the
 * analytic KL (kl.ts) for the second. Everything is in nats per example (summed over the D
 * pixels, not averaged), the unit papers report: "-ELBO = 100 nats" on binarised MNIST.
 *
 * Likelihoods (log p(x|z) per example):
 *   Bernoulli on logits l:  sum_d x_d l_d - softplus(l_d)
 *       (= sum x log sigmoid(l) + (1 - x) log(1 - sigmoid(l)), written without computing a sigmoid)
 *   Gaussian, fixed sigma:  -1/(2 sigma^2) ||x - xhat||^2 - (D/2) log(2 pi sigma^2)
 *       With sigma = 1 this is -(0.5 ||x - xhat||^2 + (D/2) log 2 pi): the squared error up to a
 *       factor 1/2 and a constant, which is why "a VAE with MSE loss" is a Gaussian decoder. The
 *       choice of sigma silently sets the weight of the reconstruction against the KL.
 *
 * The training objective (to minimise) adds the options people use:
 *   loss = -mean_b E_q[log p(x_b|z)] + beta * sum_j max(freeBits, mean_b KL_bj)
 *   beta: beta-VAE (Higgins et al. 2017); beta < 1 during KL warm-up (Bowman et al. 2016,
 *   arXiv:1511.06349; Sonderby et al. 2016) set by the trainer; freeBits: Kingma et al. 2016.
 * With beta = 1 and freeBits = 0 the loss is exactly the mean negative ELBO.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInt, checkNumber, checkShape } from '../core';
import { freeBitsKl, gaussianKlPerDim } from './kl';
import type { Likelihood, Vae } from './model';
import { type NoiseKey, sampleLatent } from './reparameterize';

/**
 * log p(x|z) for a Bernoulli decoder on logits: sum_d x_d l_d - softplus(l_d).
 * S samples per example may come as logits [S, B, D]: x broadcasts, nothing is copied.
 * @param xBD [B, D] in [0, 1]  @param logitsBD [B, D] (or [S, B, D])  @returns [B] (or [S, B]) in nats
 */
export function bernoulliLogLikelihood(xBD: tf.Tensor2D, logitsBD: tf.Tensor2D): tf.Tensor1D;
export function bernoulliLogLikelihood(xBD: tf.Tensor2D, logitsSBD: tf.Tensor3D): tf.Tensor2D;
export function bernoulliLogLikelihood(xBD: tf.Tensor2D, logits: tf.Tensor2D | tf.Tensor3D): tf.Tensor {
  checkTrailingShape('logits', logits, xBD);
  return tf.tidy(() => logits.mul(xBD).sub(tf.softplus(logits)).sum(-1));
}

/**
 * log p(x|z) for a Gaussian decoder with fixed standard deviation sigma:
 *   -1/(2 sigma^2) ||x - xhat||^2 - (D/2) log(2 pi sigma^2)
 * @param xBD [B, D]  @param meanBD [B, D] (or [S, B, D])  @param sigma > 0  @returns [B] (or [S, B]) in nats
 */
export function gaussianLogLikelihood(xBD: tf.Tensor2D, meanBD: tf.Tensor2D, sigma: number): tf.Tensor1D;
export function gaussianLogLikelihood(xBD: tf.Tensor2D, meanSBD: tf.Tensor3D, sigma: number): tf.Tensor2D;
export function gaussianLogLikelihood(xBD: tf.Tensor2D, mean: tf.Tensor2D | tf.Tensor3D, sigma: number): tf.Tensor {
  checkTrailingShape('mean', mean, xBD);
  checkNumber('sigma', sigma, { min: 0, minOpen: true });
  const d = xBD.shape[1];
  return tf.tidy(() =>
    mean
      .sub(xBD)
      .square()
      .sum(-1)
      .mul(-0.5 / (sigma * sigma))
      .sub(0.5 * d * Math.log(2 * Math.PI * sigma * sigma)),
  );
}

/**
 * log p(x|z) for either likelihood, from the decoder's raw output.
 * @param xBD [B, D]  @param outBD [B, D] (or [S, B, D]) logits or means  @returns [B] (or [S, B])
 */
export function logLikelihood(
  likelihood: Likelihood,
  xBD: tf.Tensor2D,
  outBD: tf.Tensor2D,
  sigma?: number,
): tf.Tensor1D;
export function logLikelihood(
  likelihood: Likelihood,
  xBD: tf.Tensor2D,
  outSBD: tf.Tensor3D,
  sigma?: number,
): tf.Tensor2D;
export function logLikelihood(
  likelihood: Likelihood,
  xBD: tf.Tensor2D,
  out: tf.Tensor2D | tf.Tensor3D,
  sigma = 1,
): tf.Tensor {
  return likelihood === 'bernoulli'
    ? bernoulliLogLikelihood(xBD, out as tf.Tensor2D)
    : gaussianLogLikelihood(xBD, out as tf.Tensor2D, sigma);
}

/** Throws unless the last two dimensions of `t` equal x's [B, D]. */
function checkTrailingShape(argument: string, t: tf.Tensor, xBD: tf.Tensor2D): void {
  if (t.rank === 3) checkShape(argument, t, [null, xBD.shape[0], xBD.shape[1]]);
  else checkShape(argument, t, xBD.shape);
}

export interface ElboOptions {
  /** S, reparameterized samples per example for E_q[log p(x|z)] (default 1, as in Kingma & Welling). */
  samples?: number;
  /** Weight of the KL term in `loss` (beta-VAE; < 1 during warm-up). Default 1. */
  beta?: number;
  /** Free bits lambda, nats per latent dimension, in `loss` only. Default 0. */
  freeBits?: number;
  /** The one switch (`useKernels`): fused kernels (true, default) or every op's reference.ts; same eps either way. */
  useKernels?: boolean;
}

export interface ElboResult {
  /** ELBO per example (beta = 1, no free bits): logLik - KL. [B] nats */
  elboB: tf.Tensor1D;
  /** Monte-Carlo estimate of E_q[log p(x|z)] per example. [B] nats */
  logLikB: tf.Tensor1D;
  /** Analytic KL(q(z|x) || N(0, I)) per example. [B] nats */
  klB: tf.Tensor1D;
  /** The objective to minimise, with beta and free bits. scalar */
  loss: tf.Scalar;
}

/** Validated ELBO options with defaults filled in. */
export function resolveElboOptions(options: ElboOptions = {}): Required<ElboOptions> {
  return {
    samples: checkInt('samples', options.samples ?? 1, 1, 4096),
    beta: checkNumber('beta', options.beta ?? 1, { min: 0 }),
    freeBits: checkNumber('freeBits', options.freeBits ?? 0, { min: 0 }),
    useKernels: options.useKernels ?? true,
  };
}

/**
 * The ELBO of a batch and the training loss (see the module comment for the formula).
 * @param model the VAE  @param xBD [B, D]  @param key seed and step for eps  @returns tensors the caller disposes
 */
export function elbo(model: Vae, xBD: tf.Tensor2D, key: NoiseKey, options: ElboOptions = {}): ElboResult {
  const { samples, beta, freeBits, useKernels } = resolveElboOptions(options);
  model.checkInput(xBD);
  const b = xBD.shape[0];
  return tf.tidy(() => {
    const { muBZ, logVarBZ } = model.encode(xBD);
    // S samples per example: tile to [S*B, Z] (row s*B + b is sample s of example b).
    const muSZ = samples === 1 ? muBZ : (muBZ.tile([samples, 1]) as tf.Tensor2D);
    const logVarSZ = samples === 1 ? logVarBZ : (logVarBZ.tile([samples, 1]) as tf.Tensor2D);
    const zSZ = sampleLatent(muSZ, logVarSZ, key, useKernels);
    const outSD = model.decode(zSZ);
    const logLikB =
      samples === 1
        ? logLikelihood(model.config.likelihood, xBD, outSD, model.config.sigma)
        : (logLikelihood(
            model.config.likelihood,
            xBD,
            outSD.reshape([samples, b, -1]) as tf.Tensor3D,
            model.config.sigma,
          ).mean(0) as tf.Tensor1D);
    const klBZ = gaussianKlPerDim(muBZ, logVarBZ);
    const klB = klBZ.sum(-1) as tf.Tensor1D;
    const elboB = logLikB.sub(klB) as tf.Tensor1D;
    const loss = logLikB.mean().neg().add(freeBitsKl(klBZ, freeBits).mul(beta)) as tf.Scalar;
    return { elboB, logLikB, klB, loss };
  });
}
