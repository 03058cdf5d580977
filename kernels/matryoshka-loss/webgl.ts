/**
 * Matryoshka all-prefix loss (block size 1) on WebGL (GLSL ES 3.00); equals reference.ts. Per input,
 * with the active indices sorted a_1 < ... < a_K, a_0 = 0, a_{K+1} = N, w_j = a_{j+1} - a_j:
 *   forward:  r_0 = residual, r_j = r_{j-1} - f_{a_j} W[a_j];  L = sum_{j=0}^{K} w_j ||r_j||^2
 *   backward: E_l = sum_{j >= l} w_j r_j;  dL/df_{a_l} = -2 <E_l, W[a_l]>,
 *             dL/dW[a_l] = -2 f_{a_l} E_l,  dL/dresidual = 2 E_0   (times the upstream dy_b)
 * Programs: `order` [B,K] (the position of each row's j-th smallest index, by counting, O(K^2));
 * one fragment per (b, dim) walks the K sorted entries (O(K)) and a row sum over dim gives L;
 * backward: E_l per (b, position, dim) (O(K) each), 2 dy E_0 per (b, dim), dValues per (b, position)
 * (a dot product over dim); dW (WebGL has no scatter-add): slot [B,N] marks where each latent sits
 * in each row (O(K) per element, like sparse-decode's densify), then one fragment per (latent, dim)
 * sums -2 dy f E over the batch (O(B) per element).
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { type GLProgram, disposeInfo, runGL } from '../shared/gpu';

/** order[b, j] = position (0..K-1) of row b's j-th smallest index (indices distinct per row). */
function orderProgram(b: number, k: number): GLProgram {
  return {
    variableNames: ['I'],
    outputShape: [b, k],
    userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        float pos = 0.0;
        for (int p = 0; p < ${k}; p++) {
          float a = getI(rc.x, p);
          int rank = 0;
          for (int q = 0; q < ${k}; q++) { if (getI(rc.x, q) < a) rank++; }
          if (rank == rc.y) pos = float(p);
        }
        setOutput(pos);
      }`,
  };
}

/**
 * The sorted walk of row b at dim c as GLSL statements: leaves in `acc` the sum over t of
 * w_t * r_t[c] (squared if `square`) for t >= `first` (an int expression).
 */
function walk(k: number, n: number, square: boolean, first: string): string {
  const term = square ? 'r * r' : 'r';
  return `
        float r = getR(b, c);
        float prev = 0.0;
        float acc = 0.0;
        for (int t = 0; t < ${k}; t++) {
          int p = int(round(getO(b, t)));
          float a = getI(b, p);
          if (t >= ${first}) acc += (a - prev) * ${term};
          r -= getV(b, p) * getW(int(round(a)), c);
          prev = a;
        }
        acc += (float(${n}) - prev) * ${term};`;
}

registerOnce(K.matryoshka, 'webgl', ({ inputs, backend }) => {
  const { values, indices, wDec, residual } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const [n, d] = wDec.shape;
  const order = runGL(backend, orderProgram(b, k), [indices]);
  const terms = runGL(
    backend,
    {
      variableNames: ['V', 'I', 'W', 'R', 'O'],
      outputShape: [b, d],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        int b = rc.x;
        int c = rc.y;
        ${walk(k, n, true, '0')}
        setOutput(acc);
      }`,
    },
    [values, indices, wDec, residual, order],
  );
  const loss = runGL(
    backend,
    {
      variableNames: ['T'],
      outputShape: [b],
      userCode: `
      void main() {
        int b = getOutputCoords();
        float s = 0.0;
        for (int c = 0; c < ${d}; c++) s += getT(b, c);
        setOutput(s);
      }`,
    },
    [terms],
  );
  disposeInfo(backend, order);
  disposeInfo(backend, terms);
  return loss;
});

registerOnce(K.matryoshkaGrad, 'webgl', ({ inputs, backend }) => {
  const { dy, values, indices, wDec, residual } = inputs as Record<string, tf.TensorInfo>;
  const [b, k] = values.shape;
  const [n, d] = wDec.shape;
  const order = runGL(backend, orderProgram(b, k), [indices]);
  // E[b, p, c] = E_l[c] for the entry at position p, l = 1 + its rank in the row
  const e = runGL(
    backend,
    {
      variableNames: ['V', 'I', 'W', 'R', 'O'],
      outputShape: [b, k, d],
      userCode: `
      void main() {
        ivec3 o = getOutputCoords();
        int b = o.x;
        int c = o.z;
        float own = getI(b, o.y);
        int l = 1;
        for (int q = 0; q < ${k}; q++) { if (getI(b, q) < own) l++; }
        ${walk(k, n, false, 'l')}
        setOutput(acc);
      }`,
    },
    [values, indices, wDec, residual, order],
  );
  const dResidual = runGL(
    backend,
    {
      variableNames: ['Dy', 'V', 'I', 'W', 'R', 'O'],
      outputShape: [b, d],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        int b = rc.x;
        int c = rc.y;
        ${walk(k, n, false, '0')}
        setOutput(2.0 * getDy(b) * acc);
      }`,
    },
    [dy, values, indices, wDec, residual, order],
  );
  const dValues = runGL(
    backend,
    {
      variableNames: ['Dy', 'I', 'W', 'E'],
      outputShape: [b, k],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        int row = int(round(getIAtOutCoords()));
        float s = 0.0;
        for (int c = 0; c < ${d}; c++) s += getE(rc.x, rc.y, c) * getW(row, c);
        setOutput(-2.0 * getDy(rc.x) * s);
      }`,
    },
    [dy, indices, wDec, e],
  );
  // dW: slot[b, latent] = 1 + the position of that latent in row b (0: absent), O(K) per element;
  // then one fragment per (latent, dim) sums over the batch, O(B) each
  const slot = runGL(
    backend,
    {
      variableNames: ['I'],
      outputShape: [b, n],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        float s = 0.0;
        for (int p = 0; p < ${k}; p++) {
          if (int(round(getI(rc.x, p))) == rc.y) s = float(p + 1);
        }
        setOutput(s);
      }`,
    },
    [indices],
  );
  const dW = runGL(
    backend,
    {
      variableNames: ['Dy', 'V', 'E', 'S'],
      outputShape: [n, d],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        float s = 0.0;
        for (int b = 0; b < ${b}; b++) {
          int p = int(round(getS(b, rc.x))) - 1;
          if (p >= 0) s += getDy(b) * getV(b, p) * getE(b, p, rc.y);
        }
        setOutput(-2.0 * s);
      }`,
    },
    [dy, values, e, slot],
  );
  disposeInfo(backend, slot);
  disposeInfo(backend, order);
  disposeInfo(backend, e);
  return [dValues, dW, dResidual];
});
