/**
 * Densify, reference: a sparse code (values [B,K], distinct int32 indices [B,K] per row) scattered
 * into a dense [B,N] matrix, differentiable in the values:
 *   dense[b, idx_bj] = values_bj,   d dense[b, idx_bj] / d values_bj = 1   (zero elsewhere)
 * Shared by every op that turns a sparse code dense (sparse decode's reference and GPU backward,
 * the SAE's dense view of TopK latents).
 */
import * as tf from '@tensorflow/tfjs';
import { customOp } from '../../src/base/autodiff';

/** [B*K, 2] (row, column) pairs for scatterND / gatherND from indices [B,K]. */
export function rowColumnPairs(indicesBK: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, k] = indicesBK.shape;
    const rows = tf.range(0, b, 1, 'int32').reshape([b, 1]).tile([1, k]);
    return tf.stack([rows.reshape([-1]), indicesBK.reshape([-1])], 1) as tf.Tensor2D;
  });
}

/**
 * Dense [B,N] from a sparse code (scatter), differentiable in the values:
 * d dense[b, idx_bj] / d values_bj = 1. Indices within a row must be distinct.
 */
export function densify(valuesBK: tf.Tensor2D, indicesBK: tf.Tensor2D, n: number): tf.Tensor2D {
  const [b, k] = valuesBK.shape;
  const pairs = rowColumnPairs(indicesBK);
  const scatter = customOp(([v], save) => {
    save([pairs]);
    return {
      value: tf.scatterND(pairs, v.reshape([-1]), [b, n]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.gatherND(dy, saved[0]).reshape([b, k]),
    };
  });
  const out = scatter(valuesBK) as tf.Tensor2D;
  pairs.dispose();
  return out;
}
