/**
 * The SAE decoder-norm constraint: one-pass kernels on cpu and wasm, the composites elsewhere
 * (or after `useReferenceKernels(true)`). Neither op has a gradient: both act on gradients and
 * weights between backward passes.
 */
import * as tf from '@tensorflow/tfjs';
import { TANGENT_GRAD, UNIT_ROWS } from './cpu';
import { kernelActive, runKernel } from '../shared/js-kernel';
import { checkFloat2D, checkSameShape } from '../shared/checks';
import { tangentGradReference, unitRowsReference } from './reference';

export { tangentGradReference, unitRowsReference } from './reference';

/**
 * g_i <- g_i - (g_i . d_i) d_i: the gradient of each decoder row without its radial part.
 * @param gradND [N,D]  @param wDecND [N,D] with unit rows  @returns [N,D]
 */
export function tangentGrad(gradND: tf.Tensor2D, wDecND: tf.Tensor2D): tf.Tensor2D {
  checkFloat2D('gradND', gradND);
  checkSameShape('wDecND', wDecND, gradND.shape);
  if (!kernelActive(TANGENT_GRAD)) return tangentGradReference(gradND, wDecND);
  return runKernel<tf.Tensor2D>(TANGENT_GRAD, { g: gradND, w: wDecND });
}

/** Each row scaled to unit L2 norm. @param wND [N,D] @returns [N,D] */
export function unitRows(wND: tf.Tensor2D): tf.Tensor2D {
  checkFloat2D('wND', wND);
  if (!kernelActive(UNIT_ROWS)) return unitRowsReference(wND);
  return runKernel<tf.Tensor2D>(UNIT_ROWS, { w: wND });
}
