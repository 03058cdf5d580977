/**
 * Sparse encode (reference.ts): an SAE encoder's pre-activations at the entries a rule selects,
 * with a sparse backward. The kernel runs on cpu and wasm (cpu.ts); every other backend, and
 * `useKernels: false`, runs the reference. The kernel's gradient is the TopK encoder's sparse
 * backward (kernels/topk `topkEncodeGrad`) gated by the valid mask.
 */
import * as tf from '@tensorflow/tfjs';
import './cpu';
import { stopGradient } from '../../src/base/autodiff';
import { K } from '../shared/kernel-names';
import { hasKernel, kernelActive, runKernel } from '../shared/js-kernel';
import { type SelectRule, type SelectedCode, checkSparseEncodeArgs, sparseEncodeReference } from './reference';
import '../topk'; // registers the topkEncodeGrad kernel this op's gradient runs

export { sparseEncodeReference } from './reference';
export type { SelectRule, SelectedCode } from './reference';

tf.registerGradient({
  kernelName: K.sparseEncode,
  inputsToSave: ['x', 'wEnc', 'bDec', 'select', 'count'],
  outputsToSave: [false, true, true, false],
  gradFunc: (dys, saved) => {
    const [dPreActs] = dys as tf.Tensor[];
    const [x, wEnc, bDec, select, count, indices, valid] = saved as tf.Tensor2D[];
    const [dx, dW, dbEnc, dbDec] = runKernel<tf.Tensor[]>(K.topkEncodeGrad, {
      dy: dPreActs,
      values: valid, // the backward passes dy where this gate is > 0
      indices,
      x,
      wEnc,
      bDec,
    });
    return {
      x: () => dx,
      wEnc: () => dW,
      bEnc: () => dbEnc,
      bDec: () => dbDec,
      select: () => tf.zerosLike(select), // thresholds: no gradient (the caller stops it)
      count: () => tf.zerosLike(count),
    };
  },
});

/** Whether `sparseEncode` runs its kernel here (cpu/wasm with the kernels on). */
export function sparseEncodeActive(): boolean {
  return kernelActive(K.sparseEncode) && hasKernel(K.topkEncodeGrad);
}

/**
 * z = (x - b_dec) W_enc + b_enc at the entries `rule` selects, padded per row, with the count
 * per row of entries above countN (reference.ts). Differentiable in x, W_enc, b_enc, b_dec.
 * @param xBD [B,D]  @param wEncDN [D,N]  @param bEncN [N]  @param bDecD [D]  @param countN [N]
 */
export function sparseEncode(
  xBD: tf.Tensor2D,
  wEncDN: tf.Tensor2D,
  bEncN: tf.Tensor1D,
  bDecD: tf.Tensor1D,
  rule: SelectRule,
  countN: tf.Tensor1D,
): SelectedCode {
  if (!sparseEncodeActive()) return sparseEncodeReference(xBD, wEncDN, bEncN, bDecD, rule, countN);
  checkSparseEncodeArgs(xBD, wEncDN, bEncN, bDecD, rule, countN);
  // thresholds enter detached: the op has no gradient for them
  const select = stopGradient(rule.kind === 'above' ? rule.selectN : countN);
  const count = stopGradient(countN);
  const [preActsBK, indices, valid, countAbove] = runKernel<tf.Tensor[]>(
    K.sparseEncode,
    { x: xBD, wEnc: wEncDN, bEnc: bEncN, bDec: bDecD, select, count },
    { rule: rule.kind, keep: rule.kind === 'batch' ? rule.keep : 0 },
  );
  select.dispose();
  count.dispose();
  const detach = (t: tf.Tensor) => {
    const out = stopGradient(t);
    t.dispose();
    return out;
  };
  return {
    preActsBK: preActsBK as tf.Tensor2D,
    indicesBK: detach(indices) as tf.Tensor2D,
    validBK: detach(valid) as tf.Tensor2D,
    countAboveB: detach(countAbove) as tf.Tensor1D,
  };
}
