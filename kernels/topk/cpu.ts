/**
 * TopK kernels on cpu and wasm (plain JS over typed arrays); each equals reference.ts.
 * - Selection: per row, a size-k min-heap whose root is the worst kept entry (smaller value, or
 *   equal value and larger index). One comparison rejects most entries: O(N + k log k log N)
 *   per row rather than tf.topk's sort. Output: values descending, ties to the lower index, ReLU'd.
 * - TopK encoder: preActs = (x - b_dec) W_enc via the backend's own BatchMatMul (XNNPACK on
 *   wasm), then the selection with b_enc added on the fly. Its backward is sparse
 *   (Gao et al. 2024, Sec. 4: only the k selected columns of W_enc get gradient per row):
 *     g = dy * 1[v > 0];  dbEnc[idx] += g;  dx[b] = sum_j g_bj W_enc[:, idx_bj];
 *     dW_enc[:, idx_bj] += (x_b - b_dec) g_bj;  db_dec = -sum_b dx[b]          O(B*K*D) + zeroing dW
 *   (on wasm: the sparse decode's SIMD loops on W_enc^T, `topkEncodeGradSimd`).
 * - BatchTopK: a quickselect over the positive entries of the whole batch.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { type Typed, backendKernel, disposeInfo, registerJsKernel, runJs } from '../shared/js-kernel';
import { type SparseDecodeSimd, sortByLatent, sparseDecodeSimd } from '../sparse-decode/wasm';
import { type TopkScanSimd, topkScanSimd } from './wasm';

type Arr = ArrayLike<number>;

/**
 * For each of the b rows of z [b,n] (+ bias[n] if given, rounded to float32 like a tfjs add),
 * writes the k largest as ReLU'd values and their indices (descending, ties to the lower index).
 * With `simd` (the wasm backend; z and bias then lie on its heap) the entries that cannot enter
 * the heap are skipped four at a time by wasm.ts's scan; the result is the same.
 */
export function topkRowsJs(
  z: Arr,
  bias: Arr | null,
  values: Float32Array,
  indices: Int32Array,
  b: number,
  n: number,
  k: number,
  simd: TopkScanSimd | null = null,
): void {
  const hv = new Float64Array(k);
  const hi = new Int32Array(k);
  // worse(x, y): entry x ranks below entry y
  const worse = (x: number, y: number) => hv[x] < hv[y] || (hv[x] === hv[y] && hi[x] > hi[y]);
  const swap = (x: number, y: number) => {
    const tv = hv[x];
    hv[x] = hv[y];
    hv[y] = tv;
    const ti = hi[x];
    hi[x] = hi[y];
    hi[y] = ti;
  };
  const siftDown = (start: number, size: number) => {
    let p = start;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= size) return;
      const c = l + 1 < size && worse(l + 1, l) ? l + 1 : l;
      if (!worse(c, p)) return;
      swap(c, p);
      p = c;
    }
  };
  for (let r = 0; r < b; r++) {
    const base = r * n;
    let size = 0;
    let i = 0;
    for (; i < n && size < k; i++) {
      hv[size] = bias === null ? z[base + i] : Math.fround(z[base + i] + bias[i]);
      hi[size] = i;
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(c, p)) break;
        swap(c, p);
        c = p;
      }
    }
    // The hot loop: one comparison against the worst kept value. An equal value has a larger
    // index than everything kept, so it ranks below the root and is skipped.
    let threshold = hv[0];
    if (simd) {
      const row = (z as Float32Array).byteOffset + base * 4;
      const biasAt = bias === null ? 0 : (bias as Float32Array).byteOffset;
      for (;;) {
        i =
          bias === null ? simd.firstAboveUnbiased(row, i, n, threshold) : simd.firstAbove(row, biasAt, i, n, threshold);
        if (i >= n) break;
        // a chunk of up to four entries, one of which beat the threshold: compare each in order
        for (const end = Math.min(i + 4, n); i < end; i++) {
          const v = bias === null ? z[base + i] : Math.fround(z[base + i] + bias[i]);
          if (v > threshold) {
            hv[0] = v;
            hi[0] = i;
            siftDown(0, k);
            threshold = hv[0];
          }
        }
      }
    } else if (bias === null) {
      for (; i < n; i++) {
        const v = z[base + i];
        if (v > threshold) {
          hv[0] = v;
          hi[0] = i;
          siftDown(0, k);
          threshold = hv[0];
        }
      }
    } else {
      for (; i < n; i++) {
        const v = Math.fround(z[base + i] + bias[i]);
        if (v > threshold) {
          hv[0] = v;
          hi[0] = i;
          siftDown(0, k);
          threshold = hv[0];
        }
      }
    }
    // Pop the worst first into the last slot: descending order.
    for (let t = k - 1; t >= 0; t--) {
      values[r * k + t] = Math.max(hv[0], 0);
      indices[r * k + t] = hi[0];
      swap(0, t);
      siftDown(0, t);
    }
  }
}

/** Dense [b,n] gradient of the TopK values: dy where the kept value is > 0, zero elsewhere. */
export function topkGradJs(
  dy: Arr,
  values: Arr,
  indices: Arr,
  out: Float32Array,
  b: number,
  n: number,
  k: number,
): void {
  out.fill(0);
  for (let r = 0; r < b; r++)
    for (let j = 0; j < k; j++) {
      if (values[r * k + j] > 0) out[r * n + indices[r * k + j]] = dy[r * k + j];
    }
}

/** The sparse backward of the TopK encoder (see the file comment); writes every output. */
export function topkEncodeGradJs(
  dy: Arr,
  values: Arr,
  indices: Arr,
  x: Arr,
  w: Arr,
  bDec: Arr,
  dx: Float32Array,
  dw: Float32Array,
  dbEnc: Float32Array,
  dbDec: Float32Array,
  b: number,
  d: number,
  n: number,
  k: number,
): void {
  const g = new Float32Array(b * k);
  for (let i = 0; i < b * k; i++) g[i] = values[i] > 0 ? dy[i] : 0;
  dbEnc.fill(0);
  for (let i = 0; i < b * k; i++) dbEnc[indices[i]] += g[i];
  // centred inputs, transposed [D,B] so the loops below read them in order
  const xcT = new Float32Array(d * b);
  for (let r = 0; r < b; r++) for (let c = 0; c < d; c++) xcT[c * b + r] = x[r * d + c] - bDec[c];
  dw.fill(0);
  for (let c = 0; c < d; c++) {
    const row = c * n; // W_enc[c, :] and dW_enc[c, :]
    let colSum = 0;
    for (let r = 0; r < b; r++) {
      const xv = xcT[c * b + r];
      let s = 0;
      for (let j = r * k, end = r * k + k; j < end; j++) {
        const gj = g[j];
        if (gj === 0) continue;
        const col = row + indices[j];
        s += gj * w[col];
        dw[col] += xv * gj;
      }
      dx[r * d + c] = s;
      colSum += s;
    }
    dbDec[c] = -colSum;
  }
}

/** BatchTopK: keeps the `keep` largest entries of ReLU(z) over all of z (ties to the lower flat index). */
export function batchTopkJs(z: Arr, out: Float32Array, keep: number): void {
  const size = z.length;
  let positives = 0;
  for (let i = 0; i < size; i++) if (z[i] > 0) positives++;
  if (positives <= keep) {
    for (let i = 0; i < size; i++) out[i] = Math.max(z[i], 0);
    return;
  }
  const cand = new Float32Array(positives);
  for (let i = 0, p = 0; i < size; i++) if (z[i] > 0) cand[p++] = z[i];
  const t = nthLargest(cand, keep - 1);
  let above = 0;
  for (let i = 0; i < positives; i++) if (cand[i] > t) above++;
  let equalLeft = keep - above;
  for (let i = 0; i < size; i++) {
    const v = z[i];
    if (v > t) out[i] = v;
    else if (v === t && equalLeft > 0) {
      out[i] = v;
      equalLeft--;
    } else out[i] = 0;
  }
}

/** The element of rank m (0 = largest) of a, by quickselect (reorders a). */
export function nthLargest(a: Float32Array, m: number): number {
  let lo = 0,
    hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three as the pivot
    const x = a[lo],
      y = a[mid],
      zz = a[hi];
    const pivot = x > y ? (y > zz ? y : Math.min(x, zz)) : x > zz ? x : Math.min(y, zz);
    let i = lo,
      j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (m <= j) hi = j;
    else if (m >= i) lo = i;
    else return a[m];
  }
  return a[m];
}

registerJsKernel(K.topk, ({ inputs, backend, attrs }) => {
  const { x } = inputs as Record<string, tf.TensorInfo>;
  const k = (attrs as { k: number }).k;
  const [b, n] = x.shape;
  return runJs(
    backend,
    [x],
    [
      { shape: [b, k], dtype: 'float32' },
      { shape: [b, k], dtype: 'int32' },
    ],
    ([z], [v, idx]) => topkRowsJs(z, null, v as Float32Array, idx as Int32Array, b, n, k, topkScanSimd(backend)),
  );
});

registerJsKernel(K.topkGrad, ({ inputs, backend, attrs }) => {
  const { dy, values, indices } = inputs as Record<string, tf.TensorInfo>;
  const n = (attrs as { n: number }).n;
  const [b, k] = values.shape;
  return runJs(backend, [dy, values, indices], [{ shape: [b, n], dtype: 'float32' }], ([g, v, idx], [out]) =>
    topkGradJs(g, v, idx, out as Float32Array, b, n, k),
  )[0];
});

/**
 * The encoder's dense product (x - b_dec) W_enc [B,N] (without b_enc) on the backend's own
 * BatchMatMul (XNNPACK on wasm); shared with kernels/sparse-encode. The caller disposes it.
 */
export function encoderProduct(
  backend: unknown,
  x: tf.TensorInfo,
  wEnc: tf.TensorInfo,
  bDec: tf.TensorInfo,
  kernelName: string,
): tf.TensorInfo {
  const [b, d] = x.shape;
  const matMul = backendKernel(backend, 'BatchMatMul', kernelName);
  const [xc] = runJs(backend, [x, bDec], [{ shape: [b, d], dtype: 'float32' }], ([xs, bd], [out]) => {
    for (let r = 0; r < b; r++) for (let c = 0; c < d; c++) out[r * d + c] = xs[r * d + c] - bd[c];
  });
  const pre = matMul({
    inputs: { a: xc, b: wEnc },
    backend: backend as tf.KernelBackend,
    attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
  disposeInfo(backend, xc);
  return pre;
}

registerJsKernel(K.topkEncode, ({ inputs, backend, attrs }) => {
  const { x, wEnc, bEnc, bDec } = inputs as Record<string, tf.TensorInfo>;
  const k = (attrs as { k: number }).k;
  const b = x.shape[0];
  const n = wEnc.shape[1];
  const pre = encoderProduct(backend, x, wEnc, bDec, K.topkEncode);
  const outs = runJs(
    backend,
    [pre, bEnc],
    [
      { shape: [b, k], dtype: 'float32' },
      { shape: [b, k], dtype: 'int32' },
    ],
    ([z, be], [v, idx]) => topkRowsJs(z, be, v as Float32Array, idx as Int32Array, b, n, k, topkScanSimd(backend)),
  );
  disposeInfo(backend, pre);
  return outs;
});

/**
 * The same backward on wasm, as a sparse decode on W_enc^T [N,D] (sparse-decode/wasm.ts's SIMD
 * loops): dx[b] = sum_j g_bj W_enc^T[idx_bj] is its forward with values g, and
 * dW_enc^T[idx_bj] += g_bj (x_b - b_dec) the weight gradient of its backward with dy = x - b_dec.
 * W_enc is transposed in and dW_enc^T out by the backend's own Transpose.
 */
function topkEncodeGradSimd(
  backend: unknown,
  simd: SparseDecodeSimd,
  { dy, values, indices, x, wEnc, bDec }: Record<string, tf.TensorInfo>,
  member = 0,
): tf.TensorInfo[] {
  const [b, d] = x.shape;
  const [, n] = wEnc.shape;
  const k = values.shape[1];
  const block = (a: Typed) => (a as Float32Array).subarray(member * b * k, (member + 1) * b * k); // this member's code
  const transpose = backendKernel(backend, 'Transpose', K.topkEncodeGrad);
  const flip = (t: tf.TensorInfo) =>
    transpose({
      inputs: { x: t },
      backend: backend as tf.KernelBackend,
      attrs: { perm: [1, 0] },
    }) as tf.TensorInfo;
  const wT = flip(wEnc);
  const f32 = (shape: number[]) => ({ shape, dtype: 'float32' as const });
  const [dx, dwT, dbEnc, dbDec, ...scratch] = runJs(
    backend,
    [dy, values, indices, x, bDec, wT],
    [
      f32([b, d]),
      f32([n, d]),
      f32([n]),
      f32([d]),
      f32([b, k]),
      f32([b, d]),
      f32([d]),
      f32([b, k]),
      { shape: [n + 1 + b * k], dtype: 'int32' },
    ],
    ([gyAll, gateAll, idxAll, xs, bd, wt], [dxs, dwt, dbe, dbd, g, xc, zero, dv, sort]) => {
      const [gy, gate, idx] = [block(gyAll), block(gateAll), block(idxAll) as unknown as Int32Array];
      dbe.fill(0);
      for (let i = 0; i < b * k; i++) {
        g[i] = gate[i] > 0 ? gy[i] : 0;
        dbe[idx[i]] += g[i];
      }
      for (let r = 0; r < b; r++) for (let c = 0; c < d; c++) xc[r * d + c] = xs[r * d + c] - bd[c];
      zero.fill(0);
      const starts = (sort as Int32Array).subarray(0, n + 1);
      const entries = (sort as Int32Array).subarray(n + 1);
      sortByLatent(idx, n, starts, entries, gate); // gated-off entries add nothing: skip them
      const [e, s] = [entries.byteOffset, starts.byteOffset];
      simd.decode(g.byteOffset, wt.byteOffset, zero.byteOffset, dxs.byteOffset, e, s, b, k, d, n);
      simd.grad(xc.byteOffset, g.byteOffset, wt.byteOffset, dv.byteOffset, dwt.byteOffset, e, s, k, d, n);
      dbd.fill(0);
      for (let r = 0; r < b; r++) for (let c = 0; c < d; c++) dbd[c] -= dxs[r * d + c];
    },
  );
  const dw = flip(dwT);
  for (const t of [wT, dwT, ...scratch]) disposeInfo(backend, t);
  return [dx, dw, dbEnc, dbDec];
}

/** The encoder's sparse backward for one member's block of a code (rows member*B ...; 0: the whole code). */
function topkEncodeGrad(backend: unknown, inputs: Record<string, tf.TensorInfo>, member = 0): tf.TensorInfo[] {
  const { dy, values, indices, x, wEnc, bDec } = inputs;
  const [b, d] = x.shape;
  const [, n] = wEnc.shape;
  const k = values.shape[1];
  const simd = sparseDecodeSimd(backend);
  if (simd) return topkEncodeGradSimd(backend, simd, inputs, member);
  const block = (a: Typed) => a.subarray(member * b * k, (member + 1) * b * k);
  return runJs(
    backend,
    [dy, values, indices, x, wEnc, bDec],
    [
      { shape: [b, d], dtype: 'float32' },
      { shape: [d, n], dtype: 'float32' },
      { shape: [n], dtype: 'float32' },
      { shape: [d], dtype: 'float32' },
    ],
    ([g, v, idx, xs, w, bd], [dx, dw, dbe, dbd]) =>
      topkEncodeGradJs(
        block(g),
        block(v),
        block(idx),
        xs,
        w,
        bd,
        dx as Float32Array,
        dw as Float32Array,
        dbe as Float32Array,
        dbd as Float32Array,
        b,
        d,
        n,
        k,
      ),
  );
}

registerJsKernel(K.topkEncodeGrad, ({ inputs, backend }) =>
  topkEncodeGrad(backend, inputs as Record<string, tf.TensorInfo>),
);

/**
 * A stack of S TopK encoders reading one batch (index.ts `topkEncodeStack`), in one kernel call:
 * inputs [x, W_enc0, b_enc0, b_dec0, W_enc1, ...], outputs values and indices [S*B, K] whose rows
 * m*B ... m*B + B - 1 are member m's code, computed exactly as the single encoder above computes it
 * on that member's weights (its own product and selection), padded with zero entries (value 0,
 * latent 0) to K = max ks.
 */
registerJsKernel(K.topkEncodeStack, ({ inputs, backend, attrs }) => {
  const [x, ...weights] = Object.values(inputs) as tf.TensorInfo[];
  const ks = (attrs as { ks: number[] }).ks;
  const b = x.shape[0];
  const n = weights[0].shape[1];
  const kMax = Math.max(...ks);
  const products = ks.map((_, m) => encoderProduct(backend, x, weights[3 * m], weights[3 * m + 2], K.topkEncodeStack));
  const biases = ks.map((_, m) => weights[3 * m + 1]);
  const outs = runJs(
    backend,
    [...products, ...biases],
    [
      { shape: [ks.length * b, kMax], dtype: 'float32' },
      { shape: [ks.length * b, kMax], dtype: 'int32' },
    ],
    (ins, [v, idx]) => {
      const simd = topkScanSimd(backend);
      for (const [m, k] of ks.entries()) {
        const [vm, im] = [v.subarray(m * b * kMax, (m + 1) * b * kMax), idx.subarray(m * b * kMax, (m + 1) * b * kMax)];
        if (k === kMax) {
          topkRowsJs(ins[m], ins[ks.length + m], vm as Float32Array, im as Int32Array, b, n, k, simd);
          continue;
        }
        const [vk, ik] = [new Float32Array(b * k), new Int32Array(b * k)];
        topkRowsJs(ins[m], ins[ks.length + m], vk, ik, b, n, k, simd);
        vm.fill(0);
        im.fill(0);
        for (let r = 0; r < b; r++) {
          vm.set(vk.subarray(r * k, r * k + k), r * kMax);
          im.set(ik.subarray(r * k, r * k + k), r * kMax);
        }
      }
    },
  );
  for (const p of products) disposeInfo(backend, p);
  return outs;
});

/**
 * The stack's backward in one kernel call: inputs [dy, values, indices, x, W_enc0, b_dec0, W_enc1, ...],
 * outputs [dx, dW_enc0, db_enc0, db_dec0, dW_enc1, ...]: member m's gradients are the single
 * encoder's backward on its block of the code, dx their sum over the members.
 */
registerJsKernel(K.topkEncodeStackGrad, ({ inputs, backend }) => {
  const [dy, values, indices, x, ...weights] = Object.values(inputs) as tf.TensorInfo[];
  const perMember: tf.TensorInfo[][] = [];
  for (let m = 0; m < weights.length / 2; m++) {
    const [wEnc, bDec] = [weights[2 * m], weights[2 * m + 1]];
    perMember.push(topkEncodeGrad(backend, { dy, values, indices, x, wEnc, bDec }, m));
  }
  const dxs = perMember.map(([dx]) => dx);
  const [dx] = runJs(backend, dxs, [{ shape: x.shape, dtype: 'float32' }], (ins, [out]) => {
    out.set(ins[0]);
    for (const t of ins.slice(1)) for (let i = 0; i < out.length; i++) out[i] += t[i];
  });
  for (const t of dxs) disposeInfo(backend, t);
  return [dx, ...perMember.flatMap(([, dW, dbEnc, dbDec]) => [dW, dbEnc, dbDec])];
});

registerJsKernel(K.batchTopk, ({ inputs, backend, attrs }) => {
  const { x } = inputs as Record<string, tf.TensorInfo>;
  const keep = (attrs as { keep: number }).keep;
  return runJs(backend, [x], [{ shape: x.shape, dtype: 'float32' }], ([z], [out]) =>
    batchTopkJs(z, out as Float32Array, keep),
  )[0];
});
