/**
 * Sparse decode forward on WebGPU (WGSL); equals reference.ts. One invocation per output element
 * (b, c) sums the K products values[b,j] * W[indices[b,j], c]: O(B*K*D). The backward runs as
 * tfjs ops (index.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { gpuProgram, runGPU } from '../shared/gpu';

registerOnce(K.sparseDecode, 'webgpu', ({ inputs, backend }) => {
  const { values, indices, wDec, bDec } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const d = wDec.shape[1];
  const program = gpuProgram(`gensparseSparseDecode_${k}_${d}`, ['V', 'I', 'W', 'Bd'], [b, d],
    `let r = index / ${d};
     let c = index % ${d};
     var s = getBd(c);
     for (var j = 0; j < ${k}; j++) {
       let row = i32(getI(r, j));
       s = s + getV(r, j) * getW(row, c);
     }
     setOutputAtIndex(index, s);`);
  return runGPU(backend, program, [values, indices, wDec, bDec]);
});
