/**
 * Sparse encode on cpu and wasm (plain JS over typed arrays); equals reference.ts.
 * Forward: the dense product (x - b_dec) W_enc on the backend's matmul (topk/cpu.ts
 * `encoderProduct`), then one pass over z = product + b_enc that marks the selected entries and
 * counts them per row, and one that writes the padded code. Selection:
 *   'above': z_bi > select_i;
 *   'batch': the keep largest positive entries: t = the keep-th largest (quickselect), every
 *            z > t, then entries equal to t in flat order until `keep` are taken (as batchTopkJs).
 * The backward is the TopK encoder's sparse backward (topk/cpu.ts `topkEncodeGradJs`, gated by
 * the valid mask): O(B K D) instead of two dense [B,D]x[D,N] products.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerJsKernel, runJs } from '../shared/js-kernel';
import { encoderProduct, nthLargest } from '../topk/cpu';

type Arr = ArrayLike<number>;

let maskBuffer: Uint8Array = new Uint8Array(0);

/** Marks the selected flat entries of z = pre + bias (float32 sums, like a tfjs add); returns the mask. */
export function selectJs(
  pre: Arr,
  bias: Arr,
  b: number,
  n: number,
  rule: string,
  select: Arr,
  keep: number,
): Uint8Array {
  if (maskBuffer.length < b * n) maskBuffer = new Uint8Array(b * n);
  const mask = maskBuffer.subarray(0, b * n);
  mask.fill(0);
  if (rule === 'above') {
    for (let r = 0; r < b; r++) {
      const base = r * n;
      for (let i = 0; i < n; i++) if (Math.fround(pre[base + i] + bias[i]) > select[i]) mask[base + i] = 1;
    }
    return mask;
  }
  let positives = 0;
  for (let r = 0; r < b; r++) for (let i = 0; i < n; i++) if (Math.fround(pre[r * n + i] + bias[i]) > 0) positives++;
  const cand = new Float32Array(positives);
  for (let r = 0, p = 0; r < b; r++)
    for (let i = 0; i < n; i++) {
      const v = Math.fround(pre[r * n + i] + bias[i]);
      if (v > 0) cand[p++] = v;
    }
  if (positives <= keep) {
    for (let f = 0; f < b * n; f++) if (Math.fround(pre[f] + bias[f % n]) > 0) mask[f] = 1;
    return mask;
  }
  const t = nthLargest(cand, keep - 1);
  let above = 0;
  for (let p = 0; p < positives; p++) if (cand[p] > t) above++;
  let equalLeft = keep - above;
  for (let r = 0; r < b; r++)
    for (let i = 0; i < n; i++) {
      const v = Math.fround(pre[r * n + i] + bias[i]);
      if (v > t || (v === t && equalLeft-- > 0)) mask[r * n + i] = 1;
    }
  return mask;
}

registerJsKernel(K.sparseEncode, ({ inputs, backend, attrs }) => {
  const { x, wEnc, bEnc, bDec, select, count } = inputs as Record<string, tf.TensorInfo>;
  const { rule, keep } = attrs as unknown as { rule: 'above' | 'batch'; keep: number };
  const b = x.shape[0];
  const n = wEnc.shape[1];
  const pre = encoderProduct(backend, x, wEnc, bDec, K.sparseEncode);
  let mask: Uint8Array = new Uint8Array(0);
  let k = 1;
  runJs(backend, [pre, bEnc, select], [], ([z, be, sel]) => {
    mask = selectJs(z, be, b, n, rule, sel, keep);
    for (let r = 0; r < b; r++) {
      let c = 0;
      for (let i = r * n, end = i + n; i < end; i++) c += mask[i];
      if (c > k) k = c;
    }
  });
  const outs = runJs(
    backend,
    [pre, bEnc, count],
    [
      { shape: [b, k], dtype: 'float32' },
      { shape: [b, k], dtype: 'int32' },
      { shape: [b, k], dtype: 'float32' },
      { shape: [b], dtype: 'float32' },
    ],
    ([z, be, cnt], [values, indices, valid, countAbove]) => {
      values.fill(0);
      indices.fill(0);
      valid.fill(0);
      for (let r = 0; r < b; r++) {
        let j = r * k;
        let above = 0;
        for (let i = 0; i < n; i++) {
          const v = Math.fround(z[r * n + i] + be[i]);
          if (v > cnt[i]) above++;
          if (mask[r * n + i] === 1) {
            values[j] = v;
            indices[j] = i;
            valid[j] = 1;
            j++;
          }
        }
        countAbove[r] = above;
      }
    },
  );
  (backend as unknown as { disposeData(id: tf.DataId): void }).disposeData(pre.dataId);
  return outs;
});
