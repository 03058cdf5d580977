/**
 * Reparameterized sampling, reference (Kingma & Welling 2013, arXiv:1312.6114, Eq. 10):
 *   z = mu + exp(0.5 * logVar) * eps,  eps ~ N(0, I)
 * with eps from the counter-based generator in counter-rng.ts, keyed by (seed, step, flat
 * element index), drawn in JavaScript and uploaded. Gradients come from autodiff:
 *   dz/dmu = 1,  dz/dlogVar = 0.5 * exp(0.5 * logVar) * eps.
 */
import * as tf from '@tensorflow/tfjs';
import { fillCounterNormal } from './counter-rng';
import { checkFloat2D, checkSameShape, checkSeedStep } from '../shared/checks';

/** eps ~ N(0, 1) of the given shape, a pure function of (seed, step, flat index). */
export function counterNormal(shape: number[], seed: number, step: number): tf.Tensor {
  checkSeedStep(seed, step);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(fillCounterNormal(new Float32Array(size), seed, step), shape, 'float32');
}

/**
 * z = mu + exp(0.5 * logVar) * eps (composite of tfjs ops; the definition the fused kernel must equal).
 * @param muBZ [B, Z]  @param logVarBZ [B, Z]  @returns z [B, Z]
 */
export function sampleReparamReference(
  muBZ: tf.Tensor2D,
  logVarBZ: tf.Tensor2D,
  seed: number,
  step: number,
): tf.Tensor2D {
  checkFloat2D('mu', muBZ);
  checkFloat2D('logVar', logVarBZ);
  checkSameShape('logVar', logVarBZ, muBZ.shape);
  checkSeedStep(seed, step);
  return tf.tidy(() => {
    const epsBZ = counterNormal(muBZ.shape, seed, step);
    return muBZ.add(logVarBZ.mul(0.5).exp().mul(epsBZ)) as tf.Tensor2D;
  });
}
