/**
 * Matryoshka all-prefix loss (block size 1): the fused O(K*D) kernel where the active backend has
 * it (cpu/wasm: cpu.ts; webgl: webgl.ts; webgpu: webgpu.ts; forward and backward), otherwise
 * reference.ts (the sorted-gap composite of tfjs ops, also O(K*D)). Both are tested against the
 * literal O(N*D) sum over every prefix (tests/kernels/naive.ts).
 */
import * as tf from '@tensorflow/tfjs';
import './cpu';
import './webgl';
import './webgpu';
import { K } from '../shared/kernel-names';
import { stopGradient } from '../../src/base/autodiff';
import { kernelActive, runKernel } from '../shared/js-kernel';
import { checkMatryoshkaArgs, matryoshkaAllPrefixLossReference } from './reference';

export { matryoshkaAllPrefixLossReference } from './reference';

tf.registerGradient({
  kernelName: K.matryoshka,
  inputsToSave: ['values', 'indices', 'wDec', 'residual'],
  gradFunc: (dy, saved) => {
    const [values, indices, wDec, residual] = saved;
    const [dValues, dW, dResidual] = runKernel<tf.Tensor[]>(K.matryoshkaGrad, {
      dy: dy as tf.Tensor,
      values,
      indices,
      wDec,
      residual,
    });
    return { values: () => dValues, indices: () => tf.zeros(indices.shape), wDec: () => dW, residual: () => dResidual };
  },
});

/**
 * Per input: sum_{m=1}^{N} || residual - sum_{i < m} f_i W_dec[i,:] ||^2 (unweighted; divide by N
 * to average), in O(K*D). Gradients to values, W_dec and residual.
 * @param valuesBK [B,K]  @param indicesBK [B,K] int32, distinct per row  @param wDecND [N,D]
 * @param residualBD [B,D] = x - b_dec  @returns [B]
 */
export function matryoshkaAllPrefixLoss(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  residualBD: tf.Tensor2D,
): tf.Tensor1D {
  if (!kernelActive(K.matryoshka)) return matryoshkaAllPrefixLossReference(valuesBK, indicesBK, wDecND, residualBD);
  checkMatryoshkaArgs(valuesBK, indicesBK, wDecND, residualBD);
  const indices = stopGradient(indicesBK); // the caller's indices may sit on the tape behind ops with no gradient (tf.topk)
  const out = runKernel<tf.Tensor1D>(K.matryoshka, { values: valuesBK, indices, wDec: wDecND, residual: residualBD });
  indices.dispose();
  return out;
}
