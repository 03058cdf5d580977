import * as tf from '@tensorflow/tfjs';
import { Adam, Rng, clipScale, makeSchedule, ConfigError } from '../../src';

describe('Adam', () => {
  test('matches Algorithm 1 of Kingma & Ba computed in plain JS over three steps', () => {
    const rng = new Rng(4);
    const p0 = Array.from({ length: 6 }, () => rng.normal());
    const grads = [0, 1, 2].map(() => Array.from({ length: 6 }, () => rng.normal()));
    const p = tf.variable(tf.tensor(p0));
    const adam = new Adam({ p }, { lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6 });
    for (const g of grads) {
      const gt = tf.tensor(g);
      adam.step({ p: gt });
      gt.dispose();
    }
    // Independent computation.
    const m = new Array(6).fill(0),
      v = new Array(6).fill(0),
      x = [...p0];
    grads.forEach((g, t) => {
      for (let i = 0; i < 6; i++) {
        m[i] = 0.8 * m[i] + 0.2 * g[i];
        v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i];
        const mh = m[i] / (1 - 0.8 ** (t + 1)),
          vh = v[i] / (1 - 0.95 ** (t + 1));
        x[i] -= (0.01 * mh) / (Math.sqrt(vh) + 1e-6);
      }
    });
    const got = p.dataSync();
    x.forEach((xi, i) => expect(got[i]).toBeCloseTo(xi, 5));
    adam.dispose();
    p.dispose();
  });

  test('creating and disposing an optimiser leaves no tensors behind', () => {
    const p = tf.variable(tf.ones([3, 4]));
    const before = tf.memory().numTensors;
    const adam = new Adam({ p }, { lr: 1e-3 });
    expect(tf.memory().numTensors).toBe(before + 2); // m and v
    adam.dispose();
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  test('global-norm clipping rescales all gradients together', () => {
    const a = tf.tensor([3, 0]);
    const b = tf.tensor([0, 4]); // global norm 5
    expect(clipScale([a, b], 1).dataSync()[0]).toBeCloseTo(0.2, 6);
    expect(clipScale([a, b], 10).dataSync()[0]).toBe(1);
    tf.dispose([a, b]);
  });

  test('schedules: linear warm-up, then cosine or linear decay to the final fraction', () => {
    const cos = makeSchedule({ lr: 1, warmupSteps: 10, totalSteps: 110, decay: 'cosine', finalFraction: 0.1 });
    expect(cos(0)).toBeCloseTo(0.1);
    expect(cos(9)).toBeCloseTo(1);
    expect(cos(10)).toBeCloseTo(1);
    expect(cos(60)).toBeCloseTo(0.1 + 0.9 * 0.5);
    expect(cos(110)).toBeCloseTo(0.1);
    const lin = makeSchedule({ lr: 2, totalSteps: 100, decay: 'linear', decayStart: 0.8 });
    expect(lin(50)).toBe(2);
    expect(lin(90)).toBeCloseTo(1);
    expect(lin(100)).toBeCloseTo(0);
  });

  test('bad settings are rejected by name', () => {
    const p = tf.variable(tf.zeros([2]));
    expect(() => new Adam({ p }, { lr: -1 })).toThrow(/lr: must be a number in \[0, Infinity\], got -1/);
    expect(() => new Adam({ p }, { lr: 1e-3, beta1: 1 })).toThrow(/beta1/);
    expect(() => new Adam({ p }, { lr: 1e-3, clipNorm: 0 })).toThrow(/clipNorm/);
    expect(() => makeSchedule({ lr: 1, decay: 'cosine' })).toThrow(ConfigError);
    expect(() => makeSchedule({ lr: 1, decay: 'exp' as 'linear', totalSteps: 5 })).toThrow(/decay: must be one of/);
    p.dispose();
  });
});
