import * as tf from '@tensorflow/tfjs';
import {
  type LockstepArm,
  absoluteChangeLast20,
  relativeChangeLast20,
  trainInLockstep,
  untrainedSae,
} from '../../experiments/common';
import { makeContext } from '../../experiments/study';
import { Rng } from '../../src/core/random';
import { ArraySource } from '../../src/data/source';
import { BatchTopKSae, SaeTrainer, type SparseAutoencoder, createSae, denseLatents } from '../../src/sae';
import { tempDir } from '../setup/temp-dir';

const D = 8;
const rows = (seed: number, m: number) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: m * D }, () => rng.normal());
};
const ctx = () => makeContext({ quick: true, seed: 0, outDir: tempDir('lockstep-'), quiet: true, figures: [] });
const config = { steps: 7, batchSize: 16, lr: 3e-3, initSamples: 32, deadWindow: 64 };
const weightsOf = async (sae: { params: { snapshot(): Record<string, tf.Tensor> } }) => {
  const snap = sae.params.snapshot();
  const out = Object.fromEntries(await Promise.all(Object.entries(snap).map(async ([k, t]) => [k, await t.data()])));
  tf.dispose(Object.values(snap));
  return out;
};

test('trainInLockstep: every arm reads the same batches (each equals a lone trainer on the stream); checkpoints count samples seen', async () => {
  const data = rows(1, 200);
  const topk = (seed: number) => createSae({ architecture: 'topk', dIn: D, nLatents: 12, k: 3, seed });
  // Reference: one trainer alone on the stream.
  const lone = topk(4);
  const trainer = new SaeTrainer(lone, new ArraySource(data, D), config);
  await trainer.train();
  trainer.dispose();
  const want = await weightsOf(lone);

  // Two arms of different architectures in lockstep; the TopK arm must match the lone run exactly.
  const arms: LockstepArm[] = [
    { label: 'topk', saes: [topk(4)] },
    { label: 'batch-topk', saes: [createSae({ architecture: 'batch-topk', dIn: D, nLatents: 12, k: 3, seed: 4 })] },
  ];
  const seen: number[] = [];
  const before = tf.memory().numTensors;
  await trainInLockstep(ctx(), arms, new ArraySource(data, D), config, {
    checkpoints: 3,
    async onCheckpoint(s) {
      seen.push(s);
    },
  });
  expect(tf.memory().numTensors).toBe(before);
  expect(seen).toEqual([3 * 16, 6 * 16, 7 * 16]);
  const got = await weightsOf(arms[0].saes[0]);
  for (const k of Object.keys(want)) expect(Array.from(got[k])).toEqual(Array.from(want[k]));
  for (const sae of [lone as SparseAutoencoder, ...arms.flatMap((a) => a.saes)]) sae.dispose();
});

test('untrainedSae: b_dec from the sample; a BatchTopK threshold set by one selection, so L0 is near k, not every positive latent', async () => {
  const sample = rows(2, 256);
  const sae = await untrainedSae({ architecture: 'batch-topk', dIn: D, nLatents: 32, k: 4, seed: 1 }, sample);
  expect(sae).toBeInstanceOf(BatchTopKSae);
  const theta = (await (sae as BatchTopKSae).threshold.data())[0];
  expect(theta).toBeGreaterThan(0);
  // Naive count: latents per input above theta on the same sample.
  const dense = tf.tidy(() => denseLatents(sae.encode(tf.tensor2d(sample, [256, D])), 32));
  const values = await dense.data();
  dense.dispose();
  let fired = 0;
  for (const v of values) if (v > 0) fired++;
  expect(fired / 256).toBeGreaterThan(0);
  expect(fired / 256).toBeLessThan(16); // far below the ~n/2 positive pre-activations a threshold of 0 keeps
  const plain = createSae({ architecture: 'batch-topk', dIn: D, nLatents: 32, k: 4, seed: 1 });
  const y = tf.tensor2d(sample, [256, D]);
  await plain.initFromData(y);
  y.dispose();
  expect(Array.from(await sae.bDecD.data())).toEqual(Array.from(await plain.bDecD.data()));
  sae.dispose();
  plain.dispose();
});

test('the plateau checks read the change from the checkpoint nearest 80% of the samples seen', () => {
  const xs = [100, 200, 300, 400, 500];
  const v = [1, 0.5, 0.4, 0.3, 0.27];
  // 80% of 500 is 400: (0.27 - 0.3) / 0.3.
  expect(relativeChangeLast20(xs, v)).toBeCloseTo(-0.1, 12);
  expect(absoluteChangeLast20(xs, v)).toBeCloseTo(-0.03, 12);
  expect(absoluteChangeLast20(xs, [0, 0, 0, 0, 0.2])).toBeCloseTo(0.2, 12);
  expect(() => relativeChangeLast20(xs, [1, 1, 1, 0, 1])).toThrow(/80%/);
});
