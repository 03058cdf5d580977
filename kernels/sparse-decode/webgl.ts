/**
 * Sparse decode forward on WebGL (GLSL ES 3.00); equals reference.ts. One fragment per output
 * element (b, c) sums the K products values[b,j] * W[indices[b,j], c]: O(B*K*D) instead of the
 * dense decode's O(B*N*D). Densify (for the backward's dW = dense^T dy): one fragment per (b, n)
 * scanning row b's K indices, O(B*N*K) (tf.scatterND on WebGL loops over every update per output).
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { runGL } from '../shared/gpu';

registerOnce(K.sparseDecode, 'webgl', ({ inputs, backend }) => {
  const { values, indices, wDec, bDec } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const d = wDec.shape[1];
  return runGL(
    backend,
    {
      variableNames: ['V', 'I', 'W', 'Bd'],
      outputShape: [b, d],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        float s = getBd(rc.y);
        for (int j = 0; j < ${k}; j++) {
          int row = int(round(getI(rc.x, j)));
          s += getV(rc.x, j) * getW(row, rc.y);
        }
        setOutput(s);
      }`,
    },
    [values, indices, wDec, bDec],
  );
});

registerOnce(K.densify, 'webgl', ({ inputs, backend, attrs }) => {
  const { values, indices } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const n = (attrs as { n: number }).n;
  return runGL(
    backend,
    {
      variableNames: ['V', 'I'],
      outputShape: [b, n],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        float s = 0.0;
        for (int j = 0; j < ${k}; j++) {
          if (int(round(getI(rc.x, j))) == rc.y) s += getV(rc.x, j);
        }
        setOutput(s);
      }`,
    },
    [values, indices],
  );
});
