/**
 * Sparse decode forward on WebGPU (WGSL); equals reference.ts. One invocation per output element
 * (b, c) sums the K products values[b,j] * W[indices[b,j], c]: O(B*K*D). Densify (for the
 * backward's dW = dense^T dy): one invocation per (b, n) scanning row b's K indices.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { gpuProgram, runGPU } from '../shared/gpu';

registerOnce(K.sparseDecode, 'webgpu', ({ inputs, backend }) => {
  const { values, indices, wDec, bDec } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const d = wDec.shape[1];
  const program = gpuProgram(
    `gensparseSparseDecode_${k}_${d}`,
    ['V', 'I', 'W', 'Bd'],
    [b, d],
    `let r = index / ${d};
     let c = index % ${d};
     var s = getBd(c);
     for (var j = 0; j < ${k}; j++) {
       let row = i32(getI(r, j));
       s = s + getV(r, j) * getW(row, c);
     }
     setOutputAtIndex(index, s);`,
  );
  return runGPU(backend, program, [values, indices, wDec, bDec]);
});

registerOnce(K.densify, 'webgpu', ({ inputs, backend, attrs }) => {
  const { values, indices } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const n = (attrs as { n: number }).n;
  const program = gpuProgram(
    `gensparseDensify_${k}_${n}`,
    ['V', 'I'],
    [b, n],
    `let r = index / ${n};
     let c = index % ${n};
     var s = 0.0;
     for (var j = 0; j < ${k}; j++) {
       if (i32(getI(r, j)) == c) { s = s + getV(r, j); }
     }
     setOutputAtIndex(index, s);`,
  );
  return runGPU(backend, program, [values, indices]);
});
