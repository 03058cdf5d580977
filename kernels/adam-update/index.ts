/**
 * The Adam update of one parameter: the one-pass kernel on cpu and wasm, the composite
 * reference elsewhere (or with the kernels switched off: `useKernels`). No gradient: it is an optimiser step.
 */
import * as tf from '@tensorflow/tfjs';
import './cpu';
import { ADAM_UPDATE } from './cpu';
import { kernelActive, runKernel } from '../shared/js-kernel';
import { checkSameShape } from '../shared/checks';
import { type AdamHyper, adamUpdateReference } from './reference';

export { adamUpdateReference } from './reference';
export type { AdamHyper } from './reference';

/**
 * @param p, m, v, grad  float32 tensors of one shape  @param scale scalar gradient multiplier
 * @returns [p', m', v'] (new tensors; the caller assigns and disposes them)
 */
export function adamUpdate(
  p: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  grad: tf.Tensor,
  scale: tf.Scalar,
  h: AdamHyper,
): tf.Tensor[] {
  for (const [name, t] of [
    ['m', m],
    ['v', v],
    ['grad', grad],
  ] as const)
    checkSameShape(name, t, p.shape);
  if (!kernelActive(ADAM_UPDATE) || p.dtype !== 'float32' || grad.dtype !== 'float32') {
    return adamUpdateReference(p, m, v, grad, scale, h);
  }
  return tf.tidy(() => runKernel<tf.Tensor[]>(ADAM_UPDATE, { p, m, v, g: grad, scale: scale.reshape([1]) }, { ...h }));
}
