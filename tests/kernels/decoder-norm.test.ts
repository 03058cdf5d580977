import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { tangentGrad, unitRows } from '../../kernels/decoder-norm';
import { kernelActive, setPoisonOutputs } from '../../kernels/shared/js-kernel';

/** Plain-JS rows of a [n, d] tensor. */
const rows = (t: tf.Tensor2D): number[][] => t.arraySync();

describe('decoder-norm kernels', () => {
  beforeAll(() => setPoisonOutputs(true));
  afterAll(() => setPoisonOutputs(false));

  test('run as kernels on cpu and wasm', () => {
    expect(kernelActive('GensparseTangentGrad') && kernelActive('GensparseUnitRows')).toBe(true);
  });

  test.each([[1, 1], [7, 3], [33, 65]])('unitRows on [%i, %i] equals a naive loop; rows have norm 1', (n, d) => {
    const rng = new Rng(n * 1000 + d);
    const w = rng.randomNormal([n, d], 0, 3) as tf.Tensor2D;
    const out = unitRows(w);
    rows(w).forEach((row, i) => {
      const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
      const got = rows(out)[i];
      row.forEach((v, j) => expect(got[j]).toBeCloseTo(v / norm, 5));
      expect(Math.hypot(...got)).toBeCloseTo(1, 5);
    });
    tf.dispose([w, out]);
  });

  test.each([[2, 5], [9, 17], [64, 40]])('tangentGrad on [%i, %i] equals g - (g.d) d and is orthogonal to each row', (n, d) => {
    const rng = new Rng(n * 7 + d);
    const raw = rng.randomNormal([n, d]) as tf.Tensor2D;
    const w = tf.tidy(() => raw.div(raw.norm('euclidean', 1, true))) as tf.Tensor2D;
    const g = rng.randomNormal([n, d], 0, 0.1) as tf.Tensor2D;
    const out = tangentGrad(g, w);
    const [G, W, O] = [rows(g), rows(w), rows(out)];
    for (let i = 0; i < n; i++) {
      const dot = G[i].reduce((s, v, j) => s + v * W[i][j], 0);
      G[i].forEach((v, j) => expect(O[i][j]).toBeCloseTo(v - dot * W[i][j], 6));
      expect(Math.abs(O[i].reduce((s, v, j) => s + v * W[i][j], 0))).toBeLessThan(1e-6);
    }
    tf.dispose([raw, w, g, out]);
  });

  test('shape errors name the argument', () => {
    const a = tf.ones([3, 4]) as tf.Tensor2D, b = tf.ones([4, 3]) as tf.Tensor2D;
    expect(() => tangentGrad(a, b)).toThrow(/wDecND: expected shape \[3, 4\], got \[4, 3\]/);
    tf.dispose([a, b]);
  });
});
