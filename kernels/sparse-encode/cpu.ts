/**
 * Sparse encode on cpu and wasm (plain JS over typed arrays); equals reference.ts.
 * Forward: the dense product (x - b_dec) W_enc on the backend's matmul (topk/cpu.ts
 * `encoderProduct`), b_enc added in place, one pass that marks the selected entries and counts
 * them per row, and one that writes the padded code. Selection:
 *   'above': z_bi > select_i;
 *   'batch': the keep largest positive entries: t = the keep-th largest (quickselect over the
 *            entries above a sampled lower bound), every z > t, then entries equal to t in flat
 *            order until `keep` are taken (as batchTopkJs).
 * The backward is the TopK encoder's sparse backward (topk/cpu.ts `topkEncodeGradJs`, gated by
 * the valid mask): O(B K D) instead of two dense [B,D]x[D,N] products.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerJsKernel, runJs } from '../shared/js-kernel';
import { encoderProduct, nthLargest } from '../topk/cpu';

type Arr = ArrayLike<number>;

let maskBuffer: Uint8Array = new Uint8Array(0);

/** Samples drawn (at a fixed stride) to bracket the batch rule's threshold. */
const SAMPLES = 16384;

/**
 * Marks the selected flat entries of z [b,n] (b_enc already added); returns the mask (reused).
 * 'batch' finds t, the keep-th largest positive entry, without sorting every positive one: a
 * strided sample gives t0 with about 2 keep entries above it, only those are copied and
 * quickselected (exact whenever at least `keep` entries exceed t0; otherwise t0 = 0, all positives).
 */
export function selectJs(z: Arr, b: number, n: number, rule: string, select: Arr, keep: number): Uint8Array {
  if (maskBuffer.length < b * n) maskBuffer = new Uint8Array(b * n);
  const mask = maskBuffer.subarray(0, b * n);
  mask.fill(0);
  const size = b * n;
  if (rule === 'above') {
    for (let r = 0; r < b; r++) {
      const base = r * n;
      for (let i = 0; i < n; i++) if (z[base + i] > select[i]) mask[base + i] = 1;
    }
    return mask;
  }
  let t0 = 0;
  if (size > 4 * SAMPLES) {
    const stride = Math.floor(size / SAMPLES);
    const sample = new Float32Array(SAMPLES);
    for (let s = 0; s < SAMPLES; s++) sample[s] = z[s * stride];
    const rank = Math.min(SAMPLES - 1, Math.ceil((2 * keep * SAMPLES) / size) + 8);
    t0 = Math.max(0, nthLargest(sample, rank));
  }
  let cand = collectAbove(z, t0);
  if (cand.length < keep && t0 > 0) {
    t0 = 0;
    cand = collectAbove(z, 0);
  }
  if (cand.length <= keep) {
    // at most `keep` entries above t0: all of them (t0 = 0: every positive entry)
    for (let f = 0; f < size; f++) if (z[f] > t0) mask[f] = 1;
    return mask;
  }
  const t = nthLargest(cand, keep - 1);
  let above = 0;
  for (let p = 0; p < cand.length; p++) if (cand[p] > t) above++;
  let equalLeft = keep - above;
  for (let f = 0; f < size; f++) {
    const v = z[f];
    if (v > t || (v === t && equalLeft-- > 0)) mask[f] = 1;
  }
  return mask;
}

/** The entries of z above t (t >= 0), copied. */
function collectAbove(z: Arr, t: number): Float32Array {
  let count = 0;
  for (let f = 0; f < z.length; f++) if (z[f] > t) count++;
  const out = new Float32Array(count);
  for (let f = 0, p = 0; f < z.length; f++) if (z[f] > t) out[p++] = z[f];
  return out;
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
    // z = product + b_enc, in place: `pre` is this kernel's own intermediate
    for (let r = 0; r < b; r++) for (let i = 0; i < n; i++) z[r * n + i] = Math.fround(z[r * n + i] + be[i]);
    mask = selectJs(z, b, n, rule, sel, keep);
    for (let r = 0; r < b; r++) {
      let c = 0;
      for (let i = r * n, end = i + n; i < end; i++) c += mask[i];
      if (c > k) k = c;
    }
  });
  const outs = runJs(
    backend,
    [pre, count],
    [
      { shape: [b, k], dtype: 'float32' },
      { shape: [b, k], dtype: 'int32' },
      { shape: [b, k], dtype: 'float32' },
      { shape: [b], dtype: 'float32' },
    ],
    ([z, cnt], [values, indices, valid, countAbove]) => {
      values.fill(0);
      indices.fill(0);
      valid.fill(0);
      for (let r = 0; r < b; r++) {
        let j = r * k;
        let above = 0;
        for (let i = 0; i < n; i++) {
          const v = z[r * n + i];
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
