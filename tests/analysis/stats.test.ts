/**
 * src/analysis/stats.ts: Student-t quantiles against tabulated values and closed forms, the mean
 * interval against a direct computation, and the untrained baseline against scoring each seed's
 * untrained SAE by hand on the same inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../src/base/errors';
import { incompleteBeta, meanInterval, tCdf, tQuantile, untrainedBaseline } from '../../src/analysis/stats';
import { SynthBench } from '../../src/data/synth-bench';
import { createSae, type SaeConfig } from '../../src/sae/create';
import { evaluateKnownTruth } from '../../src/sae/eval/truth';

test('t quantiles match the tabulated values (two-sided 95%, and others)', () => {
  // Standard t table, 3 decimals: t_{0.975, df}.
  const table: Array<[number, number]> = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [4, 2.776],
    [5, 2.571],
    [9, 2.262],
    [10, 2.228],
    [30, 2.042],
    [120, 1.98],
  ];
  for (const [df, t] of table) expect(tQuantile(0.975, df)).toBeCloseTo(t, 3);
  expect(tQuantile(0.95, 4)).toBeCloseTo(2.132, 3);
  expect(tQuantile(0.995, 2)).toBeCloseTo(9.925, 3);
  expect(tQuantile(0.025, 3)).toBeCloseTo(-3.182, 3);
  expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.95996, 4); // the normal limit
});

test('t CDF equals its closed forms at 1 and 2 degrees of freedom; I_x(a, b) at b = 1', () => {
  for (const t of [-3, -0.5, 0, 0.7, 2, 10]) {
    expect(tCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 10); // Cauchy
    expect(tCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 10);
  }
  for (const x of [0.1, 0.5, 0.93]) {
    expect(incompleteBeta(x, 1, 1)).toBeCloseTo(x, 12);
    expect(incompleteBeta(x, 3.5, 1)).toBeCloseTo(x ** 3.5, 10);
  }
});

test('meanInterval: mean -/+ t sd / sqrt(n), computed by hand', () => {
  const values = [0.71, 0.74, 0.69, 0.8];
  const r = meanInterval(values);
  const mean = (0.71 + 0.74 + 0.69 + 0.8) / 4;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / 3);
  const half = (3.182446305 * sd) / 2; // t_{0.975, 3}
  expect(r.mean).toBeCloseTo(mean, 12);
  expect(r.sd).toBeCloseTo(sd, 12);
  expect(r.lo).toBeCloseTo(mean - half, 8);
  expect(r.hi).toBeCloseTo(mean + half, 8);
  expect(r.n).toBe(4);
  expect(() => meanInterval([1])).toThrow(InputError);
  expect(() => meanInterval([1, Number.NaN])).toThrow(InputError);
});

test('the untrained baseline is each seed untrained SAE scored on the same inputs, with its interval', async () => {
  const bench = new SynthBench({ numFeatures: 96, dim: 16, orthogonalization: null, seed: 3 });
  const config: SaeConfig = { architecture: 'topk', dIn: 16, nLatents: 32, k: 4 };
  const start = bench.getState();
  const before = tf.memory().numTensors;
  const baseline = await untrainedBaseline(config, bench, { seeds: [1, 2, 3], samples: 512 });
  expect(tf.memory().numTensors).toBe(before);
  const byHand: number[] = [];
  for (const seed of [1, 2, 3]) {
    bench.setState(start);
    const sae = createSae({ ...config, seed });
    byHand.push((await evaluateKnownTruth(sae, bench, { samples: 512 })).mcc);
    sae.dispose();
  }
  expect(baseline.perSeed.map((r) => r.mcc)).toEqual(byHand);
  const want = meanInterval(byHand);
  expect(baseline.metrics.mcc.mean).toBeCloseTo(want.mean, 12);
  expect(baseline.metrics.mcc.hi).toBeCloseTo(want.hi, 12);
  // Random decoders are far from the true directions, and seeds differ.
  expect(baseline.metrics.mcc.mean).toBeLessThan(0.8);
  expect(baseline.metrics.mcc.sd).toBeGreaterThan(0);
  await expect(untrainedBaseline(config, bench, { seeds: [1] })).rejects.toThrow(InputError);
});

test('an untrained BatchTopK baseline runs at L0 near k: its threshold comes from one batch selection', async () => {
  const bench = new SynthBench({ numFeatures: 96, dim: 16, orthogonalization: null, seed: 3 });
  const config: SaeConfig = { architecture: 'batch-topk', dIn: 16, nLatents: 32, k: 4 };
  const before = tf.memory().numTensors;
  const baseline = await untrainedBaseline(config, bench, { seeds: [1, 2, 3], samples: 1024 });
  expect(tf.memory().numTensors).toBe(before);
  // The threshold is the smallest of the top 4 x 1024 activations of one batch: on fresh inputs from
  // the same law about k fire (asserted: within 25% of k), where threshold 0 lets every positive one fire.
  expect(baseline.metrics.saeL0.mean).toBeGreaterThan(3);
  expect(baseline.metrics.saeL0.mean).toBeLessThan(5);
});
