import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core';
import { counterNormal } from '../../kernels/reparam-sample';
import { reparameterize, sampleLatent, standardNormal, wrongReparameterize } from '../../src/vae';
import { meanAndSe, randomMatrix } from './helpers';

describe('reparameterization z = mu + exp(0.5 logVar) * eps', () => {
  test('samples have mean mu and variance exp(logVar) (per coordinate, 20000 draws)', async () => {
    const mu = [1.5, -2, 0.3];
    const lv = [0.4, -1.2, 1.1];
    const n = 20000;
    const muT = tf.tensor2d(mu, [1, 3]).tile([n, 1]) as tf.Tensor2D;
    const lvT = tf.tensor2d(lv, [1, 3]).tile([n, 1]) as tf.Tensor2D;
    const z = sampleLatent(muT, lvT, { seed: 5, step: 0 }, false);
    const rows = (await z.data()) as Float32Array;
    for (let j = 0; j < 3; j++) {
      const col = Array.from({ length: n }, (_, i) => rows[i * 3 + j]);
      const { mean, se, sd } = meanAndSe(col);
      expect(Math.abs(mean - mu[j])).toBeLessThan(4 * se);
      // sd of a sample sd ~ sigma / sqrt(2n): 4 of those
      const sigma = Math.exp(0.5 * lv[j]);
      expect(Math.abs(sd - sigma)).toBeLessThan((4 * sigma) / Math.sqrt(2 * n));
    }
    tf.dispose([muT, lvT, z]);
  });

  test('the wrong form mu * sigma * eps has mean 0 and spread |mu| sigma: it ignores the mean', async () => {
    const n = 20000;
    const muT = tf.fill([n, 1], 3) as tf.Tensor2D;
    const lvT = tf.fill([n, 1], Math.log(0.25)) as tf.Tensor2D; // sigma = 0.5
    const eps = standardNormal([n, 1], { seed: 1, step: 2 });
    const right = meanAndSe((await reparameterize(muT, lvT, eps).data()) as Float32Array);
    const wrong = meanAndSe((await wrongReparameterize(muT, lvT, eps).data()) as Float32Array);
    expect(right.mean).toBeCloseTo(3, 1);
    expect(right.sd).toBeCloseTo(0.5, 1);
    expect(Math.abs(wrong.mean)).toBeLessThan(4 * wrong.se);
    expect(wrong.sd).toBeCloseTo(1.5, 1);
    tf.dispose([muT, lvT, eps]);
  });

  test('gradients w.r.t. mu and logVar match central finite differences; eps gets none', async () => {
    const rng = new Rng(21);
    const B = 3,
      Z = 4;
    const mu = randomMatrix(rng, B, Z, -1, 1);
    const lv = randomMatrix(rng, B, Z, -1, 1);
    const w = randomMatrix(rng, B, Z, -1, 1);
    const eps = standardNormal([B, Z], { seed: 3, step: 9 });
    const epsA = Array.from(await eps.data());
    // f(mu, logVar) = sum(w * z^2), a nonlinear scalar of z
    const f = (m: tf.Tensor2D, l: tf.Tensor2D) => reparameterize(m, l, eps).square().mul(w.t).sum() as tf.Scalar;
    const [gMu, gLv] = tf.grads((m: tf.Tensor, l: tf.Tensor) => f(m as tf.Tensor2D, l as tf.Tensor2D))([mu.t, lv.t]);
    const gm = Array.from(await gMu.data()),
      gl = Array.from(await gLv.data());
    // finite differences in float64 on plain arrays
    const fJs = (m: number[], l: number[]) =>
      m.reduce((s, mi, i) => s + w.a[i] * (mi + Math.exp(0.5 * l[i]) * epsA[i]) ** 2, 0);
    const h = 1e-5;
    for (let i = 0; i < B * Z; i++) {
      const mp = [...mu.a],
        mm = [...mu.a],
        lp = [...lv.a],
        lm = [...lv.a];
      mp[i] += h;
      mm[i] -= h;
      lp[i] += h;
      lm[i] -= h;
      expect(gm[i]).toBeCloseTo((fJs(mp, lv.a) - fJs(mm, lv.a)) / (2 * h), 3);
      expect(gl[i]).toBeCloseTo((fJs(mu.a, lp) - fJs(mu.a, lm)) / (2 * h), 3);
    }
    // sampleLatent draws eps inside: d sum(z)/dmu = 1 and d sum(z)/dlogVar = 0.5 sigma eps for the replayed eps
    const key = { seed: 1, step: 1 };
    const [dMu, dLv] = tf.grads((m: tf.Tensor, l: tf.Tensor) =>
      sampleLatent(m as tf.Tensor2D, l as tf.Tensor2D, key, false).sum(),
    )([mu.t, lv.t]);
    expect(Array.from(await dMu.data())).toEqual(new Array(B * Z).fill(1));
    const replay = Array.from(await standardNormal([B, Z], key).data());
    const dl = Array.from(await dLv.data());
    replay.forEach((e, i) => expect(dl[i]).toBeCloseTo(0.5 * Math.exp(0.5 * lv.a[i]) * e, 4));
    tf.dispose([dMu, dLv]);
    tf.dispose([mu.t, lv.t, w.t, eps, gMu, gLv]);
  });

  test('the same (seed, step) replays the same eps; another step draws another', async () => {
    const a = await standardNormal([2, 3], { seed: 4, step: 10 }).data();
    const b = await standardNormal([2, 3], { seed: 4, step: 10 }).data();
    const c = await standardNormal([2, 3], { seed: 4, step: 11 }).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  test('sampleLatent is mu + sigma * counterNormal(seed, step) on both sides of the switch (one eps source)', async () => {
    const rng = new Rng(22);
    const mu = randomMatrix(rng, 3, 5, -1, 1),
      lv = randomMatrix(rng, 3, 5, -1, 1);
    const eps = Array.from(await counterNormal([3, 5], 6, 77).data());
    expect(Array.from(await standardNormal([3, 5], { seed: 6, step: 77 }).data())).toEqual(eps);
    for (const useKernels of [true, false]) {
      const z = Array.from(await sampleLatent(mu.t, lv.t, { seed: 6, step: 77 }, useKernels).data());
      z.forEach((v, i) => expect(v).toBeCloseTo(mu.a[i] + Math.exp(0.5 * lv.a[i]) * eps[i], 4));
    }
    tf.dispose([mu.t, lv.t]);
  });

  test('mismatched shapes and bad keys throw errors naming the argument', () => {
    const mu = tf.zeros([2, 3]) as tf.Tensor2D;
    const lv = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => sampleLatent(mu, lv, { seed: 0, step: 0 })).toThrow(/logVar/);
    expect(() => standardNormal([2, 3], { seed: -1, step: 0 })).toThrow(/seed/);
    expect(() => standardNormal([2, 3], { seed: 0, step: 1.5 })).toThrow(/step/);
    tf.dispose([mu, lv]);
  });
});
