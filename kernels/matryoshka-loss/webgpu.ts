/**
 * Matryoshka all-prefix loss (block size 1) on WebGPU (WGSL); equals reference.ts. Per input,
 * with the active indices sorted a_1 < ... < a_K, a_0 = 0, a_{K+1} = N, w_j = a_{j+1} - a_j:
 *   forward:  r_0 = residual, r_j = r_{j-1} - f_{a_j} W[a_j];  L = sum_{j=0}^{K} w_j ||r_j||^2
 *   backward: E_l = sum_{j >= l} w_j r_j;  dL/df_{a_l} = -2 <E_l, W[a_l]>,
 *             dL/dW[a_l] = -2 f_{a_l} E_l,  dL/dresidual = 2 E_0   (times the upstream dy_b)
 * The same programs as webgl.ts: `order` [B,K] by counting (O(K^2)); one invocation per (b, dim)
 * walks the K sorted entries (O(K)), a row sum over dim gives L; backward: E_l per (b, position,
 * dim), 2 dy E_0 per (b, dim), dValues per (b, position); dW: the updates -2 dy f E per
 * (b, position, dim), scatter-added into the touched rows by tfjs's ScatterNd (atomics, O(B*K*D)).
 */
import * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { type GPUProgram, disposeInfo, gpuProgram, runGPU } from '../shared/gpu';

/** Runs one of tfjs's own webgpu kernels on TensorInfos (inside a kernel, where tf ops cannot run). */
function backendKernel(
  name: string,
  backend: unknown,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'webgpu');
  if (!kernel) throw new Error(`no ${name} kernel on webgpu`);
  return kernel.kernelFunc({
    inputs,
    backend: backend as tf.KernelBackend,
    attrs: attrs as tf.NamedAttrMap,
  }) as tf.TensorInfo;
}

/** order[b, j] = position (0..K-1) of row b's j-th smallest index (indices distinct per row). */
function orderProgram(b: number, k: number): GPUProgram {
  return gpuProgram(
    `gensparseMatryoshkaOrder_${k}`,
    ['I'],
    [b, k],
    `let row = index / ${k};
     let j = index % ${k};
     var pos = 0.0;
     for (var p = 0; p < ${k}; p++) {
       let a = getI(row, p);
       var rank = 0;
       for (var q = 0; q < ${k}; q++) { if (getI(row, q) < a) { rank = rank + 1; } }
       if (rank == j) { pos = f32(p); }
     }
     setOutputAtIndex(index, pos);`,
  );
}

/**
 * The sorted walk of row `row` at dim `c` as WGSL statements: leaves in `acc` the sum over t of
 * w_t * r_t[c] (squared if `square`) for t >= `first` (an i32 expression).
 */
function walk(k: number, n: number, square: boolean, first: string): string {
  const term = square ? 'r * r' : 'r';
  return `
     var r = getR(row, c);
     var prev = 0.0;
     var acc = 0.0;
     for (var t = 0; t < ${k}; t++) {
       let p = i32(round(getO(row, t)));
       let a = getI(row, p);
       if (t >= ${first}) { acc = acc + (a - prev) * ${term}; }
       r = r - getV(row, p) * getW(i32(round(a)), c);
       prev = a;
     }
     acc = acc + (f32(${n}) - prev) * ${term};`;
}

registerOnce(K.matryoshka, 'webgpu', ({ inputs, backend }) => {
  const { values, indices, wDec, residual } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const [n, d] = wDec.shape;
  const order = runGPU(backend, orderProgram(b, k), [indices]);
  const terms = runGPU(
    backend,
    gpuProgram(
      `gensparseMatryoshkaTerms_${k}_${n}_${d}`,
      ['V', 'I', 'W', 'R', 'O'],
      [b, d],
      `let row = index / ${d};
     let c = index % ${d};
     ${walk(k, n, true, '0')}
     setOutputAtIndex(index, acc);`,
    ),
    [values, indices, wDec, residual, order],
  );
  const loss = runGPU(
    backend,
    gpuProgram(
      `gensparseMatryoshkaRowSum_${d}`,
      ['T'],
      [b],
      `var s = 0.0;
     for (var c = 0; c < ${d}; c++) { s = s + getT(index, c); }
     setOutputAtIndex(index, s);`,
    ),
    [terms],
  );
  disposeInfo(backend, order);
  disposeInfo(backend, terms);
  return loss;
});

registerOnce(K.matryoshkaGrad, 'webgpu', ({ inputs, backend }) => {
  const { dy, values, indices, wDec, residual } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const [n, d] = wDec.shape;
  const order = runGPU(backend, orderProgram(b, k), [indices]);
  // E[b, p, c] = E_l[c] for the entry at position p, l = 1 + its rank in the row
  const e = runGPU(
    backend,
    gpuProgram(
      `gensparseMatryoshkaSuffix_${k}_${n}_${d}`,
      ['V', 'I', 'W', 'R', 'O'],
      [b, k, d],
      `let row = index / ${k * d};
     let own = getI(row, (index / ${d}) % ${k});
     let c = index % ${d};
     var l = 1;
     for (var q = 0; q < ${k}; q++) { if (getI(row, q) < own) { l = l + 1; } }
     ${walk(k, n, false, 'l')}
     setOutputAtIndex(index, acc);`,
    ),
    [values, indices, wDec, residual, order],
  );
  const dResidual = runGPU(
    backend,
    gpuProgram(
      `gensparseMatryoshkaDres_${k}_${n}_${d}`,
      ['Dy', 'V', 'I', 'W', 'R', 'O'],
      [b, d],
      `let row = index / ${d};
     let c = index % ${d};
     ${walk(k, n, false, '0')}
     setOutputAtIndex(index, 2.0 * getDy(row) * acc);`,
    ),
    [dy, values, indices, wDec, residual, order],
  );
  const dValues = runGPU(
    backend,
    gpuProgram(
      `gensparseMatryoshkaDv_${k}_${d}`,
      ['Dy', 'I', 'W', 'E'],
      [b, k],
      `let row = index / ${k};
     let p = index % ${k};
     let w = i32(round(getIByOutputIndex(index)));
     var s = 0.0;
     for (var c = 0; c < ${d}; c++) { s = s + getE(row, p, c) * getW(w, c); }
     setOutputAtIndex(index, -2.0 * getDy(row) * s);`,
    ),
    [dy, indices, wDec, e],
  );
  // dW: the updates -2 dy_b f_{b,p} E[b,p,:] as [B*K, D], scatter-added into the touched rows by
  // tfjs's own ScatterNd (atomic adds on WebGPU: O(B*K*D) in all)
  const updates = runGPU(
    backend,
    gpuProgram(
      `gensparseMatryoshkaDwUpdates_${k}_${d}`,
      ['Dy', 'V', 'E'],
      [b * k, d],
      `let row = index / ${k * d};
     let p = (index / ${d}) % ${k};
     setOutputAtIndex(index, -2.0 * getDy(row) * getV(row, p) * getE(row, p, index % ${d}));`,
    ),
    [dy, values, e],
  );
  const idxCol = backendKernel('Reshape', backend, { x: indices }, { shape: [b * k, 1] });
  const dW = backendKernel('ScatterNd', backend, { indices: idxCol, updates }, { shape: [n, d] });
  disposeInfo(backend, updates);
  disposeInfo(backend, idxCol);
  disposeInfo(backend, order);
  disposeInfo(backend, e);
  return [dValues, dW, dResidual];
});
