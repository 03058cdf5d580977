/**
 * rows = table[idx, :], differentiable in `table` on every backend: the backward pass is a
 * scatter-add (tf.scatterND sums duplicate indices). tfjs's own `tf.gather` gradient needs
 * `UnsortedSegmentSum`, which the wasm backend (4.22) does not register.
 */
import * as tf from '@tensorflow/tfjs';
import { customOp } from './custom-grad';

/** @param tableND [N,D]  @param idxM [M] int32 in [0, N)  @returns [M,D] */
export function gatherRows(tableND: tf.Tensor2D, idxM: tf.Tensor1D): tf.Tensor2D {
  const [n, d] = tableND.shape;
  const op = customOp(([table], save) => {
    const idxM1 = idxM.reshape([-1, 1]);
    save([idxM1]);
    return {
      value: tf.gather(table, idxM),
      gradFunc: (dy, [savedIdx]) => tf.scatterND(savedIdx, dy, [n, d]),
    };
  });
  return op(tableND) as tf.Tensor2D;
}
