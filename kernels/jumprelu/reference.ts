/**
 * JumpReLU, reference (Rajamanoharan et al. 2024, "Jumping Ahead", arXiv:2407.14435, Eqs. 4, 11, 12):
 *   jumpRelu(z) = z * H(z - theta)          step(z) = H(z - theta)
 * with straight-through pseudo-derivatives, K(u) = 1[-1/2 < u < 1/2] the rectangle kernel and
 * eps the bandwidth:
 *   d jumpRelu / dz = H(z - theta)          d jumpRelu / dtheta = -(theta / eps) K((z - theta) / eps)
 *   d step / dz     = 0                     d step / dtheta     = -(1 / eps)     K((z - theta) / eps)
 * H(0) = 0 (strict z > theta). Each is a `tf.customGrad` over ordinary tfjs ops. theta is [N], or
 * [B,N] with one threshold per entry (its gradient then is not summed over the batch).
 */
import * as tf from '@tensorflow/tfjs';
import { customOp } from '../../src/base/autodiff';
import { checkBandwidth, checkFloat1D, checkFloat2D, checkSameShape } from '../shared/checks';

/**
 * Shared checks: preActs [B,N] float32, theta [N] (one per latent) or [B,N] (one per entry: a sparse
 * code's gathered thresholds), bandwidth > 0.
 */
export function checkJumpArgs(preActsBN: tf.Tensor2D, thetaN: tf.Tensor, bandwidth: number): void {
  checkFloat2D('preActsBN', preActsBN);
  if (thetaN instanceof tf.Tensor && thetaN.rank === 2) {
    checkFloat2D('thetaN', thetaN);
    checkSameShape('thetaN', thetaN, preActsBN.shape);
  } else checkFloat1D('thetaN', thetaN, preActsBN.shape[1]);
  checkBandwidth(bandwidth);
}

/** A theta gradient summed to theta's shape: over the batch for theta [N], as is for theta [B,N]. */
function toThetaShape(g: tf.Tensor, theta: tf.Tensor): tf.Tensor {
  return theta.rank === 1 ? g.sum(0) : g;
}

/** K((z - theta) / eps) as float32 0/1: 1 where |z - theta| < eps / 2. */
function rectangle(zBN: tf.Tensor, thetaN: tf.Tensor, bandwidth: number): tf.Tensor {
  return zBN
    .sub(thetaN)
    .abs()
    .less(bandwidth / 2)
    .cast('float32');
}

/**
 * z * H(z - theta) with gradients H(z - theta) for z and -(theta/eps) K((z - theta)/eps) for theta.
 * @param preActsBN [B,N]  @param thetaN [N] (> 0)  @param bandwidth eps > 0  @returns [B,N]
 */
export function jumpReluReference(
  preActsBN: tf.Tensor2D,
  thetaN: tf.Tensor1D | tf.Tensor2D,
  bandwidth: number,
): tf.Tensor2D {
  checkJumpArgs(preActsBN, thetaN, bandwidth);
  const f = customOp(([z, theta], save) => {
    save([z, theta]);
    return {
      value: z.mul(z.greater(theta).cast('float32')),
      gradFunc: (dy: tf.Tensor, [zs, th]: tf.Tensor[]) => [
        dy.mul(zs.greater(th).cast('float32')),
        toThetaShape(dy.mul(rectangle(zs, th, bandwidth)).mul(th), th).mul(-1 / bandwidth),
      ],
    };
  });
  return f(preActsBN, thetaN) as tf.Tensor2D;
}

/**
 * H(z - theta) with gradients 0 for z and -(1/eps) K((z - theta)/eps) for theta (the L0 term sums it).
 * @param preActsBN [B,N]  @param thetaN [N]  @param bandwidth eps > 0  @returns [B,N] of 0/1
 */
export function jumpReluStepReference(
  preActsBN: tf.Tensor2D,
  thetaN: tf.Tensor1D | tf.Tensor2D,
  bandwidth: number,
): tf.Tensor2D {
  checkJumpArgs(preActsBN, thetaN, bandwidth);
  const f = customOp(([z, theta], save) => {
    save([z, theta]);
    return {
      value: z.greater(theta).cast('float32'),
      gradFunc: (dy: tf.Tensor, [zs, th]: tf.Tensor[]) => [
        tf.zerosLike(zs),
        toThetaShape(dy.mul(rectangle(zs, th, bandwidth)), th).mul(-1 / bandwidth),
      ],
    };
  });
  return f(preActsBN, thetaN) as tf.Tensor2D;
}
