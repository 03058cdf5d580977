import * as tf from '@tensorflow/tfjs';
import { perCoordinateMoments, thresholdGradients } from '../../src/analysis/threshold-gradients';
import { Rng } from '../../src/core/random';
import { readAndDispose } from '../../src/core/train';
import { SuperpositionData } from '../../src/data/synthetic';
import { JumpReluSae } from '../../src/sae';

test('perCoordinateMoments equals the two-pass mean and unbiased variance', () => {
  const rng = new Rng(1);
  const samples = Array.from({ length: 9 }, () => Float32Array.from({ length: 5 }, () => rng.normal() * 3 + 1));
  const { mean, variance } = perCoordinateMoments(samples);
  for (let i = 0; i < 5; i++) {
    const xs = samples.map((s) => s[i]);
    const m = xs.reduce((a, b) => a + b) / xs.length;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
    expect(mean[i]).toBeCloseTo(m, 10);
    expect(variance[i]).toBeCloseTo(v, 9);
  }
  expect(() => perCoordinateMoments([samples[0]])).toThrow(/samples/);
});

test('threshold gradients leave the parameters and tensor count unchanged; pooling over W = 8 steps lowers their variance', async () => {
  const data = () => new SuperpositionData({ numFeatures: 48, dim: 16, probability: 0.08, seed: 3 });
  const make = (kdeWindow: number) =>
    new JumpReluSae({
      architecture: 'jumprelu',
      dIn: 16,
      nLatents: 32,
      seed: 2,
      bandwidth: 0.2,
      initialThreshold: 0.3,
      l0Coefficient: 1,
      kdeWindow,
    });
  const plain = make(0);
  const pooled = make(8);
  const thetaBefore = await readAndDispose(plain.theta());
  const before = tf.memory().numTensors;
  const g0 = await thresholdGradients(plain, data(), { batches: 24, batchSize: 32 });
  expect(tf.memory().numTensors).toBe(before);
  expect(Array.from(await readAndDispose(plain.theta()))).toEqual(Array.from(thetaBefore));
  const g8 = await thresholdGradients(pooled, data(), { batches: 24, batchSize: 32, warmup: 8, stride: 9 });
  expect(g8).toHaveLength(24);
  expect(g0).toHaveLength(24);
  const v0 = perCoordinateMoments(g0).variance.reduce((a, b) => a + b);
  const v8 = perCoordinateMoments(g8).variance.reduce((a, b) => a + b);
  expect(v0).toBeGreaterThan(0);
  expect(v8).toBeLessThan(0.7 * v0);
  plain.dispose();
  pooled.dispose();
});
