/**
 * Matryoshka all-prefix loss (block size 1), reference: the literal definition
 * (Bussmann et al. 2025, arXiv:2503.17547; Nabeshima 2024), every prefix m = 1..N of the dictionary:
 *   L(b) = sum_{m=1}^{N} || r_b - sum_{i < m} f_{b,i} W_dec[i, :] ||^2,   r = x - b_dec
 * (latents 0-based, so prefix m holds latents 0 .. m-1 and prefix N is the full reconstruction)
 * where f is the dense code (the sparse code scattered into [B,N]). The running residual of
 * each prefix is an exclusive cumulative sum over the latents, O(N*D) memory and time per input,
 * so the batch is processed in chunks that fit in memory. Gradients by autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { densify } from '../topk/reference';
import { checkFloat2D, checkSparseCode } from '../shared/checks';
import { InputError } from '../../src/core/errors';

/** Elements of one chunk's [c, N, D] intermediate we allow (16 MiB of float32). */
const CHUNK_ELEMENTS = 4 * 1024 * 1024;

/** Shared checks: sparse code [B,K], wDec [N,D], residual [B,D]. */
export function checkMatryoshkaArgs(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  residualBD: tf.Tensor2D,
): void {
  checkSparseCode(valuesBK, indicesBK);
  checkFloat2D('wDecND', wDecND);
  checkFloat2D('residualBD', residualBD);
  const [b] = valuesBK.shape;
  const [, d] = wDecND.shape;
  if (residualBD.shape[0] !== b || residualBD.shape[1] !== d) {
    throw new InputError('residualBD', `expected shape [${b}, ${d}], got [${residualBD.shape.join(', ')}]`);
  }
}

/**
 * Literal all-prefix loss per input.
 * @param valuesBK [B,K]  @param indicesBK [B,K] int32 (distinct per row)  @param wDecND [N,D]
 * @param residualBD [B,D] = x - b_dec  @returns [B]
 */
export function matryoshkaAllPrefixLossReference(
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
