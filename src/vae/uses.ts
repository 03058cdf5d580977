/**
 * What people do with a trained VAE (Kingma & Welling 2013, arXiv:1312.6114, Fig. 4-5;
 * Burda et al. 2015, arXiv:1509.00519, Sec. 5.2 for active units):
 *
 *   reconstruct       x -> mu(x) -> decoder mean          (uses the posterior mean, no noise)
 *   samplePrior       z ~ N(0, I) -> decoder mean          (new data, if the KL term did its job)
 *   latentGrid        a regular grid over a 2-D latent space -> decoder means (the "manifold" figure)
 *   interpolate       mu(a) ... mu(b) on a straight line -> decoder means
 *   klPerDimension    batch-mean KL of each latent: ~0 means collapsed (unused) dimension
 *   latentActivity    Var_x(E_q[z_j]): Burda et al. call a unit active when this exceeds 0.01
 *
 * "Decoder mean" is sigmoid(logits) for the Bernoulli decoder (pixel probabilities): the
 * customary picture; sampling binary pixels from it would only add salt-and-pepper noise.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, checkInt, checkNumber } from '../core';
import { gaussianKlPerDim } from './kl';
import type { Vae } from './model';
import { type NoiseKey, standardNormal } from './reparameterize';

/**
 * Reconstructions through the posterior mean: decoderMean(mu(x)).
 * @param xBD [B, D]  @returns [B, D]
 */
export function reconstruct(model: Vae, xBD: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => model.decodeMean(model.encode(xBD).muBZ));
}

/**
 * n samples from the model: z ~ N(0, I), then the decoder mean.
 * @returns [n, D]
 */
export function samplePrior(model: Vae, n: number, key: NoiseKey): tf.Tensor2D {
  checkInt('n', n, 1);
  return tf.tidy(() => model.decodeMean(standardNormal([n, model.latentDim], key, 7)));
}

/**
 * The latent points of a side x side grid over [-span, span]^2, row-major from the top left
 * (z2 decreasing down the rows, z1 increasing along them, like a plot's axes).
 * @returns [side * side, 2]
 */
export function latentGridPoints(side: number, span = 2.5): tf.Tensor2D {
  checkInt('side', side, 2);
  checkNumber('span', span, { min: 0, minOpen: true });
  const zs = new Float32Array(side * side * 2);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      zs[2 * (r * side + c)] = -span + (2 * span * c) / (side - 1);
      zs[2 * (r * side + c) + 1] = span - (2 * span * r) / (side - 1);
    }
  }
  return tf.tensor2d(zs, [side * side, 2]);
}

/**
 * Decoder means over a regular grid of a 2-D latent space (Kingma & Welling's Fig. 4).
 * @returns [side * side, D]
 */
export function latentGrid(model: Vae, side: number, span = 2.5): tf.Tensor2D {
  if (model.latentDim !== 2)
    throw new ConfigError('latentDim', `a latent grid needs a 2-D latent space, the model has ${model.latentDim}`);
  return tf.tidy(() => model.decodeMean(latentGridPoints(side, span)));
}

/**
 * Decoder means along the straight line from mu(a) to mu(b), both ends included.
 * @param aD [1, D] or [D]  @param bD [1, D] or [D]  @param steps >= 2  @returns [steps, D]
 */
export function interpolate(model: Vae, aD: tf.Tensor, bD: tf.Tensor, steps: number): tf.Tensor2D {
  checkInt('steps', steps, 2);
  return tf.tidy(() => {
    const d = model.config.inputDim;
    const mus = model.encode(tf.concat([aD.reshape([1, d]), bD.reshape([1, d])], 0) as tf.Tensor2D).muBZ;
    const t = tf.linspace(0, 1, steps).reshape([steps, 1]);
    const zA = mus.slice([0, 0], [1, -1]);
    const zB = mus.slice([1, 0], [1, -1]);
    return model.decodeMean(zA.mul(tf.sub(1, t)).add(zB.mul(t)) as tf.Tensor2D);
  });
}

/**
 * The batch-mean KL of each latent dimension, nats. Dimensions near 0 are collapsed:
 * q(z_j|x) equals the prior for every x, so z_j carries no information.
 * @param xBD [B, D]  @returns [Z]
 */
export function klPerDimension(model: Vae, xBD: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const { muBZ, logVarBZ } = model.encode(xBD);
    return gaussianKlPerDim(muBZ, logVarBZ).mean(0) as tf.Tensor1D;
  });
}

/**
 * Activity of each latent: Var_x(mu_j(x)) over the batch. Burda et al. (2015, Sec. 5.2) count
 * a unit as active when this exceeds 0.01.
 * @param xBD [B, D]  @returns [Z]
 */
export function latentActivity(model: Vae, xBD: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.moments(model.encode(xBD).muBZ, 0).variance as tf.Tensor1D);
}
