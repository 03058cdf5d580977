import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core';
import {
  Vae,
  gaussianKl,
  interpolate,
  klPerDimension,
  latentActivity,
  latentGrid,
  latentGridPoints,
  reconstruct,
  samplePrior,
} from '../../src/vae';
import { randomMatrix } from './helpers';

describe('uses of a trained VAE', () => {
  let model: Vae;
  let x: tf.Tensor2D;
  beforeAll(() => {
    model = new Vae({ inputDim: 10, latentDim: 2, hidden: [8] }, new Rng(1));
    x = randomMatrix(new Rng(2), 6, 10, 0, 1).t;
  });
  afterAll(() => {
    model.dispose();
    x.dispose();
  });

  test('reconstructions decode the posterior mean', async () => {
    const r = reconstruct(model, x);
    const want = tf.tidy(() => tf.sigmoid(model.decode(model.encode(x).muBZ)));
    expect(r.shape).toEqual([6, 10]);
    expect(Array.from(await r.data())).toEqual(Array.from(await want.data()));
    tf.dispose([r, want]);
  });

  test('prior samples are pixel probabilities, reproducible from the key', async () => {
    const a = await samplePrior(model, 5, { seed: 3, step: 0 }).data();
    const b = await samplePrior(model, 5, { seed: 3, step: 0 }).data();
    expect(a.length).toBe(50);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
  });

  test('the latent grid runs from top-left (-span, +span) to bottom-right (+span, -span), 2-D latents only', async () => {
    const pts = await latentGridPoints(3, 2).array();
    expect(pts[0]).toEqual([-2, 2]);
    expect(pts[2]).toEqual([2, 2]);
    expect(pts[8]).toEqual([2, -2]);
    const g = latentGrid(model, 4);
    expect(g.shape).toEqual([16, 10]);
    g.dispose();
    const z3 = new Vae({ inputDim: 10, latentDim: 3, hidden: [] }, new Rng(4));
    expect(() => latentGrid(z3, 4)).toThrow(/^latentDim: a latent grid needs a 2-D latent space/);
    z3.dispose();
  });

  test('interpolation starts and ends at the two reconstructions', async () => {
    const a = x.slice([0, 0], [1, 10]),
      b = x.slice([1, 0], [1, 10]);
    const path = await interpolate(model, a, b, 5).array();
    const rec = await reconstruct(model, x.slice([0, 0], [2, 10])).array();
    expect(path.length).toBe(5);
    path[0].forEach((v, i) => expect(v).toBeCloseTo(rec[0][i], 5));
    path[4].forEach((v, i) => expect(v).toBeCloseTo(rec[1][i], 5));
    expect(() => interpolate(model, a, b, 1)).toThrow(/^steps/);
    tf.dispose([a, b]);
  });

  test('KL per dimension sums to the mean KL; activity is the variance of the means', async () => {
    const perDim = Array.from(await klPerDimension(model, x).data());
    const { muBZ, logVarBZ } = model.encode(x);
    const total = (await gaussianKl(muBZ, logVarBZ).mean().data())[0];
    expect(perDim.reduce((s, v) => s + v, 0)).toBeCloseTo(total, 4);
    const mus = (await muBZ.array()) as number[][];
    const act = Array.from(await latentActivity(model, x).data());
    for (let j = 0; j < 2; j++) {
      const m = mus.reduce((s, r) => s + r[j], 0) / mus.length;
      expect(act[j]).toBeCloseTo(mus.reduce((s, r) => s + (r[j] - m) ** 2, 0) / mus.length, 5);
    }
    tf.dispose([muBZ, logVarBZ]);
  });
});
