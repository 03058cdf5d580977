/**
 * The autodiff helpers tfjs lacks, one definition each (the bottom layer: kernels, the core's
 * training pieces and the models all import them from here):
 *   stopGradient(x)        the same values, no tape history: nothing computed from it is
 *                          differentiated back through it (PyTorch's `x.detach()`)
 *   untaped(fn, ...xs)     fn evaluated on stop-gradient copies of xs (index selections, masks:
 *                          `topk`, `scatterND` and the comparisons have no gradients in tfjs)
 *   customOp(f)            a typed `tf.customGrad`: a value and its gradient function side by side
 *   gatherRows(table, idx) rows table[idx, :] with a scatter-add backward on every backend
 */
import * as tf from '@tensorflow/tfjs';

/**
 * The same values as `x`, detached from the gradient tape: a new tensor on the same data (the
 * backend's reference count goes up by one, the bookkeeping of tfjs's own Reshape), so no
 * gradient path runs through it. The caller disposes it like any tensor.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const engine = tf.engine();
  engine.backend.incRef(x.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }) as T;
}

/**
 * `fn(...inputs)` on stop-gradient copies of the inputs: the result is a constant for autodiff.
 * tfjs demands a gradient for every op on a path from the parameters to the loss, integer
 * outputs included; ops on detached inputs are on no such path.
 */
export function untaped<T extends tf.Tensor>(fn: (...xs: tf.Tensor[]) => T, ...inputs: tf.Tensor[]): T {
  return tf.tidy(() => fn(...inputs.map((x) => stopGradient(x))));
}

/** Forward value plus its gradient function, as tf.customGrad expects. */
export interface CustomGradResult {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/**
 * `customOp((inputs, save) => ({value, gradFunc}))(a, b, ...)` = tf.customGrad with typed inputs
 * (tfjs's own signature mixes tensors and the save function in one rest parameter, which strict
 * TypeScript cannot check). `gradFunc` returns one gradient per input.
 */
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

/**
 * rows = table[idx, :], differentiable in `table` on every backend: the backward pass is a
 * scatter-add (tf.scatterND sums duplicate indices). tfjs's own `tf.gather` gradient needs
 * `UnsortedSegmentSum`, which the wasm backend (4.22) does not register.
 * @param tableRC [R,C]  @param idxM [M] integer indices in [0, R) (cast to int32)  @returns [M,C]
 */
export function gatherRows(tableRC: tf.Tensor, idxM: tf.Tensor): tf.Tensor2D {
  const [r, c] = tableRC.shape;
  const idx = idxM.dtype === 'int32' ? stopGradient(idxM) : untaped((i) => i.toInt(), idxM);
  const op = customOp(([table], save) => {
    const idxM1 = idx.reshape([-1, 1]);
    save([idxM1]);
    return {
      value: tf.gather(table, idx),
      gradFunc: (dy, [savedIdx]) => tf.scatterND(savedIdx, dy, [r, c]),
    };
  });
  const out = op(tableRC) as tf.Tensor2D;
  idx.dispose();
  return out;
}
