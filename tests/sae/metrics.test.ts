/**
 * Held-out metrics against a float64 JS computation over the whole set: FVU with numerator
 * and denominator summed separately (not per-batch ratios), L0, dead fraction, density
 * histogram, relative reconstruction bias.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { createSae } from '../../src/sae/create';
import { denseLatents } from '../../src/sae/base';
import { densityHistogram, evaluateSae } from '../../src/sae/eval/reconstruction';
import { randn, rowsOf } from './helpers';

test('evaluateSae over uneven batches equals whole-set sums (and differs from the mean of batch ratios)', async () => {
  const D = 5;
  const N = 16;
  const M = 23;
  const rng = new Rng(3);
  const flat = randn(rng, M * D);
  for (let i = 0; i < 10 * D; i++) flat[i] += 3; // the first batch has a shifted mean: per-batch FVU would differ
  const sae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 2, seed: 1 });
  const ev = await evaluateSae(sae, flat, { batchSize: 10 }); // batches of 10, 10, 3
  const x = tf.tensor2d(flat, [M, D]);
  const lat = sae.encode(x);
  const recon = sae.decode(lat);
  const dense = rowsOf(await denseLatents(lat, N).data(), M, N);
  const X = rowsOf(flat, M, D);
  const R = rowsOf(await recon.data(), M, D);
  const mean = Array.from({ length: D }, (_, j) => X.reduce((s, r) => s + r[j], 0) / M);
  let num = 0;
  let den = 0;
  let rr = 0;
  let xr = 0;
  X.forEach((row, b) =>
    row.forEach((v, j) => {
      num += (v - R[b][j]) ** 2;
      den += (v - mean[j]) ** 2;
      rr += R[b][j] ** 2;
      xr += v * R[b][j];
    }),
  );
  const fired = Array.from({ length: N }, (_, i) => dense.filter((r) => r[i] > 0).length);
  expect(ev.inputs).toBe(M);
  expect(ev.mse).toBeCloseTo(num / M, 5);
  expect(ev.fvu).toBeCloseTo(num / den, 5);
  expect(ev.explainedVariance).toBeCloseTo(1 - num / den, 5);
  expect(ev.l0).toBeCloseTo(fired.reduce((s, f) => s + f, 0) / M, 6);
  expect(ev.deadFraction).toBeCloseTo(fired.filter((f) => f === 0).length / N, 6);
  ev.density.forEach((d, i) => expect(d).toBeCloseTo(fired[i] / M, 6));
  expect(ev.relativeReconstructionBias).toBeCloseTo(rr / xr, 5);
  // The buggy alternative (mean of per-batch ratios) gives a different number on this data.
  let perBatch = 0;
  for (const [s, e] of [
    [0, 10],
    [10, 20],
    [20, 23],
  ]) {
    const bm = Array.from({ length: D }, (_, j) => X.slice(s, e).reduce((t, r) => t + r[j], 0) / (e - s));
    let n2 = 0;
    let d2 = 0;
    for (let b = s; b < e; b++)
      for (let j = 0; j < D; j++) {
        n2 += (X[b][j] - R[b][j]) ** 2;
        d2 += (X[b][j] - bm[j]) ** 2;
      }
    perBatch += n2 / d2 / 3;
  }
  expect(Math.abs(perBatch - ev.fvu)).toBeGreaterThan(0.05);
  tf.dispose([x, recon]);
  if (lat.kind === 'sparse') tf.dispose([lat.valuesBK, lat.indicesBK]);
  sae.dispose();
});

test('density histogram: log10 bins from 1e-8 to 1, dead latents excluded', () => {
  const h = densityHistogram([0, 1e-9, 0.001, 0.0015, 0.5, 1], 1);
  expect(h.log10Edges).toEqual([-8, -7, -6, -5, -4, -3, -2, -1, 0]);
  expect(h.counts).toEqual([1, 0, 0, 0, 0, 2, 0, 2]); // 1e-9 clamps into the first bin, 1 into the last
});
