/**
 * The reparameterization trick (Kingma & Welling 2013, arXiv:1312.6114, Sec. 2.4, Eq. 10):
 *
 *   z = mu + sigma * eps,   sigma = exp(0.5 * logVar),   eps ~ N(0, I)
 *
 * z then has exactly the distribution q(z|x) = N(mu, diag sigma^2): adding mu shifts the
 * mean of eps from 0 to mu, multiplying by sigma scales its standard deviation from 1 to
 * sigma. All the randomness sits in eps, which does not depend on the encoder, so
 * dz/dmu = 1 and dz/dlogVar = 0.5 * sigma * eps are ordinary derivatives: gradients flow
 * to mu and logVar (and through them into the encoder), never to eps.
 *
 * A widespread informal description says "multiply eps by the mean and the standard
 * deviation", i.e. z = mu * sigma * eps. That is wrong: such a z has mean 0 whatever mu
 * is (E[eps] = 0), and standard deviation |mu| * sigma, so the encoder's mean is thrown
 * away and the latent code carries no information about x through it. The
 * `vae-reparam` lesson draws both histograms; `wrongReparameterize` exists only for that.
 *
 * eps comes from one seeded source (`standardNormal`, the counter-based generator of
 * kernels/reparam-sample): the pair (seed, step) determines it, so a run replays, and the fused
 * kernel and the composite reference draw the same eps.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInt, checkShape } from '../core';
import { counterNormal, sampleReparam } from '../../kernels/reparam-sample';
import { withKernels } from '../../kernels/shared/js-kernel';

/**
 * z = mu + exp(0.5 * logVar) * eps: the readable reference (three tensor ops).
 * @param muBZ [B, Z]  @param logVarBZ [B, Z]  @param epsBZ [B, Z] standard normal draws  @returns zBZ [B, Z]
 */
export function reparameterize(muBZ: tf.Tensor2D, logVarBZ: tf.Tensor2D, epsBZ: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => muBZ.add(logVarBZ.mul(0.5).exp().mul(epsBZ)));
}

/**
 * The WRONG form z = mu * sigma * eps, kept only so the lesson can show what it does
 * (mean 0 and spread |mu| sigma instead of mean mu and spread sigma). Never train with it.
 * @param muBZ [B, Z]  @param logVarBZ [B, Z]  @param epsBZ [B, Z]  @returns [B, Z]
 */
export function wrongReparameterize(muBZ: tf.Tensor2D, logVarBZ: tf.Tensor2D, epsBZ: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => muBZ.mul(logVarBZ.mul(0.5).exp()).mul(epsBZ));
}

/** Where eps comes from: a seed and a step counter (one fresh eps per step). */
export interface NoiseKey {
  seed: number;
  step: number;
}

/** Mixes (seed, step, stream) into one 32-bit seed (splitmix32 finaliser): independent streams of one key. */
export function mixSeed(seed: number, step: number, stream = 0): number {
  let h =
    (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(step >>> 0, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * eps ~ N(0, I) of the given shape, determined by (seed, step, stream): the package's ONE eps
 * source, the counter-based generator of kernels/reparam-sample (stream 0 is exactly the eps
 * that `sampleLatent` draws for the same key, on every path; other streams mix the stream into the seed).
 * @returns [B, Z]
 */
export function standardNormal(shape: [number, number], key: NoiseKey, stream = 0): tf.Tensor2D {
  checkInt('seed', key.seed, 0, 2 ** 32 - 1);
  checkInt('step', key.step, 0, 2 ** 32 - 1);
  const seed = stream === 0 ? key.seed : mixSeed(key.seed, 0, stream);
  return counterNormal(shape, seed, key.step) as tf.Tensor2D;
}

/**
 * Draws z ~ q(z|x) = N(mu, diag exp(logVar)) for a (seed, step) key: the `sampleReparam` op,
 * z = mu + exp(0.5 logVar) * eps with eps = standardNormal(shape, key). `useKernels` is the
 * package's one switch: true runs the op's fastest form on this backend, false its reference.ts;
 * both give the same z (same eps) and are differentiable in mu and logVar.
 * @param muBZ [B, Z]  @param logVarBZ [B, Z]  @returns zBZ [B, Z]
 */
export function sampleLatent(muBZ: tf.Tensor2D, logVarBZ: tf.Tensor2D, key: NoiseKey, useKernels = true): tf.Tensor2D {
  checkShape('logVar', logVarBZ, muBZ.shape);
  return withKernels(useKernels, () => sampleReparam(muBZ, logVarBZ, key.seed, key.step));
}
