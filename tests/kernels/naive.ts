/**
 * Independent plain-JS versions of every kernel op (loops over arrays, float64 accumulation),
 * used by the kernel tests as the ground truth for both the references and the fast kernels.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core/random';

export type Arr = ArrayLike<number>;

/** Seeded N(0, std^2) Float32Array. */
export function randn(rng: Rng, size: number, std = 1): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

/** Max |a - b| / (atol + rtol |b|) <= 1 check with a readable failure message. */
export function expectClose(actual: Arr, expected: Arr, { atol = 1e-5, rtol = 1e-4, label = '' } = {}): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Number.isNaN(a) || Number.isNaN(e) ? Infinity : Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  if (worst > 1)
    throw new Error(
      `${label} mismatch at ${at}: got ${actual[at]}, expected ${expected[at]} (atol ${atol}, rtol ${rtol})`,
    );
}

/** Per row: the k largest entries (ties to the lower index), values ReLU'd. */
export function naiveTopk(z: Arr, b: number, n: number, k: number): { values: Float64Array; indices: Int32Array } {
  const values = new Float64Array(b * k);
  const indices = new Int32Array(b * k);
  for (let r = 0; r < b; r++) {
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((i, j) => z[r * n + j] - z[r * n + i] || i - j);
    for (let j = 0; j < k; j++) {
      indices[r * k + j] = order[j];
      values[r * k + j] = Math.max(0, z[r * n + order[j]]);
    }
  }
  return { values, indices };
}

/** d/dz of sum(values * g): g scattered to kept entries with value > 0. */
export function naiveTopkGrad(values: Arr, indices: Arr, g: Arr, b: number, n: number, k: number): Float64Array {
  const out = new Float64Array(b * n);
  for (let r = 0; r < b; r++)
    for (let j = 0; j < k; j++) {
      if (values[r * k + j] > 0) out[r * n + indices[r * k + j]] += g[r * k + j];
    }
  return out;
}

/** xhat[b] = sum_j v[b,j] W[idx[b,j]] + bDec. */
export function naiveDecode(v: Arr, idx: Arr, w: Arr, bDec: Arr, b: number, k: number, d: number): Float64Array {
  const out = new Float64Array(b * d);
  for (let r = 0; r < b; r++)
    for (let c = 0; c < d; c++) {
      let s = bDec[c];
      for (let j = 0; j < k; j++) s += v[r * k + j] * w[idx[r * k + j] * d + c];
      out[r * d + c] = s;
    }
  return out;
}

/** Gradients of sum(xhat * g) for the decode: dValues [B,K], dW [N,D], dbDec [D]. */
export function naiveDecodeGrad(v: Arr, idx: Arr, w: Arr, g: Arr, b: number, k: number, n: number, d: number) {
  const dValues = new Float64Array(b * k);
  const dW = new Float64Array(n * d);
  const dB = new Float64Array(d);
  for (let r = 0; r < b; r++) {
    for (let j = 0; j < k; j++) {
      const i = idx[r * k + j];
      let s = 0;
      for (let c = 0; c < d; c++) {
        s += g[r * d + c] * w[i * d + c];
        dW[i * d + c] += v[r * k + j] * g[r * d + c];
      }
      dValues[r * k + j] = s;
    }
    for (let c = 0; c < d; c++) dB[c] += g[r * d + c];
  }
  return { dValues, dW, dB };
}

/** Literal all-prefix loss per row: sum_{m=1}^{N} ||r - sum_{i<m} f_i W_i||^2, float64. */
export function naiveMatryoshka(
  v: Arr,
  idx: Arr,
  w: Arr,
  res: Arr,
  b: number,
  k: number,
  n: number,
  d: number,
): Float64Array {
  const out = new Float64Array(b);
  for (let r = 0; r < b; r++) {
    const f = new Float64Array(n);
    for (let j = 0; j < k; j++) f[idx[r * k + j]] += v[r * k + j];
    const cur = Float64Array.from({ length: d }, (_, c) => res[r * d + c]);
    let total = 0;
    for (let m = 1; m <= n; m++) {
      const i = m - 1; // prefix m holds latents 0 .. m-1
      if (f[i] !== 0) for (let c = 0; c < d; c++) cur[c] -= f[i] * w[i * d + c];
      let s = 0;
      for (let c = 0; c < d; c++) s += cur[c] * cur[c];
      total += s;
    }
    out[r] = total;
  }
  return out;
}

/** Reads a tensor as a plain array (await data(), never dataSync). */
export async function read(t: tf.Tensor): Promise<Float32Array | Int32Array> {
  return (await t.data()) as Float32Array | Int32Array;
}

/** Sum of out * g as a scalar (a random linear functional, to test gradients of any output). */
export function dot(out: tf.Tensor, g: tf.Tensor): tf.Scalar {
  return out.mul(g).sum() as tf.Scalar;
}

/** Distinct random latent indices per row (a partial Fisher-Yates). */
export function randomIndices(rng: Rng, b: number, k: number, n: number): Int32Array {
  const out = new Int32Array(b * k);
  for (let r = 0; r < b; r++) {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let j = 0; j < k; j++) {
      const s = j + rng.int(n - j);
      [perm[j], perm[s]] = [perm[s], perm[j]];
      out[r * k + j] = perm[j];
    }
  }
  return out;
}
