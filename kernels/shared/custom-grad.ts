/**
 * A typed wrapper of `tf.customGrad`: `f(inputs, save)` returns the value and a gradient
 * function giving one gradient per input (tfjs's own signature mixes tensors and the save
 * function in one rest parameter, which strict TypeScript cannot check).
 */
import * as tf from '@tensorflow/tfjs';

/** Forward value plus its gradient function, as tf.customGrad expects. */
export interface CustomGradResult {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/** `customOp((inputs, save) => ({value, gradFunc}))(a, b, ...)` = tf.customGrad with typed inputs. */
export function customOp(
  f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => CustomGradResult,
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const wrapped = (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return f(args.slice(0, -1) as tf.Tensor[], save);
  };
  return tf.customGrad(wrapped as unknown as Parameters<typeof tf.customGrad>[0]) as (
    ...inputs: tf.Tensor[]
  ) => tf.Tensor;
}
