/**
 * The decoder-norm ops on cpu and wasm (equal reference.ts): one pass per row, a dot product
 * (or squared norm) in float64 and then one write, instead of four tfjs passes with temporaries.
 */
import * as tf from '@tensorflow/tfjs';
import { registerJsKernel, runJs } from '../shared/js-kernel';

export const TANGENT_GRAD = 'GensparseTangentGrad';
export const UNIT_ROWS = 'GensparseUnitRows';

/** out_i = g_i - (g_i . d_i) d_i for each of the n rows of length d. */
export function tangentGradJs(g: Float32Array, w: Float32Array, out: Float32Array, n: number, d: number): void {
  for (let r = 0; r < n; r++) {
    const o = r * d;
    let dot = 0;
    for (let c = 0; c < d; c++) dot += g[o + c] * w[o + c];
    for (let c = 0; c < d; c++) out[o + c] = g[o + c] - dot * w[o + c];
  }
}

/** out_i = w_i / (||w_i|| + 1e-12) for each of the n rows of length d. */
export function unitRowsJs(w: Float32Array, out: Float32Array, n: number, d: number): void {
  for (let r = 0; r < n; r++) {
    const o = r * d;
    let sq = 0;
    for (let c = 0; c < d; c++) sq += w[o + c] * w[o + c];
    const inv = 1 / (Math.sqrt(sq) + 1e-12);
    for (let c = 0; c < d; c++) out[o + c] = w[o + c] * inv;
  }
}

registerJsKernel(TANGENT_GRAD, ({ inputs, backend }) => {
  const { g, w } = inputs as Record<string, tf.TensorInfo>;
  const [n, d] = g.shape;
  return runJs(backend, [g, w], [{ shape: [n, d], dtype: 'float32' }], ([gs, ws], [out]) =>
    tangentGradJs(gs as Float32Array, ws as Float32Array, out as Float32Array, n, d))[0];
});

registerJsKernel(UNIT_ROWS, ({ inputs, backend }) => {
  const { w } = inputs as Record<string, tf.TensorInfo>;
  const [n, d] = w.shape;
  return runJs(backend, [w], [{ shape: [n, d], dtype: 'float32' }], ([ws], [out]) =>
    unitRowsJs(ws as Float32Array, out as Float32Array, n, d))[0];
});
