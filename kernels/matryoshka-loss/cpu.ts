/**
 * Matryoshka all-prefix loss (block size 1) on cpu and wasm, O(K*D) per input; equals reference.ts.
 * Per input, with the active indices sorted a_1 < ... < a_K, a_0 = 0, a_{K+1} = N, w_j = a_{j+1} - a_j:
 *   forward:  r_0 = residual, r_j = r_{j-1} - f_{a_j} W[a_j];  L = sum_{j=0}^{K} w_j ||r_j||^2
 *   backward: E_l = sum_{j >= l} w_j r_j (a suffix sum, walking j = K .. 0), then
 *             dL/df_{a_l} = -2 <E_l, W[a_l]>,  dL/dW[a_l] = -2 f_{a_l} E_l,  dL/dresidual = 2 E_0
 * each times the upstream gradient of that input's loss.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerJsKernel, runJs } from '../shared/js-kernel';

type Arr = ArrayLike<number>;

/** Positions 0..k-1 of row r ordered by ascending latent index (insertion sort; k is small). */
function sortedOrder(idx: Arr, r: number, k: number, order: Int32Array): void {
  for (let j = 0; j < k; j++) {
    let p = j;
    const key = idx[r * k + j];
    while (p > 0 && idx[r * k + order[p - 1]] > key) {
      order[p] = order[p - 1];
      p--;
    }
    order[p] = j;
  }
}

/** Loss per row [b]. */
export function matryoshkaJs(
  v: Arr,
  idx: Arr,
  w: Arr,
  res: Arr,
  loss: Float32Array,
  b: number,
  k: number,
  n: number,
  d: number,
): void {
  const order = new Int32Array(k);
  const cur = new Float64Array(d);
  for (let r = 0; r < b; r++) {
    sortedOrder(idx, r, k, order);
    let sq = 0;
    for (let c = 0; c < d; c++) {
      cur[c] = res[r * d + c];
      sq += cur[c] * cur[c];
    }
    let total = idx[r * k + order[0]] * sq; // w_0 = a_1 - 0
    for (let j = 0; j < k; j++) {
      const p = r * k + order[j];
      const a = idx[p];
      const next = j + 1 < k ? idx[r * k + order[j + 1]] : n;
      const f = v[p];
      const row = a * d;
      sq = 0;
      for (let c = 0; c < d; c++) {
        cur[c] -= f * w[row + c];
        sq += cur[c] * cur[c];
      }
      total += (next - a) * sq;
    }
    loss[r] = total;
  }
}

/** Gradients dValues [b,k], dW [n,d] (zeroed, then scatter-added), dResidual [b,d]. */
export function matryoshkaGradJs(
  dy: Arr,
  v: Arr,
  idx: Arr,
  w: Arr,
  res: Arr,
  dv: Float32Array,
  dw: Float32Array,
  dres: Float32Array,
  b: number,
  k: number,
  n: number,
  d: number,
): void {
  dw.fill(0);
  const order = new Int32Array(k);
  const rs = new Float64Array((k + 1) * d); // r_0 .. r_K
  const e = new Float64Array(d);
  for (let r = 0; r < b; r++) {
    sortedOrder(idx, r, k, order);
    for (let c = 0; c < d; c++) rs[c] = res[r * d + c];
    for (let j = 1; j <= k; j++) {
      const p = r * k + order[j - 1];
      const row = idx[p] * d,
        f = v[p];
      for (let c = 0; c < d; c++) rs[j * d + c] = rs[(j - 1) * d + c] - f * w[row + c];
    }
    e.fill(0);
    const g2 = 2 * dy[r];
    for (let l = k; l >= 0; l--) {
      const a = l === 0 ? 0 : idx[r * k + order[l - 1]];
      const next = l < k ? idx[r * k + order[l]] : n;
      const wl = next - a;
      for (let c = 0; c < d; c++) e[c] += wl * rs[l * d + c];
      if (l === 0) break;
      const p = r * k + order[l - 1];
      const row = a * d,
        f = v[p];
      let s = 0;
      for (let c = 0; c < d; c++) {
        s += e[c] * w[row + c];
        dw[row + c] -= g2 * f * e[c];
      }
      dv[p] = -g2 * s;
    }
    for (let c = 0; c < d; c++) dres[r * d + c] = g2 * e[c];
  }
}

registerJsKernel(K.matryoshka, ({ inputs, backend }) => {
  const { values, indices, wDec, residual } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const [n, d] = wDec.shape;
  return runJs(
    backend,
    [values, indices, wDec, residual],
    [{ shape: [b], dtype: 'float32' }],
    ([v, idx, w, res], [out]) => matryoshkaJs(v, idx, w, res, out as Float32Array, b, k, n, d),
  )[0];
});

registerJsKernel(K.matryoshkaGrad, ({ inputs, backend }) => {
  const { dy, values, indices, wDec, residual } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const [n, d] = wDec.shape;
  return runJs(
    backend,
    [dy, values, indices, wDec, residual],
    [
      { shape: [b, k], dtype: 'float32' },
      { shape: [n, d], dtype: 'float32' },
      { shape: [b, d], dtype: 'float32' },
    ],
    ([g, v, idx, w, res], [dv, dw, dres]) =>
      matryoshkaGradJs(g, v, idx, w, res, dv as Float32Array, dw as Float32Array, dres as Float32Array, b, k, n, d),
  );
});
