import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core';
import { Vae, VaeTrainer, evaluateVae, gaussianRing, klWeight, twoMoons } from '../../src/vae';
import { leakedBy } from './helpers';

describe('VAE training', () => {
  test('a short run on the toy ring lowers the held-out negative ELBO by a clear margin', async () => {
    const model = new Vae(
      { inputDim: 2, latentDim: 2, hidden: [32, 32], activation: 'tanh', likelihood: 'gaussian', sigma: 0.2 },
      new Rng(1),
    );
    const train = gaussianRing(2000, new Rng(2));
    const test = gaussianRing(500, new Rng(3));
    const before = await evaluateVae(model, test);
    const trainer = new VaeTrainer(model, train, { steps: 400, batchSize: 64, lr: 3e-3, seed: 4, logEvery: 100 });
    const history = await trainer.train();
    const after = await evaluateVae(model, test);
    // Observed: ~60 nats at init, ~3 nats after 400 steps. Demand most of that drop.
    expect(before.negElbo - after.negElbo).toBeGreaterThan(20);
    expect(after.negElbo).toBeLessThan(8);
    expect(history.series('negElbo').length).toBe(4);
    expect(history.last('negElbo')!).toBeLessThan(history.series('negElbo')[0].value);
    trainer.dispose();
    model.dispose();
  });

  test('KL warm-up ramps beta linearly from ~0 to its target, and the loop reports it', async () => {
    expect(klWeight(0, 1, 100)).toBeCloseTo(0.01);
    expect(klWeight(49, 1, 100)).toBeCloseTo(0.5);
    expect(klWeight(500, 0.5, 100)).toBe(0.5);
    expect(klWeight(3, 2, 0)).toBe(2);
    const model = new Vae({ inputDim: 2, latentDim: 1, hidden: [8], likelihood: 'gaussian' }, new Rng(5));
    const trainer = new VaeTrainer(model, twoMoons(100, new Rng(6)), {
      steps: 10,
      batchSize: 16,
      klWarmupSteps: 20,
      logEvery: 5,
    });
    const history = await trainer.train();
    expect(history.series('beta').map((p) => p.value)).toEqual([0.25, 0.5]);
    trainer.dispose();
    model.dispose();
  });

  test('no tensor leaks over many steps and evaluations', async () => {
    const model = new Vae({ inputDim: 2, latentDim: 2, hidden: [16], likelihood: 'gaussian' }, new Rng(7));
    const data = gaussianRing(300, new Rng(8));
    const trainer = new VaeTrainer(model, data, {
      steps: 10,
      batchSize: 32,
      samples: 2,
      freeBits: 0.1,
      klWarmupSteps: 3,
    });
    await trainer.train({ shouldStop: () => trainer.stepsTaken >= 5 }); // first steps may allocate lazily
    const leaked = await leakedBy(async () => {
      await trainer.train(); // continues from step 5 to 10
      for (let i = 0; i < 60; i++) {
        const r = trainer.step(10 + i);
        tf.dispose([r.loss, r.negElbo, r.kl]);
      }
      await evaluateVae(model, data, { batchSize: 128, iwaeK: 4, iwaeExamples: 200 });
    });
    expect(leaked).toBe(0);
    trainer.dispose();
    model.dispose();
  });

  test('evaluation reports -IWAE below -ELBO and checks its arguments', async () => {
    const model = new Vae({ inputDim: 2, latentDim: 2, hidden: [16], likelihood: 'gaussian', sigma: 0.3 }, new Rng(9));
    const data = gaussianRing(400, new Rng(10));
    const ev = await evaluateVae(model, data, { iwaeK: 32 });
    expect(ev.negIwae).toBeLessThan(ev.negElbo);
    expect(ev.recon + ev.kl).toBeCloseTo(ev.negElbo, 3);
    await expect(evaluateVae(model, data, { iwaeExamples: 401 })).rejects.toThrow(/^iwaeExamples/);
    model.dispose();
  });
});
