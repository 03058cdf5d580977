/**
 * Naive baselines that exist only for a benchmark row (not library code): the literal forms the
 * fast ops are timed against.
 */
import * as tf from '@tensorflow/tfjs';
import { densify } from '../densify';
import { checkMatryoshkaArgs } from '../matryoshka-loss/reference';

/** Elements of one chunk's [c, N, D] intermediate we allow (16 MiB of float32). */
const CHUNK_ELEMENTS = 4 * 1024 * 1024;

/**
 * Matryoshka all-prefix loss, literally: for each prefix m = 1..N the running residual
 * r - sum_{i < m} f_i W_dec[i, :] as an exclusive cumulative sum over the latents, O(N*D) memory
 * and time per input, the batch in chunks that fit in memory. Gradients by autodiff.
 * @param valuesBK [B,K]  @param indicesBK [B,K] int32 (distinct per row)  @param wDecND [N,D]
 * @param residualBD [B,D] = x - b_dec  @returns [B]
 */
export function matryoshkaAllPrefixLossLiteral(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  residualBD: tf.Tensor2D,
): tf.Tensor1D {
  checkMatryoshkaArgs(valuesBK, indicesBK, wDecND, residualBD);
  const [b, k] = valuesBK.shape;
  const [n, d] = wDecND.shape;
  const chunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / (n * d)));
  return tf.tidy(() => {
    const wDecDN = wDecND.transpose();
    const parts: tf.Tensor1D[] = [];
    for (let start = 0; start < b; start += chunk) {
      const c = Math.min(chunk, b - start);
      const fCN = densify(valuesBK.slice([start, 0], [c, k]), indicesBK.slice([start, 0], [c, k]), n);
      const stepsCDN = fCN.reshape([c, 1, n]).mul(wDecDN.reshape([1, d, n]));
      // prefix[:, :, m-1] = sum_{i < m} f_i W_i (latents 0 .. m-1), m = 1..N; the cumsum runs on
      // the last axis because tfjs 4.22's Cumsum gradient is wrong for any other axis
      const prefixCDN = tf.cumsum(stepsCDN, 2);
      const residualCDN = residualBD.slice([start, 0], [c, d]).reshape([c, d, 1]).sub(prefixCDN);
      // sum over D first, then over the N prefixes (two shorter float32 sums lose less)
      parts.push(residualCDN.square().sum(1).sum(1) as tf.Tensor1D);
    }
    return (parts.length === 1 ? parts[0] : tf.concat(parts)) as tf.Tensor1D;
  });
}
