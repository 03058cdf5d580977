import * as tf from '@tensorflow/tfjs';
import {
  batchSelection,
  calibrateThresholds,
  firingRates,
  fitGlobalThreshold,
  thresholdedMetrics,
} from '../../src/analysis/batchtopk-threshold';
import { Rng } from '../../src/core/random';
import { BatchTopKSae } from '../../src/sae';
import { evaluateSae } from '../../src/sae/eval/reconstruction';

test('calibrated thresholds make each latent fire on exactly round(rate M) calibration rows (brute-force count)', () => {
  const rng = new Rng(7);
  const M = 40;
  const N = 6;
  const relu = Float64Array.from({ length: M * N }, () => Math.max(0, rng.normal()));
  const rates = [0, 0.1, 0.25, 0.5, 0.33, 1];
  const theta = calibrateThresholds(relu, M, N, rates);
  expect(theta[0]).toBe(Number.POSITIVE_INFINITY);
  for (let i = 0; i < N; i++) {
    let fires = 0;
    for (let m = 0; m < M; m++) if (relu[m * N + i] > theta[i]) fires++;
    // Latent 5 (rate 1) fires wherever ReLU(z) > 0: every row with a positive value.
    const positives = Array.from({ length: M }, (_, m) => relu[m * N + i]).filter((v) => v > 0).length;
    expect(fires).toBe(Math.min(Math.round(rates[i] * M), positives));
  }
  expect(Array.from(firingRates([1, 0, 2, 0, 0, 3], 2, 3))).toEqual([0.5, 0, 1]);
});

test('thresholdedMetrics with the global threshold for every latent equals evaluateSae; batch selection keeps k per input on average', async () => {
  const rng = new Rng(3);
  const D = 10;
  const M = 96;
  const rows = Float32Array.from({ length: M * D }, () => rng.normal());
  const sae = new BatchTopKSae({ architecture: 'batch-topk', dIn: D, nLatents: 24, k: 3, seed: 1 });
  sae.threshold.assign(tf.scalar(0.4));
  const before = tf.memory().numTensors;
  const global = await thresholdedMetrics(sae, rows, new Float64Array(24).fill(0.4), 32);
  const ev = await evaluateSae(sae, rows, { batchSize: 48 });
  expect(global.l0).toBeCloseTo(ev.l0, 6);
  expect(global.fvu).toBeCloseTo(ev.fvu, 5);
  const batch = await thresholdedMetrics(sae, rows, null, 32);
  expect(batch.l0).toBeCloseTo(3, 6); // floor(k B) = 96 per batch of 32, when enough entries are positive
  const { reluMN, selectedMN } = await batchSelection(sae, rows, 32);
  expect(tf.memory().numTensors).toBe(before);
  const rates = firingRates(selectedMN, M, 24);
  expect(rates.reduce((a, b) => a + b)).toBeCloseTo(3, 6);
  // Calibrated to these rows, the per-latent thresholds reproduce the batch selection's L0 on them.
  const calibrated = await thresholdedMetrics(sae, rows, calibrateThresholds(reluMN, M, 24, rates), 32);
  expect(calibrated.l0).toBeCloseTo(3, 6);
  sae.dispose();
});

test('the fitted global threshold lets exactly floor(k M) calibration entries through (brute-force count)', () => {
  const rng = new Rng(11);
  const M = 30;
  const N = 8;
  const relu = Float64Array.from({ length: M * N }, () => Math.max(0, rng.normal()));
  for (const k of [0.5, 1, 2.5, 3]) {
    const theta = fitGlobalThreshold(relu, M, k);
    let passed = 0;
    for (const v of relu) if (v > theta) passed++;
    expect(passed).toBe(Math.floor(k * M));
  }
  expect(() => fitGlobalThreshold(relu, M, 0)).toThrow(/k/);
  expect(() => fitGlobalThreshold(relu, 7, 1)).toThrow(/reluMN/);
});
