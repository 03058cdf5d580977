/**
 * The geometry every SAE shares: unit-norm decoder rows, the tangent projection of their gradient
 * (Bricken et al. 2023; Gao et al. 2024, arXiv:2406.04093, Sec. 2), and the geometric median
 * that initialises b_dec (Weiszfeld 1937, as openai/sparse_autoencoder and dictionary_learning do).
 */
import * as tf from '@tensorflow/tfjs';

/** Rows of `wND` scaled to unit L2 norm. @param wND [N,D] */
export function unitRows(wND: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => wND.div(wND.square().sum(1, true).sqrt().add(1e-12)) as tf.Tensor2D);
}

/**
 * Removes from each row's gradient its component along that (unit-norm) decoder row,
 * so the step moves tangentially to the unit sphere (Bricken et al. 2023; Gao et al. 2024):
 *   g_i <- g_i - (g_i . d_i) d_i
 * @param gradND [N,D] @param wDecND [N,D] with unit rows @returns [N,D]
 */
export function removeParallelGrad(gradND: tf.Tensor2D, wDecND: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => gradND.sub(wDecND.mul(gradND.mul(wDecND).sum(1, true))) as tf.Tensor2D);
}

/**
 * Geometric median of the rows of `xMD` by Weiszfeld's iteration (Weiszfeld 1937):
 *   y <- sum_i w_i x_i / sum_i w_i,   w_i = 1 / max(||x_i - y||, eps),  starting from the mean.
 * @param xMD [M,D] @returns [D]
 */
export function geometricMedian(xMD: tf.Tensor2D, iterations = 100, eps = 1e-8): tf.Tensor1D {
  return tf.tidy(() => {
    let y = xMD.mean(0) as tf.Tensor1D;
    for (let t = 0; t < iterations; t++) {
      const next = tf.tidy(() => {
        const wM = tf.div(1, tf.maximum(xMD.sub(y).square().sum(1).sqrt(), eps));
        return xMD.mul(wM.expandDims(1)).sum(0).div(wM.sum()) as tf.Tensor1D;
      });
      y.dispose();
      y = next;
    }
    return y;
  });
}
