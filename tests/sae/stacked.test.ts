/**
 * A stack of S SAEs trained by one SaeTrainer equals S separate runs: for every architecture, three
 * SAEs differing in seed (and in k where the architecture has one) trained together end with the
 * same parameters, losses, metrics and training states as each trained alone on the same data.
 * The members share no parameter, so the equality is exact, not only to float32 rounding. Stacks of
 * plain TopK SAEs train in one pass (topk-stack.ts: one encoder call, one decode call, one set of
 * reductions for all members) and still equal their members trained alone, exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { type MetricHistory, readMetrics } from '../../src/core/train';
import { SuperpositionData } from '../../src/data/synthetic';
import { type SaeConfig, createSae } from '../../src/sae/create';
import { SaeTrainer, type SaeTrainerConfig, memberMetrics } from '../../src/sae/trainer';
import { trainsInOnePass } from '../../src/sae/topk-stack';

const D = 8;
const N = 24;
const S = 3;
const source = () => new SuperpositionData({ numFeatures: 16, dim: D, probability: 0.15, seed: 11 });
const trainerConfig: SaeTrainerConfig = {
  steps: 8,
  batchSize: 16,
  lr: 1e-2,
  warmupSteps: 2,
  deadWindow: 32, // latents go dead within the run, so each member's AuxK reads its own dead set
  logEvery: 2,
  initSamples: 32,
  normalizeInput: true,
};

/** Member i of each architecture's stack: its own seed, and its own k (or sparsity coefficient) where there is one. */
const stacks: [string, (i: number) => SaeConfig][] = [
  ['relu-l1', (i) => ({ architecture: 'relu-l1', dIn: D, nLatents: N, l1Coefficient: 0.5 + i, seed: 2 + i })],
  ['topk', (i) => ({ architecture: 'topk', dIn: D, nLatents: N, k: 2 + i, kAux: 4, seed: 2 + i })],
  ['multi-topk', (i) => ({ architecture: 'topk', dIn: D, nLatents: N, k: 2 + i, multiTopK: true, seed: 2 + i })],
  ['batch-topk', (i) => ({ architecture: 'batch-topk', dIn: D, nLatents: N, k: 2 + i, seed: 2 + i })],
  ['jumprelu', (i) => ({ architecture: 'jumprelu', dIn: D, nLatents: N, l0Coefficient: 0.5 + i, seed: 2 + i })],
  ['jumprelu-kde', (i) => ({ architecture: 'jumprelu', dIn: D, nLatents: N, kdeWindow: 2, seed: 2 + i })],
  ['matryoshka', (i) => ({ architecture: 'matryoshka', dIn: D, nLatents: N, k: 2 + i, seed: 2 + i })],
  [
    'matryoshka-batch-topk',
    (i) => ({ architecture: 'matryoshka-batch-topk', dIn: D, nLatents: 32, k: 2 + i, seed: 2 + i }),
  ],
  ['gated', (i) => ({ architecture: 'gated', dIn: D, nLatents: N, l1Coefficient: 0.5 + i, seed: 2 + i })],
];

async function params(p: { names(): string[]; get(name: string): tf.Variable }): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const name of p.names()) out[name] = Array.from(await p.get(name).data());
  return out;
}

/** A training state's tensors read back, and its JSON. */
async function stateOf(trainer: SaeTrainer, member?: number): Promise<unknown> {
  const state = trainer.getState(member);
  const tensors: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(state.tensors)) {
    tensors[name] = Array.from(await t.data());
    t.dispose();
  }
  return { config: state.config, tensors };
}

test.each(stacks)('%s: a stack of 3 trained together = 3 separate runs, exactly', async (name, configOf) => {
  const separate: { params: Record<string, number[]>; history: MetricHistory; state: unknown }[] = [];
  for (let i = 0; i < S; i++) {
    const sae = createSae(configOf(i));
    const trainer = new SaeTrainer(sae, source(), trainerConfig);
    const history = await trainer.train();
    separate.push({ params: await params(sae.params), history, state: await stateOf(trainer) });
    trainer.dispose();
    sae.dispose();
  }

  const saes = Array.from({ length: S }, (_, i) => createSae(configOf(i)));
  expect(trainsInOnePass(saes)).toBe(name === 'topk'); // the one-pass path, and the per-member one
  const trainer = new SaeTrainer(saes, source(), trainerConfig);
  const history = await trainer.train();
  for (let i = 0; i < S; i++) {
    expect(await params(saes[i].params)).toEqual(separate[i].params);
    // every logged metric of member i (loss, l0, deadFraction, each loss term) is the separate run's
    expect(history.steps).toEqual(separate[i].history.steps);
    history.values.forEach((m, j) => expect(memberMetrics(m, i)).toEqual(separate[i].history.values[j]));
    // its training state is the separate run's, so it resumes as a single run
    expect(await stateOf(trainer, i)).toEqual(separate[i].state);
  }
  // the stack's own loss is the members' mean
  const last = history.values[history.values.length - 1];
  const mean = [0, 1, 2].reduce((s, i) => s + last[`loss/${i}`], 0) / S;
  expect(last.loss).toBeCloseTo(mean, 5);
  trainer.dispose();
  for (const sae of saes) sae.dispose();
});

test('a stacked step leaves no tensor behind', async () => {
  const saes = [0, 1].map((i) => createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 2 + i, seed: i }));
  const trainer = new SaeTrainer(saes, source(), { ...trainerConfig, deadWindow: 16 });
  await trainer.initialise();
  await readMetrics(await trainer.step()); // the first step creates Adam's moments' slots
  await readMetrics(await trainer.step());
  const before = tf.memory().numTensors;
  await readMetrics(await trainer.step());
  expect(tf.memory().numTensors).toBe(before);
  trainer.dispose();
  for (const sae of saes) sae.dispose();
});

test('a stack resumes from one state per SAE, and checks them', async () => {
  const configs = [0, 1].map(
    (i): SaeConfig => ({ architecture: 'batch-topk', dIn: D, nLatents: N, k: 2 + i, seed: i }),
  );
  const make = () => {
    const saes = configs.map((c) => createSae(c));
    return { saes, trainer: new SaeTrainer(saes, source(), trainerConfig) };
  };
  const a = make();
  await a.trainer.train();
  const want = await Promise.all(a.saes.map((s) => params(s.params)));

  const b = make();
  await b.trainer.initialise();
  for (let i = 0; i < 3; i++) await readMetrics(await b.trainer.step());
  const states = [b.trainer.getState(0), b.trainer.getState(1)];
  const c = make();
  expect(() => c.trainer.loadState(states[0])).toThrow(/^state: holds 1 SAE state\(s\), the trainer 2 SAE\(s\)/);
  expect(() => c.trainer.loadState([states[1], states[0]])).toThrow(/^state\[0\]\.sae: was saved from/);
  c.trainer.loadState(states);
  for (const t of states.flatMap((s) => Object.values(s.tensors))) t.dispose();
  await c.trainer.train();
  expect(await Promise.all(c.saes.map((s) => params(s.params)))).toEqual(want);
  for (const { saes, trainer } of [a, b, c]) {
    trainer.dispose();
    for (const sae of saes) sae.dispose();
  }
});

test('a stack holds distinct SAEs of one architecture and shape; per-SAE accessors name the member', () => {
  const topk = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 2, seed: 1 });
  const wider = createSae({ architecture: 'topk', dIn: D, nLatents: 2 * N, k: 2, seed: 1 });
  const relu = createSae({ architecture: 'relu-l1', dIn: D, nLatents: N, seed: 1 });
  expect(() => new SaeTrainer([], source(), trainerConfig)).toThrow(/^sae: must be an SAE or a non-empty list/);
  expect(() => new SaeTrainer([topk, topk], source(), trainerConfig)).toThrow(/^sae\[1\]: is the same SAE as sae\[0\]/);
  expect(() => new SaeTrainer([topk, wider], source(), trainerConfig)).toThrow(/^sae\[1\]: is topk 8 -> 48; a stack/);
  expect(() => new SaeTrainer([topk, relu], source(), trainerConfig)).toThrow(/^sae\[1\]: is relu-l1 8 -> 24/);
  const other = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 3, seed: 2 });
  const trainer = new SaeTrainer([topk, other], source(), trainerConfig);
  expect(() => trainer.sae).toThrow(/^sae: is per SAE and this trainer holds 2: use members\[i\]\.sae/);
  expect(() => trainer.getState()).toThrow(/^getState: is per SAE/);
  expect(() => trainer.getState(2)).toThrow(/^member:/);
  expect(trainer.saes).toEqual([topk, other]);
  trainer.dispose();
  for (const sae of [topk, wider, relu, other]) sae.dispose();
});
