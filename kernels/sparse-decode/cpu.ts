/**
 * Sparse decode on cpu and wasm (plain JS over typed arrays); equals reference.ts.
 *   forward:  xhat[b] = b_dec + sum_j v[b,j] W[idx[b,j], :]                O(B*K*D)
 *   backward: dv[b,j] = <dy[b], W[idx[b,j]]>,  dW[idx[b,j]] += v[b,j] dy[b]  O(B*K*D) + zeroing dW
 * (the scatter-add touches only the rows in the code; the dense decode's backward is two
 * [B,N]x[N,D]-sized matmuls). This is the eager decode of OpenAI's Triton kernels, in JS.
 */
import * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerJsKernel, runJs } from '../shared/js-kernel';

/** xhat [B,D] from values [B,K], indices [B,K], wDec [N,D], bDec [D]. */
export function sparseDecodeJs(v: Float32Array, idx: Int32Array, w: Float32Array, bDec: Float32Array,
  out: Float32Array, b: number, k: number, d: number): void {
  const d4 = d - (d % 4);
  for (let r = 0; r < b; r++) {
    const o = r * d;
    for (let c = 0; c < d; c++) out[o + c] = bDec[c];
    for (let j = 0; j < k; j++) {
      const val = v[r * k + j];
      if (val === 0) continue;
      const row = idx[r * k + j] * d;
      let c = 0;
      for (; c < d4; c += 4) { // unrolled by 4: V8 does not vectorise
        out[o + c] += val * w[row + c];
        out[o + c + 1] += val * w[row + c + 1];
        out[o + c + 2] += val * w[row + c + 2];
        out[o + c + 3] += val * w[row + c + 3];
      }
      for (; c < d; c++) out[o + c] += val * w[row + c];
    }
  }
}

/** dValues [B,K] and dW [N,D] (zeroed, then scatter-added) from dy [B,D]. */
export function sparseDecodeGradJs(dy: Float32Array, v: Float32Array, idx: Int32Array, w: Float32Array,
  dv: Float32Array, dw: Float32Array, b: number, k: number, d: number): void {
  dw.fill(0);
  const d4 = d - (d % 4);
  for (let r = 0; r < b; r++) {
    const o = r * d;
    for (let j = 0; j < k; j++) {
      const row = idx[r * k + j] * d;
      const val = v[r * k + j];
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let c = 0;
      for (; c < d4; c += 4) {
        const g0 = dy[o + c], g1 = dy[o + c + 1], g2 = dy[o + c + 2], g3 = dy[o + c + 3];
        s0 += g0 * w[row + c]; s1 += g1 * w[row + c + 1]; s2 += g2 * w[row + c + 2]; s3 += g3 * w[row + c + 3];
        dw[row + c] += val * g0; dw[row + c + 1] += val * g1; dw[row + c + 2] += val * g2; dw[row + c + 3] += val * g3;
      }
      for (; c < d; c++) { s0 += dy[o + c] * w[row + c]; dw[row + c] += val * dy[o + c]; }
      dv[r * k + j] = s0 + s1 + s2 + s3;
    }
  }
}

registerJsKernel(K.sparseDecode, ({ inputs, backend }) => {
  const { values, indices, wDec, bDec } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const d = wDec.shape[1];
  return runJs(backend, [values, indices, wDec, bDec], [{ shape: [b, d], dtype: 'float32' }], ([v, idx, w, bd], [out]) =>
    sparseDecodeJs(v as Float32Array, idx as Int32Array, w as Float32Array, bd as Float32Array, out as Float32Array, b, k, d))[0];
});

registerJsKernel(K.sparseDecodeGrad, ({ inputs, backend }) => {
  const { dy, values, indices, wDec } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const [n, d] = wDec.shape;
  return runJs(backend, [dy, values, indices, wDec], [{ shape: [b, k], dtype: 'float32' }, { shape: [n, d], dtype: 'float32' }],
    ([g, v, idx, w], [dv, dw]) =>
      sparseDecodeGradJs(g as Float32Array, v as Float32Array, idx as Int32Array, w as Float32Array, dv as Float32Array, dw as Float32Array, b, k, d));
});
