import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core';
import { freeBitsKl, gaussianKl, gaussianKlPerDim } from '../../src/vae';
import { meanAndSe, randomMatrix } from './helpers';

describe('analytic KL(N(mu, sigma^2) || N(0, I))', () => {
  test('matches the closed form computed in plain JS, per example and per dimension', async () => {
    const rng = new Rng(11);
    const B = 7,
      Z = 5;
    const mu = randomMatrix(rng, B, Z, -2, 2);
    const lv = randomMatrix(rng, B, Z, -3, 1.5);
    const perDim = await gaussianKlPerDim(mu.t, lv.t).array();
    const perEx = await gaussianKl(mu.t, lv.t).array();
    for (let b = 0; b < B; b++) {
      let sum = 0;
      for (let j = 0; j < Z; j++) {
        const m = mu.a[b * Z + j],
          l = lv.a[b * Z + j];
        const s2 = Math.exp(l);
        // KL of two univariate normals N(m, s2) || N(0, 1) = log(1/s) + (s2 + m^2)/2 - 1/2
        const want = -0.5 * l + (s2 + m * m) / 2 - 0.5;
        expect(perDim[b][j]).toBeCloseTo(want, 4);
        expect(perDim[b][j]).toBeGreaterThanOrEqual(0);
        sum += want;
      }
      expect(perEx[b]).toBeCloseTo(sum, 3);
    }
    tf.dispose([mu.t, lv.t]);
  });

  test('matches a Monte-Carlo estimate E_q[log q(z) - log p(z)] within 4 standard errors', async () => {
    const rng = new Rng(12);
    const Z = 4;
    const mu = Array.from({ length: Z }, () => -1.5 + 3 * rng.uniform());
    const lv = Array.from({ length: Z }, () => -2 + 2.5 * rng.uniform());
    const muT = tf.tensor2d(mu, [1, Z]);
    const lvT = tf.tensor2d(lv, [1, Z]);
    const analytic = (await gaussianKl(muT, lvT).data())[0];
    const n = 40000;
    const terms = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let j = 0; j < Z; j++) {
        const s = Math.exp(0.5 * lv[j]);
        const eps = rng.normal();
        const z = mu[j] + s * eps;
        const logQ = -0.5 * (Math.log(2 * Math.PI) + lv[j] + eps * eps);
        const logP = -0.5 * (Math.log(2 * Math.PI) + z * z);
        t += logQ - logP;
      }
      terms[i] = t;
    }
    const { mean, se } = meanAndSe(terms);
    expect(Math.abs(mean - analytic)).toBeLessThan(4 * se);
    expect(se).toBeLessThan(0.05 * analytic); // the estimate is informative, not trivially wide
    tf.dispose([muT, lvT]);
  });

  test('free bits: sum_j max(lambda, batch-mean KL_j), and 0 gives the plain batch mean', async () => {
    const rng = new Rng(13);
    const B = 6,
      Z = 5;
    const mu = randomMatrix(rng, B, Z, -1, 1);
    const lv = randomMatrix(rng, B, Z, -1, 0.5);
    const kl = gaussianKlPerDim(mu.t, lv.t);
    const rows = await kl.array();
    const meanZ = Array.from({ length: Z }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / B);
    const lambda = 0.2;
    expect((await freeBitsKl(kl, lambda).data())[0]).toBeCloseTo(
      meanZ.reduce((s, v) => s + Math.max(lambda, v), 0),
      4,
    );
    expect((await freeBitsKl(kl, 0).data())[0]).toBeCloseTo((await gaussianKl(mu.t, lv.t).mean().data())[0], 4);
    expect(() => freeBitsKl(kl, -1)).toThrow(/freeBits/);
    tf.dispose([mu.t, lv.t, kl]);
  });
});
