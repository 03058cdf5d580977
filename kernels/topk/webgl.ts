/**
 * TopK activation forward on WebGL (GLSL ES 3.00); equals reference.ts (ReLU of the k largest
 * pre-activations per row, descending, ties to the lower index). A selection, not a sort: the
 * fragment for (row, j) makes j+1 passes over the row, each finding the largest entry that comes
 * after the previous pass's pick in the order (value descending, then index ascending), so
 * O(k*n) per fragment. A second program gathers ReLU(z) at the picked columns. The int32 indices
 * are stored as floats, like tfjs's own ArgMax. The gradient (index.ts) needs no kernel here.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { runGL } from '../shared/gpu';

registerOnce(K.topk, 'webgl', ({ inputs, backend, attrs }) => {
  const { x } = inputs as Record<string, tf.TensorInfo>;
  const { k } = attrs as { k: number };
  const [b, n] = x.shape;
  const indices = runGL(
    backend,
    {
      variableNames: ['Z'],
      outputShape: [b, k],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        float prevV = 0.0;
        int prevC = -1;
        for (int t = 0; t <= rc.y; t++) {
          int bestC = -1;
          float bestV = 0.0;
          for (int c = 0; c < ${n}; c++) {
            float v = getZ(rc.x, c);
            bool after = prevC < 0 || v < prevV || (v == prevV && c > prevC);
            if (after && (bestC < 0 || v > bestV)) { bestC = c; bestV = v; }
          }
          prevC = bestC;
          prevV = bestV;
        }
        setOutput(float(prevC));
      }`,
    },
    [x],
    undefined,
    'int32',
  );
  const values = runGL(
    backend,
    {
      variableNames: ['Z', 'Idx'],
      outputShape: [b, k],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        int c = int(round(getIdxAtOutCoords()));
        setOutput(max(getZ(rc.x, c), 0.0));
      }`,
    },
    [x, indices],
  );
  return [values, indices];
});
