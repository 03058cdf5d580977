/**
 * JumpReLU and its step with straight-through gradients: fused kernels where the active
 * backend has them (cpu/wasm: cpu.ts), reference.ts elsewhere (or with the kernels switched off: `useKernels`).
 */
import * as tf from '@tensorflow/tfjs';
import './cpu';
import './webgl';
import './webgpu';
import { K } from '../shared/kernel-names';
import { hasKernel, kernelActive, runKernel } from '../shared/js-kernel';
import { checkJumpArgs, jumpReluReference, jumpReluStepReference } from './reference';

export { jumpReluReference, jumpReluStepReference } from './reference';

/** [dz, dtheta] by the fused kernel, or by tfjs ops where the backend has none. */
function jumpGrad(dy: tf.Tensor, z: tf.Tensor, theta: tf.Tensor, bandwidth: number, step: boolean): tf.Tensor[] {
  if (hasKernel(K.jumpReluGrad)) return runKernel<tf.Tensor[]>(K.jumpReluGrad, { dy, z, theta }, { bandwidth, step });
  return tf.tidy(() => {
    const window = z
      .sub(theta)
      .abs()
      .less(bandwidth / 2)
      .cast('float32');
    const dz = step ? tf.zerosLike(z) : dy.mul(z.greater(theta).cast('float32'));
    const sum = dy.mul(window).sum(0);
    return [dz, step ? sum.mul(-1 / bandwidth) : sum.mul(theta).mul(-1 / bandwidth)];
  });
}

for (const [name, step] of [
  [K.jumpRelu, false],
  [K.jumpReluStep, true],
] as const) {
  tf.registerGradient({
    kernelName: name,
    inputsToSave: ['z', 'theta'],
    gradFunc: (dy, saved, attrs) => {
      const [z, theta] = saved;
      const { bandwidth } = attrs as unknown as { bandwidth: number };
      const [dz, dTheta] = jumpGrad(dy as tf.Tensor, z, theta, bandwidth, step);
      return { z: () => dz, theta: () => dTheta };
    },
  });
}

/**
 * z * H(z - theta); d/dz = H(z - theta), d/dtheta = -(theta/eps) K((z - theta)/eps).
 * theta [B,N] (one threshold per entry) runs the reference.
 * @param preActsBN [B,N]  @param thetaN [N] or [B,N]  @param bandwidth eps > 0  @returns [B,N]
 */
export function jumpRelu(preActsBN: tf.Tensor2D, thetaN: tf.Tensor1D | tf.Tensor2D, bandwidth: number): tf.Tensor2D {
  if (!kernelActive(K.jumpRelu) || (thetaN instanceof tf.Tensor && thetaN.rank === 2))
    return jumpReluReference(preActsBN, thetaN, bandwidth);
  checkJumpArgs(preActsBN, thetaN, bandwidth);
  return runKernel<tf.Tensor2D>(K.jumpRelu, { z: preActsBN, theta: thetaN }, { bandwidth });
}

/**
 * H(z - theta); d/dz = 0, d/dtheta = -(1/eps) K((z - theta)/eps) (the L0 penalty sums it).
 * @param preActsBN [B,N]  @param thetaN [N] or [B,N]  @param bandwidth eps > 0  @returns [B,N] of 0/1
 */
export function jumpReluStep(
  preActsBN: tf.Tensor2D,
  thetaN: tf.Tensor1D | tf.Tensor2D,
  bandwidth: number,
): tf.Tensor2D {
  if (!kernelActive(K.jumpReluStep) || (thetaN instanceof tf.Tensor && thetaN.rank === 2))
    return jumpReluStepReference(preActsBN, thetaN, bandwidth);
  checkJumpArgs(preActsBN, thetaN, bandwidth);
  return runKernel<tf.Tensor2D>(K.jumpReluStep, { z: preActsBN, theta: thetaN }, { bandwidth });
}
