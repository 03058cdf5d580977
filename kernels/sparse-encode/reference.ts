/**
 * Sparse encode, reference: the pre-activations of an SAE encoder at a SELECTED set of entries.
 *
 *   z = (x - b_dec) W_enc + b_enc                 [B,N]  (Bricken et al. 2023; Gao et al. 2024, Eq. 1)
 *   selected(b, i) by one of two rules:
 *     'above': z_bi > select_i                    (ReLU: select = 0; JumpReLU: select = theta - eps,
 *                                                  which holds the active latents and the whole
 *                                                  kernel window |z - theta| < eps/2)
 *     'batch': z_bi among the `keep` largest positive entries of the whole batch, ties to the
 *              lower flat index                  (BatchTopK, Bussmann et al. 2024, arXiv:2412.06410)
 *
 * Rows hold different numbers of selected entries, so the code is padded to K = the largest
 * count (at least 1): row b lists its selected latents in increasing order, then padding
 * (pre-activation 0, index 0, valid 0). `validBK` marks the real entries; an activation applied
 * to the code must multiply by it. `countAboveB[b]` = #{i: z_bi > count_i} counts in the same pass
 * (JumpReLU's L0 with count = theta; BatchTopK's inference L0 with count = its threshold).
 *
 * Gradient: dz reaches x, W_enc, b_enc and b_dec only through the valid selected entries, exactly
 * the dense gradient whenever the activation's derivative vanishes off the selection (it does
 * for all three rules' activations). The reference computes z densely and gathers (autodiff
 * through the dense matmul); kernels/sparse-encode/cpu.ts backpropagates through the entries only.
 */
import * as tf from '@tensorflow/tfjs';
import { gatherRows, stopGradient } from '../../src/base/autodiff';
import { InputError } from '../../src/base/errors';
import { checkEncoderArgs, checkFloat1D } from '../shared/checks';

/** Which entries of z a sparse encode keeps. */
export type SelectRule = { kind: 'above'; selectN: tf.Tensor1D } | { kind: 'batch'; keep: number };

/** The selected pre-activations of a sparse encode (the caller disposes every tensor). */
export interface SelectedCode {
  /** z at the selected entries [B,K], 0 at padding. Differentiable. */
  preActsBK: tf.Tensor2D;
  /** Their latent indices [B,K] int32 (0 at padding). */
  indicesBK: tf.Tensor2D;
  /** 1 at real entries, 0 at padding [B,K]. */
  validBK: tf.Tensor2D;
  /** Per row, #{i: z_bi > count_i} [B] (float32). */
  countAboveB: tf.Tensor1D;
}

/** Shared argument checks (reference and kernel). */
export function checkSparseEncodeArgs(
  xBD: tf.Tensor2D,
  wEncDN: tf.Tensor2D,
  bEncN: tf.Tensor1D,
  bDecD: tf.Tensor1D,
  rule: SelectRule,
  countN: tf.Tensor1D,
): void {
  checkEncoderArgs(xBD, wEncDN, bEncN, bDecD);
  const n = wEncDN.shape[1];
  checkFloat1D('countN', countN, n);
  if (rule === null || typeof rule !== 'object')
    throw new InputError('rule', "must be { kind: 'above' | 'batch', ... }");
  if (rule.kind === 'above') checkFloat1D('rule.selectN', rule.selectN, n);
  else if (rule.kind === 'batch') {
    const max = xBD.shape[0] * n;
    if (!Number.isInteger(rule.keep) || rule.keep < 1 || rule.keep > max)
      throw new InputError('rule.keep', `must be an integer in [1, ${max}], got ${rule.keep}`);
  } else
    throw new InputError('rule.kind', `must be 'above' or 'batch', got ${String((rule as { kind: unknown }).kind)}`);
}

/**
 * Which flat entries of z [b,n] a rule selects: 1 per selected entry, in a mask of b*n bytes.
 * 'batch' ranks the positive entries by (value descending, flat index ascending) and keeps `keep`.
 */
function selectedMask(
  z: ArrayLike<number>,
  b: number,
  n: number,
  rule: 'above' | 'batch',
  selectOrKeep: ArrayLike<number> | number,
): Uint8Array {
  const mask = new Uint8Array(b * n);
  if (rule === 'above') {
    const select = selectOrKeep as ArrayLike<number>;
    for (let r = 0; r < b; r++) for (let i = 0; i < n; i++) if (z[r * n + i] > select[i]) mask[r * n + i] = 1;
    return mask;
  }
  const order: number[] = [];
  for (let f = 0; f < b * n; f++) if (z[f] > 0) order.push(f);
  order.sort((p, q) => z[q] - z[p] || p - q);
  for (const f of order.slice(0, selectOrKeep as number)) mask[f] = 1;
  return mask;
}

/**
 * z at the entries `rule` selects, padded per row (see the file comment); dense autodiff.
 * @param xBD [B,D]  @param wEncDN [D,N]  @param bEncN [N]  @param bDecD [D]  @param countN [N]
 */
export function sparseEncodeReference(
  xBD: tf.Tensor2D,
  wEncDN: tf.Tensor2D,
  bEncN: tf.Tensor1D,
  bDecD: tf.Tensor1D,
  rule: SelectRule,
  countN: tf.Tensor1D,
): SelectedCode {
  checkSparseEncodeArgs(xBD, wEncDN, bEncN, bDecD, rule, countN);
  const [b, n] = [xBD.shape[0], wEncDN.shape[1]];
  return tf.tidy(() => {
    const zBN = tf.matMul(xBD.sub(bDecD), wEncDN).add(bEncN) as tf.Tensor2D;
    const z = zBN.dataSync();
    const mask = selectedMask(z, b, n, rule.kind, rule.kind === 'above' ? rule.selectN.dataSync() : rule.keep);
    const rows: number[][] = [];
    for (let r = 0; r < b; r++) rows.push([...Array(n).keys()].filter((i) => mask[r * n + i] === 1));
    const k = Math.max(1, ...rows.map((row) => row.length));
    const flat = new Int32Array(b * k);
    const idx = new Int32Array(b * k);
    const valid = new Float32Array(b * k);
    rows.forEach((row, r) =>
      row.forEach((i, j) => {
        flat[r * k + j] = r * n + i;
        idx[r * k + j] = i;
        valid[r * k + j] = 1;
      }),
    );
    const validBK = tf.tensor2d(valid, [b, k]);
    // gather z at the entries (padding gathers z[0] and is zeroed by the mask)
    const gathered = gatherRows(zBN.reshape([b * n, 1]), tf.tensor1d(flat, 'int32')).reshape([b, k]);
    const countN_ = countN.dataSync();
    const above = Float32Array.from({ length: b }, (_, r) => {
      let c = 0;
      for (let i = 0; i < n; i++) if (z[r * n + i] > countN_[i]) c++;
      return c;
    });
    return {
      preActsBK: gathered.mul(validBK) as tf.Tensor2D,
      indicesBK: stopGradient(tf.tensor2d(idx, [b, k], 'int32')),
      validBK,
      countAboveB: tf.tensor1d(above),
    };
  });
}
