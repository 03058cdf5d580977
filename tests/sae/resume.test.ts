/**
 * Training resumes exactly: a run stopped at step s, saved with the atomic checkpoint (parameters,
 * Adam's moments and t, the schedule's position, firing statistics and the dead set, the
 * architecture's state, the data position and its generator) and resumed in a fresh process-like
 * setting (new model, new trainer, new source) ends with bit-identical parameters to a run never
 * stopped, for every SAE architecture and the VAE. b_dec is not re-initialised from the data.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { Rng } from '../../src/core/random';
import { SuperpositionData } from '../../src/data/synthetic';
import { type SaeConfig, createSae } from '../../src/sae/create';
import { SaeTrainer, type SaeTrainerConfig } from '../../src/sae/trainer';
import { Vae, VaeTrainer, type VaeTrainConfig, gaussianRing } from '../../src/vae';
import { tempDir } from '../setup/temp-dir';

const D = 8;
const N = 24;
const STEPS = 12;
const STOP = 5;
const source = () => new SuperpositionData({ numFeatures: 16, dim: D, probability: 0.15, seed: 11 });
const trainerConfig: SaeTrainerConfig = {
  steps: STEPS,
  batchSize: 16,
  lr: 1e-2,
  warmupSteps: 3,
  decay: 'cosine',
  decayStart: 0.5,
  deadWindow: 32, // latents go dead within the run, so AuxK and the dead set matter
  logEvery: 3, // the dead set is refreshed at steps 0, 3, 6, 9: the stop at 5 falls between
  initSamples: 32,
  normalizeInput: true,
};

async function params(p: { names(): string[]; get(name: string): tf.Variable }): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const name of p.names()) out[name] = Array.from(await p.get(name).data());
  return out;
}

const configs: SaeConfig[] = [
  { architecture: 'relu-l1', dIn: D, nLatents: N, seed: 2 },
  { architecture: 'topk', dIn: D, nLatents: N, k: 3, kAux: 4, seed: 2 },
  { architecture: 'topk', dIn: D, nLatents: N, k: 2, multiTopK: true, seed: 2 },
  { architecture: 'batch-topk', dIn: D, nLatents: N, k: 3, seed: 2 },
  { architecture: 'jumprelu', dIn: D, nLatents: N, kdeWindow: 2, thresholdParam: 'log-theta', seed: 2 },
  { architecture: 'matryoshka', dIn: D, nLatents: N, k: 3, seed: 2 },
];

test.each(configs)('SAE stopped at step 5 and resumed = never stopped, bit for bit: %o', async (config) => {
  // Never stopped.
  const saeA = createSae(config);
  const trainerA = new SaeTrainer(saeA, source(), trainerConfig);
  await trainerA.train();
  const want = await params(saeA.params);
  // Stopped at step 5, saved, everything thrown away.
  const dir = tempDir('gensparse-resume-');
  const saeB = createSae(config);
  const trainerB = new SaeTrainer(saeB, source(), trainerConfig);
  await trainerB.train({ shouldStop: () => trainerB.stepsTaken >= STOP });
  expect(trainerB.stepsTaken).toBe(STOP);
  const state = trainerB.getState();
  await saveCheckpoint(dir, state);
  tf.dispose(Object.values(state.tensors));
  trainerB.dispose();
  saeB.dispose();
  // Resumed: a new model (its own random init), a new source at row 0, the state loaded.
  const saeC = createSae(config);
  const trainerC = new SaeTrainer(saeC, source(), trainerConfig);
  const loaded = loadCheckpoint<Record<string, unknown>>(dir);
  trainerC.loadState(loaded);
  tf.dispose(Object.values(loaded.tensors));
  const before = tf.memory().numTensors;
  await trainerC.train();
  expect(trainerC.stepsTaken).toBe(STEPS);
  expect(tf.memory().numTensors).toBe(before);
  expect(await params(saeC.params)).toEqual(want);
  expect(saeC.inputScale).toBe(saeA.inputScale);
  for (const t of [trainerA, trainerC]) t.dispose();
  for (const s of [saeA, saeC]) s.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a state from another SAE config, or a source that cannot resume, is refused by name', () => {
  const sae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 3 });
  const trainer = new SaeTrainer(sae, source(), trainerConfig);
  const state = trainer.getState();
  const other = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 4 });
  const otherTrainer = new SaeTrainer(other, source(), trainerConfig);
  expect(() => otherTrainer.loadState(state)).toThrow(/^state\.sae: was saved from/);
  const plain = new SaeTrainer(sae, { dim: D, nextBatch: (b: number) => new Float32Array(b * D) }, trainerConfig);
  expect(() => plain.getState()).toThrow(/^source: cannot report its position/);
  tf.dispose(Object.values(state.tensors));
  for (const t of [trainer, otherTrainer, plain]) t.dispose();
  sae.dispose();
  other.dispose();
});

test('VAE stopped at step 5 and resumed = never stopped, bit for bit', async () => {
  const data = gaussianRing(200, new Rng(3));
  const config: Partial<VaeTrainConfig> = {
    steps: STEPS,
    batchSize: 64, // 200 rows: the order is reshuffled within the run
    lr: 3e-3,
    decay: 'cosine',
    warmupSteps: 2,
    klWarmupSteps: 6,
    samples: 2,
    seed: 9,
    logEvery: 4,
  };
  const model = () =>
    new Vae({ inputDim: 2, latentDim: 2, hidden: [16], likelihood: 'gaussian', sigma: 0.3 }, new Rng(4));
  const a = model();
  const trainerA = new VaeTrainer(a, data, config);
  await trainerA.train();
  const want = await params(a.params);
  const dir = tempDir('gensparse-resume-vae-');
  const b = model();
  const trainerB = new VaeTrainer(b, data, config);
  await trainerB.train({ shouldStop: () => trainerB.stepsTaken >= STOP });
  const state = trainerB.getState();
  await saveCheckpoint(dir, state);
  tf.dispose(Object.values(state.tensors));
  trainerB.dispose();
  b.dispose();
  const c = new Vae({ inputDim: 2, latentDim: 2, hidden: [16], likelihood: 'gaussian', sigma: 0.3 }, new Rng(77));
  const trainerC = new VaeTrainer(c, data, config);
  const loaded = loadCheckpoint<Record<string, unknown>>(dir);
  trainerC.loadState(loaded);
  tf.dispose(Object.values(loaded.tensors));
  await trainerC.train();
  expect(trainerC.stepsTaken).toBe(STEPS);
  expect(await params(c.params)).toEqual(want);
  for (const t of [trainerA, trainerC]) t.dispose();
  for (const m of [a, c]) m.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
