/**
 * stop-gradient for tfjs (which has no such op): a new tensor on the same data, with no tape
 * history, so nothing computed from it is ever differentiated back through it. Used for the
 * int32 indices of a sparse code: ops on indices (topk, equal, gather positions) have no
 * gradients, and a tape path through them makes backprop throw.
 * (The same bookkeeping as tfjs's own Reshape: the backend's reference count goes up by one.)
 */
import * as tf from '@tensorflow/tfjs';

/** The same values as `t`, detached from the gradient tape. */
export function detach<T extends tf.Tensor>(t: T): T {
  const engine = tf.engine();
  engine.backend.incRef(t.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }) as T;
}
