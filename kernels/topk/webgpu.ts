/**
 * TopK activation forward on WebGPU (WGSL); equals reference.ts (ReLU of the k largest
 * pre-activations per row, descending, ties to the lower index). A selection, not a sort: the
 * invocation for (row, j) makes j+1 passes over the row, each finding the largest entry that
 * comes after the previous pass's pick in the order (value descending, then index ascending), so
 * O(k*n) per invocation. A second program gathers ReLU(z) at the picked columns. The gradient
 * (index.ts) needs no kernel here.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { gpuProgram, runGPU } from '../shared/gpu';

registerOnce(K.topk, 'webgpu', ({ inputs, backend, attrs }) => {
  const { x } = inputs as Record<string, tf.TensorInfo>;
  const { k } = attrs as { k: number };
  const [b, n] = x.shape;
  const select = gpuProgram(
    `gensparseTopkSelect_${k}_${n}`,
    ['Z'],
    [b, k],
    `let r = index / ${k};
     let j = index % ${k};
     var prevV = 0.0;
     var prevC = -1;
     for (var t = 0; t <= j; t++) {
       var bestC = -1;
       var bestV = 0.0;
       for (var c = 0; c < ${n}; c++) {
         let v = getZ(r, c);
         let after = prevC < 0 || v < prevV || (v == prevV && c > prevC);
         if (after && (bestC < 0 || v > bestV)) { bestC = c; bestV = v; }
       }
       prevC = bestC;
       prevV = bestV;
     }
     setOutputAtIndex(index, f32(prevC));`,
  );
  const indices = runGPU(backend, select, [x], undefined, 'int32');
  const gather = gpuProgram(
    `gensparseTopkGather_${k}_${n}`,
    ['Z', 'Idx'],
    [b, k],
    `let c = i32(getIdxByOutputIndex(index));
     setOutputAtIndex(index, max(getZ(index / ${k}, c), 0.0));`,
  );
  const values = runGPU(backend, gather, [x, indices]);
  return [values, indices];
});
