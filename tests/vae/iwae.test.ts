import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core';
import { Vae, VaeTrainer, elbo, gaussianRing, iwaeBound, logNormalDiag } from '../../src/vae';
import { meanAndSe, randomMatrix } from './helpers';

describe('importance-weighted bound', () => {
  test('logNormalDiag equals the sum of univariate normal log-densities in plain JS', async () => {
    const rng = new Rng(41);
    const z = randomMatrix(rng, 3, 4, -2, 2),
      mu = randomMatrix(rng, 3, 4, -1, 1),
      lv = randomMatrix(rng, 3, 4, -2, 1);
    const got = await logNormalDiag(z.t, mu.t, lv.t).array();
    for (let b = 0; b < 3; b++) {
      let want = 0;
      for (let j = 0; j < 4; j++) {
        const i = b * 4 + j,
          v = Math.exp(lv.a[i]);
        want += -0.5 * Math.log(2 * Math.PI * v) - (z.a[i] - mu.a[i]) ** 2 / (2 * v);
      }
      expect(got[b]).toBeCloseTo(want, 4);
    }
    tf.dispose([z.t, mu.t, lv.t]);
  });

  test('on a linear-Gaussian VAE, IWAE(K) climbs from the ELBO to the exact log p(x)', async () => {
    // No hidden layers + Gaussian decoder: x = z W + b + sigma * noise, so
    // p(x) = N(b, W^T W + sigma^2 I) in closed form (D = 2: a 2x2 determinant and inverse).
    const sigma = 0.5;
    const model = new Vae({ inputDim: 2, latentDim: 2, hidden: [], likelihood: 'gaussian', sigma }, new Rng(42));
    const W = Array.from(await model.params.get('dec.out.W').data()); // [Z=2, D=2] row-major
    const bias = Array.from(await model.params.get('dec.out.b').data());
    const c00 = W[0] * W[0] + W[2] * W[2] + sigma * sigma;
    const c11 = W[1] * W[1] + W[3] * W[3] + sigma * sigma;
    const c01 = W[0] * W[1] + W[2] * W[3];
    const det = c00 * c11 - c01 * c01;
    // Encoder: the exact posterior mean, and a diagonal variance twice the posterior's (an
    // over-dispersed proposal keeps the importance weights bounded). Posterior covariance
    // S = (I + W W^T / sigma^2)^-1, mean (x - b) W^T S / sigma^2 (row vectors).
    const p00 = 1 + (W[0] * W[0] + W[1] * W[1]) / sigma ** 2,
      p11 = 1 + (W[2] * W[2] + W[3] * W[3]) / sigma ** 2;
    const p01 = (W[0] * W[2] + W[1] * W[3]) / sigma ** 2;
    const pd = p00 * p11 - p01 * p01;
    const S = [p11 / pd, -p01 / pd, -p01 / pd, p00 / pd];
    const encW = [0, 1].flatMap((d) =>
      [0, 1].map((j) => (W[0 * 2 + d] * S[0 * 2 + j] + W[1 * 2 + d] * S[1 * 2 + j]) / sigma ** 2),
    ); // [D, Z]
    const encB = [0, 1].map((j) => -(bias[0] * encW[0 * 2 + j] + bias[1] * encW[1 * 2 + j]));
    model.params.assign({
      'enc.mu.W': tf.tensor2d(encW, [2, 2]),
      'enc.mu.b': tf.tensor1d(encB),
      'enc.logVar.W': tf.zeros([2, 2]),
      'enc.logVar.b': tf.tensor1d([Math.log(2 * S[0]), Math.log(2 * S[3])]),
    });
    const rng = new Rng(43);
    const xs = randomMatrix(rng, 6, 2, -1.5, 1.5);
    const exact = Array.from({ length: 6 }, (_, i) => {
      const r0 = xs.a[2 * i] - bias[0],
        r1 = xs.a[2 * i + 1] - bias[1];
      const quad = (c11 * r0 * r0 - 2 * c01 * r0 * r1 + c00 * r1 * r1) / det;
      return -Math.log(2 * Math.PI) - 0.5 * Math.log(det) - 0.5 * quad;
    });
    const iwae = (k: number) =>
      iwaeBound(model, xs.t, k, { seed: 7, step: k }, { useKernels: false }).array() as Promise<number[]>;
    const r = elbo(model, xs.t, { seed: 7, step: 0 }, { samples: 2000, useKernels: false });
    const elboX = (await r.elboB.array()) as number[];
    const i2 = await iwae(20000);
    // E[L_20] per example, averaged over 400 independent draws (a single L_20 estimate is noisy)
    const reps = 400;
    const i1All = (await iwaeBound(
      model,
      xs.t.tile([reps, 1]) as tf.Tensor2D,
      20,
      { seed: 8, step: 0 },
      { useKernels: false },
    ).array()) as number[];
    const i1 = exact.map((_, i) => meanAndSe(Array.from({ length: reps }, (_, r) => i1All[r * 6 + i])));
    for (let i = 0; i < 6; i++) {
      expect(elboX[i]).toBeLessThan(exact[i] - 0.05); // the ELBO gap KL(q || posterior) > 0: q is wider than the posterior
      expect(Math.abs(i2[i] - exact[i])).toBeLessThan(0.05);
    }
    // the gap closes as K grows, averaged over the inputs
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    for (let i = 0; i < 6; i++) {
      expect(elboX[i]).toBeLessThan(i1[i].mean - 4 * i1[i].se);
      expect(i1[i].mean).toBeLessThan(exact[i] + 4 * i1[i].se);
    }
    expect(Math.abs(mean(i2) - mean(exact))).toBeLessThan(0.02);
    tf.dispose([r.elboB, r.logLikB, r.klB, r.loss, xs.t]);
    model.dispose();
  });

  test('ELBO <= IWAE(5) <= IWAE(50) on a briefly trained toy VAE, beyond Monte-Carlo noise', async () => {
    const model = new Vae(
      { inputDim: 2, latentDim: 2, hidden: [32, 32], activation: 'tanh', likelihood: 'gaussian', sigma: 0.2 },
      new Rng(44),
    );
    const train = gaussianRing(2000, new Rng(45));
    const trainer = new VaeTrainer(model, train, { steps: 300, batchSize: 64, lr: 3e-3, seed: 46, logEvery: 300 });
    await trainer.train();
    trainer.dispose();
    // 2400 test points: the IWAE(5) - ELBO gap (~0.15 nats here) is ~3 standard errors at 600 points,
    // measured over 5 noise seeds with the counter-based eps, so 600 passed or failed by the draw.
    const test = gaussianRing(2400, new Rng(47));
    const x = tf.tensor2d(test.x, [test.n, 2]);
    const r = elbo(model, x, { seed: 48, step: 0 }, { useKernels: false });
    const e = Array.from(await r.elboB.data());
    const i5 = Array.from(await iwaeBound(model, x, 5, { seed: 49, step: 0 }, { useKernels: false }).data());
    const i50 = Array.from(await iwaeBound(model, x, 50, { seed: 50, step: 0 }, { useKernels: false }).data());
    const d1 = meanAndSe(i5.map((v, i) => v - e[i]));
    const d2 = meanAndSe(i50.map((v, i) => v - i5[i]));
    expect(d1.mean).toBeGreaterThan(4 * d1.se);
    expect(d2.mean).toBeGreaterThan(4 * d2.se);
    expect(() => iwaeBound(model, x, 0, { seed: 0, step: 0 })).toThrow(/^k:/);
    tf.dispose([r.elboB, r.logLikB, r.klB, r.loss, x]);
    model.dispose();
  });
});
