/**
 * SaeTrainer: every batch from the source is checked (shape, finite values) before it reaches the
 * model; the metrics do not mislead (dead fraction NaN until its window has passed, AuxK off until
 * then; the same metrics for every architecture; an architecture's term never overwrites the
 * trainer's own metric; BatchTopK reports its inference L0 beside the training L0).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../src/base/errors';
import { readMetrics } from '../../src/core/train';
import { SuperpositionData } from '../../src/data/synthetic';
import { type SaeConfig, createSae } from '../../src/sae/create';
import { SaeTrainer } from '../../src/sae/trainer';

const D = 8;
const N = 16;
const data = () => new SuperpositionData({ numFeatures: 12, dim: D, probability: 0.2, seed: 3 });

test('a batch with a NaN, or of the wrong length, is rejected before the step: the weights stay as they were', async () => {
  const sae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 2 });
  const good = data();
  let calls = 0;
  const source = {
    dim: D,
    nextBatch: (b: number) => {
      const rows = good.nextBatch(b);
      if (++calls === 2) rows[5 * D + 3] = Number.NaN;
      if (calls === 3) return rows.subarray(0, (b - 1) * D);
      return rows;
    },
  };
  const trainer = new SaeTrainer(sae, source, { steps: 3, batchSize: 8, initSamples: 0, lr: 1e-2 });
  tf.dispose(Object.values(await trainer.step()).filter((v) => typeof v !== 'number') as tf.Tensor[]);
  const before = Array.from(await sae.wDecND.data());
  const tensors = tf.memory().numTensors;
  await expect(trainer.step()).rejects.toThrow(InputError);
  await expect(trainer.step()).rejects.toThrow(
    /^source\.nextBatch: must return a Float32Array of 8 x 8 values, got 56 values/,
  );
  expect(tf.memory().numTensors).toBe(tensors);
  expect(Array.from(await sae.wDecND.data())).toEqual(before);
  trainer.dispose();
  sae.dispose();
});

test('the NaN error names the row and column', async () => {
  const sae = createSae({ architecture: 'relu-l1', dIn: D, nLatents: N });
  const rows = new Float32Array(4 * D).fill(0.5);
  rows[2 * D + 6] = Number.POSITIVE_INFINITY;
  const trainer = new SaeTrainer(sae, { dim: D, nextBatch: () => rows }, { steps: 1, batchSize: 4, initSamples: 0 });
  await expect(trainer.step()).rejects.toThrow(
    /^source\.nextBatch: returned Infinity at row 2, column 6 of step 0's batch/,
  );
  trainer.dispose();
  sae.dispose();
});

test('deadFraction is NaN (not yet measured) until the window has passed, and AuxK stays off until then', async () => {
  const sae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 1 });
  // 4 steps of 16 inputs = 64 = the window
  const trainer = new SaeTrainer(sae, data(), {
    steps: 10,
    batchSize: 16,
    deadWindow: 64,
    logEvery: 1,
    initSamples: 0,
  });
  const seen: { deadFraction: number; auxK: number }[] = [];
  for (let i = 0; i < 6; i++) {
    const m = await readMetrics(await trainer.step());
    seen.push({ deadFraction: m.deadFraction, auxK: m.auxK });
  }
  expect(seen.slice(0, 3).every((m) => Number.isNaN(m.deadFraction) && m.auxK === 0)).toBe(true);
  expect(seen.slice(3).every((m) => m.deadFraction >= 0 && m.deadFraction <= 1)).toBe(true);
  // The reported fraction is the dead set's size (read from the device here, once).
  expect(seen[5].deadFraction).toBeCloseTo((await trainer.deadLatents()).length / N, 6);
  trainer.dispose();
  sae.dispose();
});

test('the default dead window scales to a short run (a fifth of its inputs), capped at 10M inputs', () => {
  const sae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 1 });
  const short = new SaeTrainer(sae, data(), { steps: 100, batchSize: 32 });
  const long = new SaeTrainer(sae, data(), { steps: 1_000_000, batchSize: 1024 });
  expect([short.deadWindow, long.deadWindow]).toEqual([640, 10_000_000]);
  short.dispose();
  long.dispose();
  sae.dispose();
});

const configs: SaeConfig[] = [
  { architecture: 'relu-l1', dIn: D, nLatents: N },
  { architecture: 'topk', dIn: D, nLatents: N, k: 2 },
  { architecture: 'batch-topk', dIn: D, nLatents: N, k: 2 },
  { architecture: 'jumprelu', dIn: D, nLatents: N },
  { architecture: 'matryoshka', dIn: D, nLatents: N, k: 2 },
  { architecture: 'gated', dIn: D, nLatents: N },
];
test.each(configs)('the same metrics for every architecture: %o', async (config) => {
  const sae = createSae(config);
  const trainer = new SaeTrainer(sae, data(), { steps: 2, batchSize: 16, initSamples: 16 });
  await trainer.initialise();
  const m = await readMetrics(await trainer.step());
  for (const name of ['loss', 'mse', 'fvu', 'l0', 'deadFraction', 'lr']) expect(name in m).toBe(true);
  for (const name of ['loss', 'mse', 'fvu', 'l0', 'lr']) expect(Number.isFinite(m[name])).toBe(true);
  if (config.architecture === 'jumprelu') {
    // JumpReLU's L0 penalty has the trainer's metric name: both are kept, neither overwritten.
    expect(m.l0Term).toBeCloseTo(m.l0, 5);
  }
  if (config.architecture === 'batch-topk') {
    // Training L0 is k by construction; the threshold's L0 is what evaluation will see.
    expect(m.l0).toBeCloseTo(2, 5);
    expect(Number.isFinite(m.inferenceL0)).toBe(true);
  }
  trainer.dispose();
  sae.dispose();
});
