/**
 * TopK activations as sparse codes: the kernels where the active backend has them (cpu and
 * wasm: cpu.ts, all four ops; webgl: webgl.ts and webgpu: webgpu.ts, topkActivation's forward),
 * reference.ts elsewhere (or with the kernels switched off: `useKernels`, shared/js-kernel.ts). Gradients of
 * the kernels are registered here: the TopK values scatter back to the kept entries, the TopK
 * encoder's backward is sparse (only the k selected W_enc columns per row).
 */
import * as tf from '@tensorflow/tfjs';
import './cpu';
import './webgl';
import './webgpu';
import { K } from '../shared/kernel-names';
import { stopGradient } from '../../src/base/autodiff';
import { checkFloat2D, checkK } from '../shared/checks';
import { gradsByPosition, hasKernel, kernelActive, runKernel, runListKernel } from '../shared/js-kernel';
import {
  type SparseCode,
  batchTopkActivationReference,
  batchTopkKeep,
  checkEncodeArgs,
  type EncoderWeights,
  checkEncodeStackArgs,
  topkActivationReference,
  topkEncodeReference,
  topkEncodeStackReference,
} from './reference';
import { rowColumnPairs } from '../densify';

export type { EncoderWeights, SparseCode } from './reference';
export {
  topkActivationReference,
  topkEncodeReference,
  topkEncodeStackReference,
  batchTopkActivationReference,
  batchTopkKeep,
  thresholdActivation,
} from './reference';

/** The kernel's int32 indices output, detached from the tape (callers may compute with them freely). */
function detachIndices(indices: tf.Tensor2D): tf.Tensor2D {
  const out = stopGradient(indices);
  indices.dispose();
  return out;
}

/** Dense [B,N] gradient of the TopK values (dy where the kept value is > 0). */
function topkValuesGrad(dy: tf.Tensor2D, values: tf.Tensor2D, indices: tf.Tensor2D, n: number): tf.Tensor2D {
  if (hasKernel(K.topkGrad)) return runKernel<tf.Tensor2D>(K.topkGrad, { dy, values, indices }, { n });
  return tf.tidy(() => {
    const [b] = values.shape;
    const kept = dy.mul(values.greater(0).cast('float32'));
    return tf.scatterND(rowColumnPairs(indices), kept.reshape([-1]), [b, n]) as tf.Tensor2D;
  });
}

tf.registerGradient({
  kernelName: K.topk,
  outputsToSave: [true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dValues] = dys as tf.Tensor[];
    const [values, indices] = saved as tf.Tensor2D[];
    const n = (attrs as unknown as { n: number }).n;
    return { x: () => topkValuesGrad(dValues as tf.Tensor2D, values, indices, n) };
  },
});

tf.registerGradient({
  kernelName: K.topkEncode,
  inputsToSave: ['x', 'wEnc', 'bEnc', 'bDec'],
  outputsToSave: [true, true],
  gradFunc: (dys, saved) => {
    const [dValues] = dys as tf.Tensor[];
    const [x, wEnc, , bDec, values, indices] = saved as tf.Tensor2D[];
    const [dx, dW, dbEnc, dbDec] = runKernel<tf.Tensor[]>(K.topkEncodeGrad, {
      dy: dValues,
      values,
      indices,
      x,
      wEnc,
      bDec,
    });
    return { x: () => dx, wEnc: () => dW, bEnc: () => dbEnc, bDec: () => dbDec };
  },
});

tf.registerGradient({
  kernelName: K.topkEncodeStack,
  saveAllInputs: true, // [x, W_enc0, b_enc0, b_dec0, W_enc1, ...]
  outputsToSave: [true, true],
  gradFunc: (dys, saved) => {
    const [dValues] = dys as tf.Tensor[];
    const [x, ...rest] = saved as tf.Tensor[];
    const [values, indices] = rest.slice(-2);
    const weights = rest.slice(0, -2);
    const members = weights.length / 3;
    const memberInputs = Array.from({ length: members }, (_, m) => [weights[3 * m], weights[3 * m + 2]]).flat();
    const [dx, ...dWeights] = runListKernel<tf.Tensor[]>(K.topkEncodeStackGrad, [
      dValues,
      values,
      indices,
      x,
      ...memberInputs,
    ]);
    return gradsByPosition([dx, ...dWeights]); // x, then per member W_enc, b_enc, b_dec
  },
});

tf.registerGradient({
  kernelName: K.batchTopk,
  outputsToSave: [true],
  gradFunc: (dy, saved) => ({ x: () => (dy as tf.Tensor).mul(saved[0].greater(0).cast('float32')) }),
});

/**
 * values = ReLU of the k largest pre-activations per row (descending; ties to the lower index),
 * indices = their columns (int32). Gradient reaches preActs only at kept entries with value > 0.
 * @param preActsBN [B,N]  @returns { valuesBK [B,K], indicesBK [B,K] }
 */
export function topkActivation(preActsBN: tf.Tensor2D, k: number): SparseCode {
  if (!kernelActive(K.topk)) return topkActivationReference(preActsBN, k);
  checkFloat2D('preActsBN', preActsBN);
  checkK('k', k, preActsBN.shape[1]);
  const [valuesBK, indices] = runKernel<tf.Tensor2D[]>(K.topk, { x: preActsBN }, { k, n: preActsBN.shape[1] });
  return { valuesBK, indicesBK: detachIndices(indices) };
}

/**
 * TopK encoder: preActs = (x - b_dec) W_enc + b_enc, then topkActivation; sparse backward to
 * x, W_enc, b_enc and b_dec on cpu/wasm (the dense one elsewhere).
 * @param xBD [B,D]  @param wEncDN [D,N]  @param bEncN [N]  @param bDecD [D]  @returns the sparse code
 */
export function topkEncode(
  xBD: tf.Tensor2D,
  wEncDN: tf.Tensor2D,
  bEncN: tf.Tensor1D,
  bDecD: tf.Tensor1D,
  k: number,
): SparseCode {
  if (!kernelActive(K.topkEncode) || !hasKernel(K.topkEncodeGrad)) {
    if (kernelActive(K.topk)) {
      checkEncodeArgs(xBD, wEncDN, bEncN, bDecD, k);
      const preActsBN = tf.tidy(() => tf.matMul(xBD.sub(bDecD), wEncDN).add(bEncN) as tf.Tensor2D);
      const code = topkActivation(preActsBN, k);
      preActsBN.dispose();
      return code;
    }
    return topkEncodeReference(xBD, wEncDN, bEncN, bDecD, k);
  }
  checkEncodeArgs(xBD, wEncDN, bEncN, bDecD, k);
  const [valuesBK, indices] = runKernel<tf.Tensor2D[]>(
    K.topkEncode,
    { x: xBD, wEnc: wEncDN, bEnc: bEncN, bDec: bDecD },
    { k },
  );
  return { valuesBK, indicesBK: detachIndices(indices) };
}

/**
 * A stack of S TopK encoders reading one batch (SaeTrainer's stacks of TopK SAEs): member s's code
 * is topkEncode(x, W_enc_s, b_enc_s, b_dec_s, ks[s]), padded with zero entries (value 0, latent 0)
 * to K = max ks, in rows s*B ... s*B + B - 1 of the result. On cpu/wasm one kernel call encodes
 * every member and one call runs their sparse backward, each member's arithmetic exactly that of
 * `topkEncode` (so the same values and gradients); elsewhere the reference, member by member.
 * @param xBD [B,D]  @param members each { wEncDN [D,N], bEncN [N], bDecD [D] }  @param ks [S]
 * @returns { valuesBK [S*B, K], indicesBK [S*B, K] int32, each member's own latent indices }
 */
export function topkEncodeStack(
  xBD: tf.Tensor2D,
  members: readonly EncoderWeights[],
  ks: readonly number[],
): SparseCode {
  if (!kernelActive(K.topkEncodeStack) || !hasKernel(K.topkEncodeStackGrad)) {
    return topkEncodeStackReference(xBD, members, ks);
  }
  checkEncodeStackArgs(xBD, members, ks);
  const inputs = [xBD, ...members.flatMap((m) => [m.wEncDN, m.bEncN, m.bDecD])];
  const [valuesBK, indices] = runListKernel<tf.Tensor2D[]>(K.topkEncodeStack, inputs, { ks: [...ks] });
  return { valuesBK, indicesBK: detachIndices(indices) };
}

/**
 * BatchTopK (dense): the floor(k * B) largest entries of ReLU(preActs) over the whole batch
 * (ties to the lower flat index), zero elsewhere; gradient dy where the output is > 0.
 * @param preActsBN [B,N]  @param k average active latents per row (may be fractional)  @returns [B,N]
 */
export function batchTopkActivation(preActsBN: tf.Tensor2D, k: number): tf.Tensor2D {
  if (!kernelActive(K.batchTopk)) return batchTopkActivationReference(preActsBN, k);
  checkFloat2D('preActsBN', preActsBN);
  const [b, n] = preActsBN.shape;
  const keep = batchTopkKeep(k, b, n);
  return runKernel<tf.Tensor2D>(K.batchTopk, { x: preActsBN }, { keep });
}
