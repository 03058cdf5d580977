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
 * eps comes from the seeded source: the pair (seed, step) determines it, so a run replays.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInt, checkShape } from '../core';
import { sampleReparam } from '../../kernels/reparam-sample';

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

/** Mixes (seed, step, stream) into one 32-bit seed for a tfjs random op (splitmix32 finaliser). */
export function mixSeed(seed: number, step: number, stream = 0): number {
  let h =
    (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(step >>> 0, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * eps ~ N(0, I) of the given shape, determined by (seed, step, stream).
 * @returns [B, Z]
 */
export function standardNormal(shape: [number, number], key: NoiseKey, stream = 0): tf.Tensor2D {
  checkInt('seed', key.seed, 0, 2 ** 32 - 1);
  checkInt('step', key.step, 0);
  return tf.randomNormal(shape, 0, 1, 'float32', mixSeed(key.seed, key.step, stream)) as tf.Tensor2D;
}

/** A fused sampler with the kernel contract `sampleReparam(mu, logVar, seed, step)`. */
export type FusedSampler = (muBZ: tf.Tensor2D, logVarBZ: tf.Tensor2D, seed: number, step: number) => tf.Tensor2D;

let fused: FusedSampler | null = sampleReparam;

/**
 * Sets the fused sampler used by `sampleLatent` (by default kernels/reparam-sample's
 * `sampleReparam`, which draws eps with a counter-based generator keyed by (seed, step,
 * element)); `null` goes back to the composite everywhere.
 */
export function setFusedSampler(sampler: FusedSampler | null): void {
  fused = sampler;
}

/** Is a fused sampler registered? */
export function hasFusedSampler(): boolean {
  return fused !== null;
}

/** The registered fused sampler, or null (to restore it after switching it off). */
export function getFusedSampler(): FusedSampler | null {
  return fused;
}

/**
 * Draws z ~ q(z|x) = N(mu, diag exp(logVar)) for a (seed, step) key. Uses the fused kernel
 * when one is registered and `useFused` is not false; otherwise the composite
 * `reparameterize(mu, logVar, standardNormal(...))`. Both are differentiable in mu and logVar;
 * they draw different (equally valid) eps for the same key.
 * @param muBZ [B, Z]  @param logVarBZ [B, Z]  @returns zBZ [B, Z]
 */
export function sampleLatent(muBZ: tf.Tensor2D, logVarBZ: tf.Tensor2D, key: NoiseKey, useFused = true): tf.Tensor2D {
  checkShape('logVar', logVarBZ, muBZ.shape);
  if (useFused && fused) return fused(muBZ, logVarBZ, key.seed, key.step);
  return tf.tidy(() => reparameterize(muBZ, logVarBZ, standardNormal(muBZ.shape, key)));
}
