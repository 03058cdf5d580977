/**
 * One Adam update of one parameter tensor (Kingma & Ba 2015, Algorithm 1), with the
 * gradient first multiplied by `scale` (global-norm clipping computes it):
 *
 *   g  = scale * grad
 *   m' = b1 m + (1 - b1) g                 v' = b2 v + (1 - b2) g^2
 *   p' = p - lr * (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps)
 *
 * The reference is the composite of tfjs ops: ten elementwise passes over the parameter.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** The step number, counting from 1 (for the bias corrections). */
  t: number;
}

/** @returns [p', m', v'], each shaped like `p`. `scale` is a scalar tensor. */
export function adamUpdateReference(
  p: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  grad: tf.Tensor,
  scale: tf.Scalar,
  h: AdamHyper,
): tf.Tensor[] {
  return tf.tidy(() => {
    const g = grad.mul(scale);
    const m1 = m.mul(h.beta1).add(g.mul(1 - h.beta1));
    const v1 = v.mul(h.beta2).add(g.square().mul(1 - h.beta2));
    const mHat = m1.div(1 - h.beta1 ** h.t);
    const vHat = v1.div(1 - h.beta2 ** h.t);
    const p1 = p.sub(mHat.mul(h.lr).div(vHat.sqrt().add(h.eps)));
    return [p1, m1, v1];
  });
}
