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

/**
 * Sparse encode: z = (x - bDec) W + bEnc in float64, the selected entries per row (rule 'above':
 * z > select_i; 'batch': the `keep` largest positive entries, ties to the lower flat index),
 * padded to the largest count, and the per-row count of z > count_i.
 */
export function naiveSparseEncode(
  x: Arr,
  w: Arr,
  bEnc: Arr,
  bDec: Arr,
  b: number,
  d: number,
  n: number,
  rule: { kind: 'above'; select: Arr } | { kind: 'batch'; keep: number },
  count: Arr,
): { k: number; values: Float64Array; indices: Int32Array; valid: Float64Array; above: Float64Array } {
  const z = new Float64Array(b * n);
  for (let r = 0; r < b; r++)
    for (let i = 0; i < n; i++) {
      let s = bEnc[i];
      for (let c = 0; c < d; c++) s += (x[r * d + c] - bDec[c]) * w[c * n + i];
      z[r * n + i] = s;
    }
  const chosen = new Set<number>();
  if (rule.kind === 'above') {
    for (let f = 0; f < b * n; f++) if (z[f] > rule.select[f % n]) chosen.add(f);
  } else {
    const pos = [...z.keys()].filter((f) => z[f] > 0).sort((p, q) => z[q] - z[p] || p - q);
    for (const f of pos.slice(0, rule.keep)) chosen.add(f);
  }
  const rows = Array.from({ length: b }, (_, r) => [...Array(n).keys()].filter((i) => chosen.has(r * n + i)));
  const k = Math.max(1, ...rows.map((row) => row.length));
  const values = new Float64Array(b * k);
  const indices = new Int32Array(b * k);
  const valid = new Float64Array(b * k);
  rows.forEach((row, r) =>
    row.forEach((i, j) => {
      values[r * k + j] = z[r * n + i];
      indices[r * k + j] = i;
      valid[r * k + j] = 1;
    }),
  );
  const above = Float64Array.from({ length: b }, (_, r) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (z[r * n + i] > count[i]) c++;
    return c;
  });
  return { k, values, indices, valid, above };
}

/** Gradients of sum(g * values) of a sparse encode: to x [B,D], W [D,N], bEnc [N], bDec [D]. */
export function naiveSparseEncodeGrad(
  x: Arr,
  w: Arr,
  bDec: Arr,
  indices: Arr,
  valid: Arr,
  g: Arr,
  b: number,
  d: number,
  n: number,
  k: number,
): { dx: Float64Array; dw: Float64Array; dbEnc: Float64Array; dbDec: Float64Array } {
  const dx = new Float64Array(b * d);
  const dw = new Float64Array(d * n);
  const dbEnc = new Float64Array(n);
  const dbDec = new Float64Array(d);
  for (let r = 0; r < b; r++)
    for (let j = 0; j < k; j++) {
      if (valid[r * k + j] === 0) continue;
      const i = indices[r * k + j];
      const gj = g[r * k + j];
      dbEnc[i] += gj;
      for (let c = 0; c < d; c++) {
        dx[r * d + c] += gj * w[c * n + i];
        dw[c * n + i] += gj * (x[r * d + c] - bDec[c]);
        dbDec[c] -= gj * w[c * n + i];
      }
    }
  return { dx, dw, dbEnc, dbDec };
}
