/**
 * SAE latents read back to plain arrays as compressed sparse rows, the one layout every
 * streaming metric of `sae/eval` consumes (so a dense ReLU SAE and a sparse TopK SAE feed the
 * same code, and a pass over a corpus never holds a dense [B,N] array in JS for long).
 *
 * Row r holds the latents that fire (f > 0) on input r: indices idx[rowStart[r] .. rowStart[r+1])
 * with values val[...], in the order the SAE returned them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Latents, SparseAutoencoder } from '../base';

/** Firing latents per input, compressed sparse rows. */
export interface LatentRows {
  /** Number of inputs B. */
  rows: number;
  /** Number of latents N. */
  nLatents: number;
  /** Start of each row in `idx`/`val`, length B + 1. */
  rowStart: Int32Array;
  /** Latent index of each firing entry. */
  idx: Int32Array;
  /** Activation of each firing entry (> 0). */
  val: Float32Array;
}

/** Reads latents back as sparse rows, keeping only entries > 0. Does not dispose `latents`. */
export async function latentRowsOf(latents: Latents, nLatents: number): Promise<LatentRows> {
  if (latents.kind === 'sparse') {
    const [B, K] = latents.valuesBK.shape;
    const [values, indices] = await Promise.all([latents.valuesBK.data(), latents.indicesBK.data()]);
    return compress(B, nLatents, (b, push) => {
      for (let k = 0; k < K; k++) if (values[b * K + k] > 0) push(indices[b * K + k], values[b * K + k]);
    });
  }
  const [B, N] = latents.denseBN.shape;
  const dense = await latents.denseBN.data();
  return compress(B, N, (b, push) => {
    for (let i = 0; i < N; i++) if (dense[b * N + i] > 0) push(i, dense[b * N + i]);
  });
}

/** Builds sparse rows from a per-row visitor. */
function compress(
  rows: number,
  nLatents: number,
  visit: (row: number, push: (index: number, value: number) => void) => void,
): LatentRows {
  const rowStart = new Int32Array(rows + 1);
  let idx = new Int32Array(Math.max(16, rows * 8));
  let val = new Float32Array(idx.length);
  let n = 0;
  const push = (i: number, v: number) => {
    if (n === idx.length) {
      const grownIdx = new Int32Array(idx.length * 2);
      grownIdx.set(idx);
      idx = grownIdx;
      const grownVal = new Float32Array(val.length * 2);
      grownVal.set(val);
      val = grownVal;
    }
    idx[n] = i;
    val[n] = v;
    n++;
  };
  for (let b = 0; b < rows; b++) {
    visit(b, push);
    rowStart[b + 1] = n;
  }
  return { rows, nLatents, rowStart, idx: idx.slice(0, n), val: val.slice(0, n) };
}

/** The activation of latent `j` on row `r` (0 when it does not fire). */
export function latentValue(rows: LatentRows, r: number, j: number): number {
  for (let e = rows.rowStart[r]; e < rows.rowStart[r + 1]; e++) if (rows.idx[e] === j) return rows.val[e];
  return 0;
}

/**
 * Each latent's decoder direction in INPUT units, row-major [N, D]: decode(e_j) - decode(0),
 * so any input normalisation the SAE applies is accounted for (for an SAE with scale s this is
 * W_dec[j] / s). Read in chunks of `chunk` latents.
 */
export async function decoderDirections(sae: SparseAutoencoder, chunk = 512): Promise<Float32Array> {
  const N = sae.nLatents;
  const D = sae.dIn;
  const out = new Float32Array(N * D);
  const zero = tf.tidy(() => sae.decode({ kind: 'dense', denseBN: tf.zeros([1, N]) }));
  for (let start = 0; start < N; start += chunk) {
    const n = Math.min(chunk, N - start);
    const dirs = tf.tidy(() => {
      const eye = tf.oneHot(tf.range(start, start + n, 1, 'int32'), N).cast('float32') as tf.Tensor2D;
      return sae.decode({ kind: 'dense', denseBN: eye }).sub(zero);
    });
    out.set(await dirs.data(), start * D);
    dirs.dispose();
  }
  zero.dispose();
  return out;
}
