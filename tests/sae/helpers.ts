/** Plain-array helpers for the SAE tests: the independent computations the models are checked against. */
import * as tf from '@tensorflow/tfjs';
import { gatherRows, untaped } from '../../src/base/autodiff';
import type { Rng } from '../../src/core/random';

/** `n` standard normal draws from a seeded generator. */
export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/** Row-major [rows, cols] array as nested arrays. */
export function rowsOf(a: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => a[r * cols + c]));
}

/** The parameters of an SAE read back as nested arrays. */
export async function weightsOf(params: {
  get(name: string): tf.Tensor;
}): Promise<{ wEnc: number[][]; bEnc: number[]; wDec: number[][]; bDec: number[] }> {
  return {
    wEnc: (await params.get('W_enc').array()) as number[][],
    bEnc: (await params.get('b_enc').array()) as number[],
    wDec: (await params.get('W_dec').array()) as number[][],
    bDec: (await params.get('b_dec').array()) as number[],
  };
}

/** z = (x - bDec) wEnc + bEnc for one input, in float64. */
export function preActs(
  x: number[],
  w: { wEnc: number[][]; bEnc: number[]; bDec: number[] },
  subtractBDec = true,
): number[] {
  const n = w.bEnc.length;
  return Array.from({ length: n }, (_, i) => {
    let s = w.bEnc[i];
    for (let j = 0; j < x.length; j++) s += (x[j] - (subtractBDec ? w.bDec[j] : 0)) * w.wEnc[j][i];
    return s;
  });
}

/** xhat = f wDec + bDec for one input. */
export function decode(f: number[], w: { wDec: number[][]; bDec: number[] }): number[] {
  return w.bDec.map((b, j) => f.reduce((s, fi, i) => s + fi * w.wDec[i][j], b));
}

/** Indices of the k largest entries (ties to the lower index), in descending value order. */
export function topIndices(z: number[], k: number): number[] {
  return z
    .map((v, i) => [v, i])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map((p) => p[1]);
}

/** Largest |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** ||a - b|| / max(||b||, tiny) over flat arrays. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/**
 * The literal Matryoshka all-prefix loss (check only): for m = 1..N decode with the latents i < m.
 * O(N*K*D) per input: small N only (tests, lessons).
 * @param valuesBK [B,K] @param indicesBK [B,K] int32 @param wDecND [N,D] @param residualBD [B,D] = x' - b_dec
 * @returns [B] sum over prefixes of the squared residual norms
 */
export function allPrefixLossNaive(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  residualBD: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const [B, K] = valuesBK.shape;
    const [N, D] = wDecND.shape;
    const rowsBKD = gatherRows(wDecND, indicesBK.reshape([B * K])).reshape([B, K, D]);
    let total = tf.zeros([B]);
    for (let m = 1; m <= N; m++) {
      const keptBK = valuesBK.mul(untaped((i) => i.less(m).cast('float32'), indicesBK));
      const partialBD = rowsBKD.mul(keptBK.expandDims(2)).sum(1);
      total = total.add(residualBD.sub(partialBD).square().sum(1));
    }
    return total as tf.Tensor1D;
  });
}
