/**
 * Sparse decode on cpu and wasm (plain JS over typed arrays); equals reference.ts.
 *   forward:  xhat[b] = b_dec + sum_j v[b,j] W[idx[b,j], :]                O(B*K*D)
 *   backward: dv[b,j] = <dy[b], W[idx[b,j]]>,  dW[idx[b,j]] += v[b,j] dy[b]  O(B*K*D) + zeroing dW
 * (the scatter-add touches only the rows in the code; the dense decode's backward is two
 * [B,N]x[N,D]-sized matmuls). This is the eager decode of OpenAI's Triton kernels, in JS.
 * On the wasm backend the same loops run as WebAssembly SIMD on tfjs's heap (wasm.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { type Typed, backendKernel, disposeInfo, registerJsKernel, runJs } from '../shared/js-kernel';
import { sortByLatent, sparseDecodeSimd } from './wasm';

/**
 * xhat [B,D] from values [B,K], indices [B,K], wDec [N,D], bDec [D]. Four code entries per pass
 * over the output row (a quarter of the loads and stores of one entry at a time; V8 does not vectorise).
 */
export function sparseDecodeJs(
  v: Float32Array,
  idx: Int32Array,
  w: Float32Array,
  bDec: Float32Array,
  out: Float32Array,
  b: number,
  k: number,
  d: number,
): void {
  for (let r = 0; r < b; r++) {
    const o = r * d;
    for (let c = 0; c < d; c++) out[o + c] = bDec[c];
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const p = r * k + j;
      const v0 = v[p],
        v1 = v[p + 1],
        v2 = v[p + 2],
        v3 = v[p + 3];
      const r0 = idx[p] * d,
        r1 = idx[p + 1] * d,
        r2 = idx[p + 2] * d,
        r3 = idx[p + 3] * d;
      for (let c = 0; c < d; c++) out[o + c] += v0 * w[r0 + c] + v1 * w[r1 + c] + v2 * w[r2 + c] + v3 * w[r3 + c];
    }
    for (; j < k; j++) {
      const p = r * k + j;
      const v0 = v[p],
        r0 = idx[p] * d;
      for (let c = 0; c < d; c++) out[o + c] += v0 * w[r0 + c];
    }
  }
}

/** dValues [B,K] and dW [N,D] (zeroed, then scatter-added) from dy [B,D]; four code entries per pass. */
export function sparseDecodeGradJs(
  dy: Float32Array,
  v: Float32Array,
  idx: Int32Array,
  w: Float32Array,
  dv: Float32Array,
  dw: Float32Array,
  b: number,
  k: number,
  d: number,
): void {
  dw.fill(0);
  for (let r = 0; r < b; r++) {
    const o = r * d;
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const p = r * k + j;
      const v0 = v[p],
        v1 = v[p + 1],
        v2 = v[p + 2],
        v3 = v[p + 3];
      const r0 = idx[p] * d,
        r1 = idx[p + 1] * d,
        r2 = idx[p + 2] * d,
        r3 = idx[p + 3] * d;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let c = 0; c < d; c++) {
        const g = dy[o + c];
        s0 += g * w[r0 + c];
        s1 += g * w[r1 + c];
        s2 += g * w[r2 + c];
        s3 += g * w[r3 + c];
        dw[r0 + c] += v0 * g;
        dw[r1 + c] += v1 * g;
        dw[r2 + c] += v2 * g;
        dw[r3 + c] += v3 * g;
      }
      dv[p] = s0;
      dv[p + 1] = s1;
      dv[p + 2] = s2;
      dv[p + 3] = s3;
    }
    for (; j < k; j++) {
      const p = r * k + j;
      const v0 = v[p],
        r0 = idx[p] * d;
      let s0 = 0;
      for (let c = 0; c < d; c++) {
        const g = dy[o + c];
        s0 += g * w[r0 + c];
        dw[r0 + c] += v0 * g;
      }
      dv[p] = s0;
    }
  }
}

/**
 * On wasm: the SIMD loops of wasm.ts over tfjs's heap, with a scratch int32 [N+1+B*K] for the sort by
 * latent; `gateInput` names an input whose zero entries are left out of the sort.
 */
function runSimd(
  backend: unknown,
  inputs: tf.TensorInfo[],
  outputs: { shape: number[]; dtype: 'float32' }[],
  indices: tf.TensorInfo,
  n: number,
  compute: (ins: Float32Array[], outs: Float32Array[], entries: number, starts: number) => void,
  gateInput?: number,
): tf.TensorInfo[] {
  const m = indices.shape[0] * indices.shape[1];
  const infos = runJs(
    backend,
    [...inputs, indices],
    [...outputs, { shape: [n + 1 + m], dtype: 'int32' }],
    (ins, outs) => {
      const scratch = outs[outs.length - 1] as Int32Array;
      const starts = scratch.subarray(0, n + 1);
      const entries = scratch.subarray(n + 1);
      const gate = gateInput === undefined ? undefined : ins[gateInput];
      sortByLatent(ins[ins.length - 1] as Int32Array, n, starts, entries, gate);
      compute(ins as Float32Array[], outs as Float32Array[], entries.byteOffset, starts.byteOffset);
    },
  );
  const scratch = infos.pop() as tf.TensorInfo;
  disposeInfo(backend, scratch);
  return infos;
}

registerJsKernel(K.sparseDecode, ({ inputs, backend }) => {
  const { values, indices, wDec, bDec } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const [n, d] = wDec.shape;
  const simd = sparseDecodeSimd(backend);
  if (simd)
    return runSimd(
      backend,
      [values, wDec, bDec],
      [{ shape: [b, d], dtype: 'float32' }],
      indices,
      n,
      ([v, w, bd], [out], entries, starts) =>
        simd.decode(v.byteOffset, w.byteOffset, bd.byteOffset, out.byteOffset, entries, starts, b, k, d, n),
      0, // zero values add nothing (a padded code's padding): skip them
    )[0];
  return runJs(
    backend,
    [values, indices, wDec, bDec],
    [{ shape: [b, d], dtype: 'float32' }],
    ([v, idx, w, bd], [out]) =>
      sparseDecodeJs(
        v as Float32Array,
        idx as Int32Array,
        w as Float32Array,
        bd as Float32Array,
        out as Float32Array,
        b,
        k,
        d,
      ),
  )[0];
});

registerJsKernel(K.sparseDecodeGrad, ({ inputs, backend }) => {
  const { dy, values, indices, wDec } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const [n, d] = wDec.shape;
  const simd = sparseDecodeSimd(backend);
  const outputs: { shape: number[]; dtype: 'float32' }[] = [
    { shape: [b, k], dtype: 'float32' },
    { shape: [n, d], dtype: 'float32' },
  ];
  if (simd)
    return runSimd(backend, [dy, values, wDec], outputs, indices, n, ([g, v, w], [dv, dw], entries, starts) =>
      simd.grad(g.byteOffset, v.byteOffset, w.byteOffset, dv.byteOffset, dw.byteOffset, entries, starts, k, d, n),
    );
  return runJs(backend, [dy, values, indices, wDec], outputs, ([g, v, idx, w], [dv, dw]) =>
    sparseDecodeGradJs(
      g as Float32Array,
      v as Float32Array,
      idx as Int32Array,
      w as Float32Array,
      dv as Float32Array,
      dw as Float32Array,
      b,
      k,
      d,
    ),
  );
});

/**
 * A stack of S decoders in one kernel call (index.ts `sparseDecodeStack`): inputs [values,
 * indices, W_dec0, b_dec0, W_dec1, ...] with the code's rows m*B ... m*B + B - 1 member m's;
 * member m's rows of the output are exactly the single decode's of that block with its own weights.
 */
registerJsKernel(K.sparseDecodeStack, ({ inputs, backend }) => {
  const [values, indices, ...weights] = Object.values(inputs) as tf.TensorInfo[];
  const members = weights.length / 2;
  const [rows, k] = values.shape;
  const b = rows / members;
  const [n, d] = weights[0].shape;
  const simd = sparseDecodeSimd(backend);
  const outputs: { shape: number[]; dtype: 'float32' | 'int32' }[] = [{ shape: [rows, d], dtype: 'float32' }];
  if (simd) outputs.push({ shape: [n + 1 + b * k], dtype: 'int32' }); // the sort by latent
  const infos = runJs(backend, [values, indices, ...weights], outputs, ([v, idx, ...ws], [out, scratch]) => {
    for (let m = 0; m < members; m++) {
      const vm = (v as Float32Array).subarray(m * b * k, (m + 1) * b * k);
      const im = (idx as Int32Array).subarray(m * b * k, (m + 1) * b * k);
      const [w, bd] = [ws[2 * m] as Float32Array, ws[2 * m + 1] as Float32Array];
      const om = (out as Float32Array).subarray(m * b * d, (m + 1) * b * d);
      if (!simd) {
        sparseDecodeJs(vm, im, w, bd, om, b, k, d);
        continue;
      }
      const [starts, entries] = [(scratch as Int32Array).subarray(0, n + 1), (scratch as Int32Array).subarray(n + 1)];
      sortByLatent(im, n, starts, entries, vm); // zero values add nothing (the padding): skip them
      simd.decode(
        vm.byteOffset,
        w.byteOffset,
        bd.byteOffset,
        om.byteOffset,
        entries.byteOffset,
        starts.byteOffset,
        b,
        k,
        d,
        n,
      );
    }
  });
  if (simd) disposeInfo(backend, infos[1]);
  return infos[0];
});

/**
 * The stack's backward in one call: inputs [dy, values, indices, W_dec0, W_dec1, ...], outputs
 * [dValues, dW_dec0, db_dec0, dW_dec1, ...], member m's the single decode's backward on its block
 * (db_dec by the backend's own Sum over the block's rows, as the single decode's gradient sums them).
 */
registerJsKernel(K.sparseDecodeStackGrad, ({ inputs, backend }) => {
  const [dy, values, indices, ...weights] = Object.values(inputs) as tf.TensorInfo[];
  const members = weights.length;
  const [rows, k] = values.shape;
  const b = rows / members;
  const [n, d] = weights[0].shape;
  const simd = sparseDecodeSimd(backend);
  const f32 = (shape: number[]) => ({ shape, dtype: 'float32' as const });
  const outputs: { shape: number[]; dtype: 'float32' | 'int32' }[] = [
    f32([rows, k]),
    ...weights.map(() => f32([n, d])),
  ];
  if (simd) outputs.push({ shape: [n + 1 + b * k], dtype: 'int32' });
  const infos = runJs(backend, [dy, values, indices, ...weights], outputs, ([g, v, idx, ...ws], [dv, ...rest]) => {
    for (let m = 0; m < members; m++) {
      const at = (a: Typed, size: number) => a.subarray(m * size, (m + 1) * size);
      const [gm, vm, im, dvm] = [at(g, b * d), at(v, b * k), at(idx, b * k), at(dv, b * k)] as Float32Array[];
      const [w, dw] = [ws[m] as Float32Array, rest[m] as Float32Array];
      if (!simd) {
        sparseDecodeGradJs(gm, vm, im as unknown as Int32Array, w, dvm, dw, b, k, d);
        continue;
      }
      const scratch = rest[members] as Int32Array;
      const [starts, entries] = [scratch.subarray(0, n + 1), scratch.subarray(n + 1)];
      sortByLatent(im as unknown as Int32Array, n, starts, entries);
      const [e, st] = [entries.byteOffset, starts.byteOffset];
      simd.grad(gm.byteOffset, vm.byteOffset, w.byteOffset, dvm.byteOffset, dw.byteOffset, e, st, k, d, n);
    }
  });
  if (simd) disposeInfo(backend, infos.pop() as tf.TensorInfo);
  const [dValues, ...dWs] = infos;
  // db_dec of every member: dy [S*B, D] seen as [S, B, D], summed over B by the backend's Sum
  const byMember = backendKernel(
    backend,
    'Reshape',
    K.sparseDecodeStackGrad,
  )({
    inputs: { x: dy },
    backend: backend as tf.KernelBackend,
    attrs: { shape: [members, b, d] },
  }) as tf.TensorInfo;
  const sums = backendKernel(
    backend,
    'Sum',
    K.sparseDecodeStackGrad,
  )({
    inputs: { x: byMember },
    backend: backend as tf.KernelBackend,
    attrs: { axis: [1], keepDims: false },
  }) as tf.TensorInfo;
  const dbs = runJs(
    backend,
    [sums],
    weights.map(() => f32([d])),
    ([sd], outs) => {
      for (const [m, out] of outs.entries()) out.set(sd.subarray(m * d, (m + 1) * d));
    },
  );
  for (const t of [byMember, sums]) disposeInfo(backend, t);
  return [dValues, ...dWs.flatMap((dw, m) => [dw, dbs[m]])];
});
