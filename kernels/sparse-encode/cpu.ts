/**
 * Sparse encode on cpu and wasm (plain JS over typed arrays); equals reference.ts.
 * Forward: the dense product (x - b_dec) W_enc on the backend's matmul (topk/cpu.ts
 * `encoderProduct`), then two passes over z: b_enc added in place while counting the selected
 * entries per row (and, for the batch rule, collecting its candidates), and one that writes the
 * padded code. Selection:
 *   'above': z_bi > select_i;
 *   'batch': the keep largest positive entries: t = the keep-th largest (quickselect over the
 *            entries above a sampled lower bound), every z > t, then entries equal to t in flat
 *            order until `keep` are taken (as batchTopkJs).
 * The backward is the TopK encoder's sparse backward (topk/cpu.ts `topkEncodeGradJs`, gated by
 * the valid mask): O(B K D) instead of two dense [B,D]x[D,N] products.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { disposeInfo, registerJsKernel, runJs } from '../shared/js-kernel';
import { encoderProduct, nthLargest } from '../topk/cpu';

type Arr = ArrayLike<number>;

/** Samples drawn (at a fixed stride) to bracket the batch rule's threshold. */
const SAMPLES = 16384;

/** The batch rule's cut: keep every z > t, and the first `equalKeep` entries equal to t in flat order. */
interface BatchCut {
  t: number;
  equalKeep: number;
}

/**
 * Adds b_enc to z [b,n] in place and finds the batch rule's cut: t, the keep-th largest positive
 * entry, found without sorting every positive one: a strided sample gives t0 with about 2 keep
 * entries above it, only those are copied and quickselected (exact whenever at least `keep`
 * entries exceed t0; otherwise t0 = 0 and all positives are candidates).
 */
export function addBiasAndCut(
  z: Arr & { [i: number]: number },
  bias: Arr,
  b: number,
  n: number,
  keep: number,
): BatchCut {
  const size = b * n;
  let t0 = 0;
  if (size > 4 * SAMPLES) {
    const stride = Math.floor(size / SAMPLES);
    const sample = new Float32Array(SAMPLES);
    for (let s = 0; s < SAMPLES; s++) sample[s] = Math.fround(z[s * stride] + bias[(s * stride) % n]);
    const rank = Math.min(SAMPLES - 1, Math.ceil((2 * keep * SAMPLES) / size) + 8);
    t0 = Math.max(0, nthLargest(sample, rank));
  }
  let cand: number[] = [];
  for (let r = 0; r < b; r++)
    for (let i = 0, f = r * n; i < n; i++, f++) {
      const v = Math.fround(z[f] + bias[i]);
      z[f] = v;
      if (v > t0) cand.push(v);
    }
  if (cand.length < keep && t0 > 0) {
    t0 = 0;
    cand = [];
    for (let f = 0; f < size; f++) if (z[f] > 0) cand.push(z[f]);
  }
  // at most `keep` entries above t0: all of them (t0 = 0: every positive entry)
  if (cand.length <= keep) return { t: t0, equalKeep: 0 };
  const values = Float32Array.from(cand);
  const t = nthLargest(values, keep - 1);
  let above = 0;
  for (let p = 0; p < values.length; p++) if (values[p] > t) above++;
  return { t, equalKeep: keep - above };
}

registerJsKernel(K.sparseEncode, ({ inputs, backend, attrs }) => {
  const { x, wEnc, bEnc, bDec, select, count } = inputs as Record<string, tf.TensorInfo>;
  const { rule, keep } = attrs as unknown as { rule: 'above' | 'batch'; keep: number };
  const b = x.shape[0];
  const n = wEnc.shape[1];
  const pre = encoderProduct(backend, x, wEnc, bDec, K.sparseEncode);
  // Pass 1: b_enc in place (`pre` is this kernel's own intermediate), the rule's cut, and the
  // widest row K. Pass 2 writes the padded code; both walk z in flat order, so ties agree.
  let cut: BatchCut = { t: 0, equalKeep: 0 };
  let k = 1;
  runJs(backend, [pre, bEnc, select], [], ([z, be, sel]) => {
    if (rule === 'batch') cut = addBiasAndCut(z, be, b, n, keep);
    let equalLeft = cut.equalKeep;
    for (let r = 0; r < b; r++) {
      let c = 0;
      if (rule === 'above') {
        for (let i = 0, f = r * n; i < n; i++, f++) {
          const v = Math.fround(z[f] + be[i]);
          z[f] = v;
          if (v > sel[i]) c++;
        }
      } else {
        for (let f = r * n, end = f + n; f < end; f++) {
          const v = z[f];
          if (v > cut.t || (v === cut.t && v > 0 && equalLeft-- > 0)) c++;
        }
      }
      if (c > k) k = c;
    }
  });
  const outs = runJs(
    backend,
    [pre, select, count],
    [
      { shape: [b, k], dtype: 'float32' },
      { shape: [b, k], dtype: 'int32' },
      { shape: [b, k], dtype: 'float32' },
      { shape: [b], dtype: 'float32' },
    ],
    ([z, sel, cnt], [values, indices, valid, countAbove]) => {
      values.fill(0);
      indices.fill(0);
      valid.fill(0);
      let equalLeft = cut.equalKeep;
      for (let r = 0; r < b; r++) {
        let j = r * k;
        let above = 0;
        for (let i = 0, f = r * n; i < n; i++, f++) {
          const v = z[f];
          if (v > cnt[i]) above++;
          const selected = rule === 'above' ? v > sel[i] : v > cut.t || (v === cut.t && v > 0 && equalLeft-- > 0);
          if (selected) {
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
  disposeInfo(backend, pre);
  return outs;
});
