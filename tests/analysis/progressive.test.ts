import * as tf from '@tensorflow/tfjs';
import { fvuAtK, nextActivationRatios, progressiveRatios } from '../../src/analysis/progressive';
import { Rng } from '../../src/core/random';
import { TopKSae, denseLatents } from '../../src/sae';
import { evaluateSae } from '../../src/sae/eval/reconstruction';

function randomRows(rng: Rng, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal() + (i % d) * 0.1;
  return out;
}

test('nextActivationRatios sorts each row and divides the (k+1)-th largest by the k-th', () => {
  // k = 2: rows [3, 1, 2] -> 1/2; [0, 0, 5] -> kth = 0 -> 0; [4, 4, 4] -> 1.
  expect(Array.from(nextActivationRatios([3, 1, 2, 0, 0, 5, 4, 4, 4], 3))).toEqual([0.5, 0, 1]);
  expect(() => nextActivationRatios([1, 2, 3], 2)).toThrow(/valuesBK1/);
});

test('fvuAtK at the trained k equals evaluateSae, and at another k the float64 definition from the reconstruction', async () => {
  const rng = new Rng(2);
  const d = 12;
  const m = 300;
  const rows = randomRows(rng, m, d);
  const sae = new TopKSae({ architecture: 'topk', dIn: d, nLatents: 40, k: 5, seed: 1 });
  const before = tf.memory().numTensors;
  const fvu = await fvuAtK(sae, rows, 5, 64);
  expect(tf.memory().numTensors).toBe(before);
  const ev = await evaluateSae(sae, rows, { batchSize: 100 });
  expect(fvu).toBeCloseTo(ev.fvu, 5);
  // The naive definition in float64 from the dense latents at k = 9.
  const x = tf.tensor2d(rows, [m, d]);
  const recon = tf.tidy(() => sae.decode(sae.encodeWithK(x, 9)));
  const r = await recon.data();
  tf.dispose([x, recon]);
  const mean = Array.from({ length: d }, (_, c) => rows.filter((_, i) => i % d === c).reduce((a, b) => a + b) / m);
  let num = 0;
  let den = 0;
  rows.forEach((v, i) => {
    num += (v - r[i]) ** 2;
    den += (v - mean[i % d]) ** 2;
  });
  expect(await fvuAtK(sae, rows, 9, 77)).toBeCloseTo(num / den, 5);
  sae.dispose();
});

test('progressiveRatios equals the ratio read from the dense latents at k + 1, and leaves no tensors', async () => {
  const rng = new Rng(4);
  const d = 10;
  const rows = randomRows(rng, 50, d);
  const sae = new TopKSae({ architecture: 'topk', dIn: d, nLatents: 30, k: 3, seed: 2 });
  const before = tf.memory().numTensors;
  const ratios = await progressiveRatios(sae, rows, 3);
  expect(tf.memory().numTensors).toBe(before);
  const x = tf.tensor2d(rows, [50, d]);
  const dense = tf.tidy(() => denseLatents(sae.encodeWithK(x, 4), 30));
  const f = await dense.data();
  tf.dispose([x, dense]);
  for (let b = 0; b < 50; b++) {
    const row = Array.from(f.subarray(b * 30, b * 30 + 30)).sort((p, q) => q - p);
    expect(ratios[b]).toBeCloseTo(row[2] > 0 ? row[3] / row[2] : 0, 5);
  }
  sae.dispose();
});
