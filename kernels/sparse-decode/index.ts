/**
 * Sparse decode xhat = sum_j values_j W_dec[idx_j] + b_dec: the kernel where the active backend
 * has one (cpu and wasm: cpu.ts; webgl: webgl.ts; webgpu: webgpu.ts), reference.ts elsewhere
 * (tfjs-node, or with the kernels switched off: `useKernels`). Gradients to values, W_dec (a scatter-add
 * into the touched rows on cpu/wasm; on GPUs dense^T dy with a densify kernel) and b_dec are registered here.
 */
import * as tf from '@tensorflow/tfjs';
import './cpu';
import './webgl';
import './webgpu';
import { K } from '../shared/kernel-names';
import { stopGradient } from '../../src/base/autodiff';
import { gradsByPosition, hasKernel, kernelActive, runKernel, runListKernel } from '../shared/js-kernel';
import {
  type DecoderWeights,
  checkDecodeArgs,
  checkDecodeStackArgs,
  sparseDecodeReference,
  sparseDecodeStackReference,
} from './reference';
import { densify } from '../densify';

export { sparseDecodeReference, sparseDecodeStackReference } from './reference';
export type { DecoderWeights } from './reference';

tf.registerGradient({
  kernelName: K.sparseDecode,
  inputsToSave: ['values', 'indices', 'wDec'],
  gradFunc: (dy, saved) => {
    const g = dy as tf.Tensor2D;
    const [values, indices, wDec] = saved as tf.Tensor2D[];
    let dValues: tf.Tensor;
    let dW: tf.Tensor;
    if (hasKernel(K.sparseDecodeGrad)) {
      [dValues, dW] = runKernel<tf.Tensor[]>(K.sparseDecodeGrad, { dy: g, values, indices, wDec });
    } else {
      // Composite backward (GPU backends): dValues = rows of W at the code dotted with dy;
      // dW = densify(values)^T dy (a matmul: scatter kernels on WebGL loop over every update).
      const [b, k] = values.shape;
      const [n, d] = wDec.shape;
      dValues = tf.tidy(() =>
        tf
          .gather(wDec, indices.reshape([-1]))
          .reshape([b, k, d])
          .mul(g.reshape([b, 1, d]))
          .sum(2),
      );
      dW = tf.tidy(() => {
        const dense = hasKernel(K.densify)
          ? runKernel<tf.Tensor2D>(K.densify, { values, indices }, { n })
          : densify(values, indices, n);
        return tf.matMul(dense, g, true, false);
      });
    }
    return { values: () => dValues, indices: () => tf.zeros(indices.shape), wDec: () => dW, bDec: () => g.sum(0) };
  },
});

/**
 * xhat[b] = sum_j values[b,j] * W_dec[indices[b,j], :] + b_dec, differentiable in values, W_dec, b_dec.
 * @param valuesBK [B,K]  @param indicesBK [B,K] int32  @param wDecND [N,D]  @param bDecD [D]  @returns [B,D]
 */
export function sparseDecode(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  bDecD: tf.Tensor1D,
): tf.Tensor2D {
  if (!kernelActive(K.sparseDecode)) return sparseDecodeReference(valuesBK, indicesBK, wDecND, bDecD);
  checkDecodeArgs(valuesBK, indicesBK, wDecND, bDecD);
  const indices = stopGradient(indicesBK); // the caller's indices may sit on the tape behind ops with no gradient (tf.topk)
  const out = runKernel<tf.Tensor2D>(K.sparseDecode, { values: valuesBK, indices, wDec: wDecND, bDec: bDecD });
  indices.dispose();
  return out;
}

tf.registerGradient({
  kernelName: K.sparseDecodeStack,
  saveAllInputs: true, // [values, indices, W_dec0, b_dec0, W_dec1, ...]
  gradFunc: (dy, saved) => {
    const [values, indices, ...weights] = saved as tf.Tensor[];
    const wDecs = weights.filter((_, i) => i % 2 === 0);
    const [dValues, ...dWeights] = runListKernel<tf.Tensor[]>(K.sparseDecodeStackGrad, [
      dy as tf.Tensor,
      values,
      indices,
      ...wDecs,
    ]);
    // values, indices (no gradient), then per member W_dec, b_dec
    return { ...gradsByPosition(dWeights, 2), 0: () => dValues, 1: () => tf.zeros(indices.shape) };
  },
});

/**
 * A stack of S decoders (SaeTrainer's stacks of TopK SAEs): rows s*B ... s*B + B - 1 of the code
 * are member s's, decoded as `sparseDecode` decodes them with its own W_dec and b_dec. On cpu/wasm
 * one kernel call decodes every member and one runs their backward, each member's arithmetic that
 * of `sparseDecode` (the same values and gradients); elsewhere the reference, member by member.
 * @param valuesBK [S*B,K]  @param indicesBK [S*B,K] int32, each member's own latents
 * @param members each { wDecND [N,D], bDecD [D] }  @returns [S*B,D]
 */
export function sparseDecodeStack(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  members: readonly DecoderWeights[],
): tf.Tensor2D {
  if (!kernelActive(K.sparseDecodeStack) || !hasKernel(K.sparseDecodeStackGrad)) {
    return sparseDecodeStackReference(valuesBK, indicesBK, members);
  }
  checkDecodeStackArgs(valuesBK, indicesBK, members);
  const indices = stopGradient(indicesBK);
  const inputs = [valuesBK, indices, ...members.flatMap((m) => [m.wDecND, m.bDecD])];
  const out = runListKernel<tf.Tensor2D>(K.sparseDecodeStack, inputs);
  indices.dispose();
  return out;
}
