/**
 * The unit-norm decoder constraint of SAEs (Bricken et al. 2023; Gao et al. 2024, Sec. A.1),
 * as two row-wise ops on W_dec [N,D] (each row d_i one latent's direction):
 *
 *   tangentGrad:  g_i <- g_i - (g_i . d_i) d_i      (before the step: no radial component)
 *   unitRows:     d_i <- d_i / (||d_i|| + 1e-12)    (after the step: back onto the sphere)
 *
 * The references are composites of tfjs ops (four elementwise passes each, plus temporaries).
 */
import * as tf from '@tensorflow/tfjs';

/** @param gradND [N,D]  @param wDecND [N,D] with unit rows  @returns [N,D] */
export function tangentGradReference(gradND: tf.Tensor2D, wDecND: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => gradND.sub(wDecND.mul(gradND.mul(wDecND).sum(1, true))) as tf.Tensor2D);
}

/** @param wND [N,D]  @returns [N,D], each row scaled to unit L2 norm */
export function unitRowsReference(wND: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => wND.div(wND.square().sum(1, true).sqrt().add(1e-12)) as tf.Tensor2D);
}
