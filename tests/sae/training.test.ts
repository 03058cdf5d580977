/**
 * Training on synthetic superposition data with known directions (src/data/synthetic.ts):
 * a TopK SAE recovers them from tied and from untied init, tied init starts every encoder row on its
 * decoder row, and no architecture leaks tensors over many steps (AuxK and the KDE buffer included).
 *
 * Which init leaves fewer dead latents is not asserted: on one seed at this length the order is a
 * coin flip that a wider run reverses (issue 22), so it belongs to an experiment with several
 * seeds and intervals, not to a unit test.
 */
import * as tf from '@tensorflow/tfjs';
import { createSae, type SaeConfig } from '../../src/sae/create';
import { SaeTrainer } from '../../src/sae/trainer';
import { evaluateSae } from '../../src/sae/eval/reconstruction';
import { SuperpositionData } from '../../src/data/synthetic';
import { featureRecovery } from '../../src/sae/eval/truth';

const M = 32;
const D = 16;
const N = 64;
const K = 4;
const data = () => new SuperpositionData({ numFeatures: M, dim: D, probability: 3 / M, seed: 1 });

/** Mean over latents of the cosine between encoder column i and decoder row i. */
async function encoderDecoderCosine(sae: { wEncDN: tf.Variable; wDecND: tf.Variable }): Promise<number> {
  const enc = (await sae.wEncDN.data()) as Float32Array; // [D, N]
  const dec = (await sae.wDecND.data()) as Float32Array; // [N, D]
  let total = 0;
  for (let i = 0; i < N; i++) {
    let dot = 0;
    let ee = 0;
    let dd = 0;
    for (let j = 0; j < D; j++) {
      dot += enc[j * N + i] * dec[i * D + j];
      ee += enc[j * N + i] ** 2;
      dd += dec[i * D + j] ** 2;
    }
    total += dot / Math.sqrt(ee * dd);
  }
  return total / N;
}

async function trainTopK(tiedInit: boolean) {
  const src = data();
  const sae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: K, tiedInit, seed: 5 });
  const initCosine = await encoderDecoderCosine(sae);
  const chance = featureRecovery({
    decoder: (await sae.wDecND.data()) as Float32Array,
    directions: src.directions,
    dim: D,
  });
  const trainer = new SaeTrainer(sae, src, {
    steps: 300,
    batchSize: 256,
    lr: 1e-2,
    deadWindow: 256 * 20,
    logEvery: 300,
  });
  await trainer.train();
  const rec = featureRecovery({
    decoder: (await sae.wDecND.data()) as Float32Array,
    directions: src.directions,
    dim: D,
  });
  const ev = await evaluateSae(sae, src, { batches: 2, batchSize: 1024 });
  const dead = (await trainer.deadLatents()).length;
  trainer.dispose();
  sae.dispose();
  return {
    initCosine,
    chance: chance.meanMaxCosine,
    mmcs: rec.meanMaxCosine,
    recovered: rec.recovered,
    dead,
    fvu: ev.fvu,
  };
}

test('TopK SAE recovers the true directions from tied and untied init; tied init starts aligned', async () => {
  const tied = await trainTopK(true);
  const untied = await trainTopK(false);
  // Chance level: a random unit decoder's mean max cosine to 32 random directions in d=16 is ~0.57
  // (measured at init). 0.9 is far above chance and means every direction is matched to within ~25
  // degrees on average; a trained TopK SAE here reaches ~0.98.
  expect(tied.chance).toBeLessThan(0.7);
  expect(tied.mmcs).toBeGreaterThan(0.9);
  expect(tied.recovered).toBeGreaterThanOrEqual(0.75 * M);
  expect(tied.fvu).toBeLessThan(0.2);
  // The mechanism tied init relies on: each latent's encoder row starts on its decoder row (cosine 1),
  // where an independent init starts near orthogonal (|cosine| ~ 1/sqrt(D) = 0.25 for one latent).
  expect(tied.initCosine).toBeCloseTo(1, 5);
  expect(Math.abs(untied.initCosine)).toBeLessThan(0.15);
  // Untied init trains too: far above chance, though it starts unaligned.
  expect(untied.mmcs).toBeGreaterThan(untied.chance + 0.2);
});

const configs: SaeConfig[] = [
  { architecture: 'relu-l1', dIn: D, nLatents: N },
  { architecture: 'topk', dIn: D, nLatents: N, k: K },
  { architecture: 'topk', dIn: D, nLatents: N, k: K, multiTopK: true },
  { architecture: 'batch-topk', dIn: D, nLatents: N, k: K },
  { architecture: 'jumprelu', dIn: D, nLatents: N },
  { architecture: 'jumprelu', dIn: D, nLatents: N, thresholdParam: 'log-theta', kdeWindow: 3 },
  { architecture: 'matryoshka', dIn: D, nLatents: N, k: K },
  { architecture: 'matryoshka', dIn: D, nLatents: N, k: K, prefixes: [8, 16, 64], useKernels: false },
  { architecture: 'matryoshka-batch-topk', dIn: D, nLatents: N, k: K },
  { architecture: 'matryoshka-batch-topk', dIn: D, nLatents: N, k: K, useKernels: false },
  { architecture: 'gated', dIn: D, nLatents: N },
];
test.each(configs)('no tensor leaks over 30 steps (with dead latents for AuxK): %o', async (config) => {
  const sae = createSae(config);
  // deadWindow 64 with batch 32: latents count as dead after two quiet steps, so AuxK runs.
  const trainer = new SaeTrainer(sae, data(), { steps: 30, batchSize: 32, lr: 1e-2, deadWindow: 64, initSamples: 64 });
  await trainer.initialise();
  const warm = async (n: number) => {
    for (let i = 0; i < n; i++)
      tf.dispose(Object.values(await trainer.step()).filter((v) => typeof v !== 'number') as tf.Tensor[]);
  };
  await warm(5); // fills the KDE buffer (window 3)
  const before = tf.memory().numTensors;
  await warm(25);
  expect(tf.memory().numTensors).toBe(before);
  if ('auxKCoefficient' in sae) {
    // The AuxK path really ran: some latents were dead and the auxiliary loss is nonzero.
    expect((await trainer.deadLatents()).length).toBeGreaterThan(0);
    const metrics = await trainer.step();
    expect((await (metrics.auxK as tf.Scalar).data())[0]).toBeGreaterThan(0);
    tf.dispose(Object.values(metrics).filter((v) => typeof v !== 'number') as tf.Tensor[]);
  }
  trainer.dispose();
  sae.dispose();
});
