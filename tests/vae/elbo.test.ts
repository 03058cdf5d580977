import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core';
import {
  Vae,
  bernoulliLogLikelihood,
  elbo,
  gaussianKl,
  gaussianLogLikelihood,
  reparameterize,
  standardNormal,
} from '../../src/vae';
import { randomMatrix } from './helpers';

describe('log-likelihoods', () => {
  test('Bernoulli on logits equals sum x log p + (1 - x) log(1 - p) in plain JS', async () => {
    const rng = new Rng(31);
    const B = 4,
      D = 9;
    const x = randomMatrix(rng, B, D, 0, 1); // non-binary targets in [0, 1] are allowed too
    const l = randomMatrix(rng, B, D, -6, 6);
    const got = await bernoulliLogLikelihood(x.t, l.t).array();
    for (let b = 0; b < B; b++) {
      let want = 0;
      for (let d = 0; d < D; d++) {
        const p = 1 / (1 + Math.exp(-l.a[b * D + d]));
        const xi = x.a[b * D + d];
        want += xi * Math.log(p) + (1 - xi) * Math.log(1 - p);
      }
      expect(got[b]).toBeCloseTo(want, 3);
    }
    tf.dispose([x.t, l.t]);
  });

  test('Gaussian with fixed sigma equals the sum of normal log-densities in plain JS', async () => {
    const rng = new Rng(32);
    const B = 3,
      D = 6,
      sigma = 0.7;
    const x = randomMatrix(rng, B, D, -2, 2);
    const m = randomMatrix(rng, B, D, -2, 2);
    const got = await gaussianLogLikelihood(x.t, m.t, sigma).array();
    for (let b = 0; b < B; b++) {
      let want = 0;
      for (let d = 0; d < D; d++) {
        const r = x.a[b * D + d] - m.a[b * D + d];
        want += -Math.log(sigma * Math.sqrt(2 * Math.PI)) - (r * r) / (2 * sigma * sigma);
      }
      expect(got[b]).toBeCloseTo(want, 3);
    }
    expect(() => gaussianLogLikelihood(x.t, m.t, 0)).toThrow(/sigma/);
    tf.dispose([x.t, m.t]);
  });
});

describe('ELBO', () => {
  let model: Vae;
  let x: { t: tf.Tensor2D; a: number[] };
  beforeAll(() => {
    const rng = new Rng(33);
    model = new Vae({ inputDim: 12, latentDim: 3, hidden: [8], activation: 'tanh' }, rng);
    x = randomMatrix(rng, 5, 12, 0, 1);
  });
  afterAll(() => {
    model.dispose();
    x.t.dispose();
  });

  test('is E_q[log p(x|z)] - KL, with z recomputed from the replayed eps (1 and 3 samples)', async () => {
    for (const S of [1, 3]) {
      const key = { seed: 9, step: 4 };
      const r = elbo(model, x.t, key, { samples: S, useKernels: false });
      const want = tf.tidy(() => {
        const { muBZ, logVarBZ } = model.encode(x.t);
        const eps = standardNormal([S * 5, 3], key);
        const z = reparameterize(muBZ.tile([S, 1]) as tf.Tensor2D, logVarBZ.tile([S, 1]) as tf.Tensor2D, eps);
        const ll = bernoulliLogLikelihood(x.t.tile([S, 1]) as tf.Tensor2D, model.decode(z))
          .reshape([S, 5])
          .mean(0);
        return { ll, kl: gaussianKl(muBZ, logVarBZ) };
      });
      const [ll, kl, el, wl, wk] = await Promise.all(
        [r.logLikB, r.klB, r.elboB, want.ll, want.kl].map((t) => t.array() as Promise<number[]>),
      );
      for (let b = 0; b < 5; b++) {
        expect(ll[b]).toBeCloseTo(wl[b], 3);
        expect(kl[b]).toBeCloseTo(wk[b], 4);
        expect(el[b]).toBeCloseTo(ll[b] - kl[b], 3);
      }
      // beta = 1, no free bits: the loss is the mean negative ELBO
      expect((await r.loss.data())[0]).toBeCloseTo(-el.reduce((s, v) => s + v, 0) / 5, 3);
      tf.dispose([r.elboB, r.logLikB, r.klB, r.loss, want.ll, want.kl]);
    }
  });

  test('beta and free bits change only the loss: -mean logLik + beta * sum_j max(lambda, mean_b KL_bj)', async () => {
    const key = { seed: 2, step: 0 };
    const r = elbo(model, x.t, key, { beta: 0.3, freeBits: 0.5, useKernels: false });
    const perDim = tf.tidy(() => {
      const { muBZ, logVarBZ } = model.encode(x.t);
      return muBZ.square().add(logVarBZ.exp()).sub(logVarBZ).sub(1).mul(0.5).mean(0);
    });
    const kZ = Array.from(await perDim.data());
    const ll = Array.from(await r.logLikB.data());
    const want = -ll.reduce((s, v) => s + v, 0) / 5 + 0.3 * kZ.reduce((s, v) => s + Math.max(0.5, v), 0);
    expect((await r.loss.data())[0]).toBeCloseTo(want, 3);
    tf.dispose([r.elboB, r.logLikB, r.klB, r.loss, perDim]);
  });

  test('bad options and inputs throw errors naming the argument', () => {
    const key = { seed: 0, step: 0 };
    expect(() => elbo(model, x.t, key, { beta: -1 })).toThrow(/beta/);
    expect(() => elbo(model, x.t, key, { samples: 0 })).toThrow(/samples/);
    expect(() => elbo(model, x.t, key, { freeBits: -0.1 })).toThrow(/freeBits/);
    const wrong = tf.zeros([2, 7]) as tf.Tensor2D;
    expect(() => elbo(model, wrong, key)).toThrow(/^x: expected shape \[\*, 12\]/);
    wrong.dispose();
  });
});
