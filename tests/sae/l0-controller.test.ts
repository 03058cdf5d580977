/**
 * The target-L0 controller: its step is the closed form log c <- log c + rate log((L0+1)/(t+1))
 * per member of a stack, it does nothing once frozen, and on a small stream it drives each
 * coefficient-controlled architecture (ReLU+L1, JumpReLU, Gated) from coefficients far off in
 * (L0 far above the target) to the target L0, then leaves the coefficient fixed for the end of the
 * run. Started far above the needed coefficient (L0 near 0), ReLU+L1 and Gated latents die and the
 * controller cannot revive them: start from a small coefficient. JumpReLU can instead carry its
 * own target in its loss (lambda (L0/T - 1)^2, jumprelu.ts `targetL0`), which reaches the target
 * with no controller and, steered by one, holds it from below too.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError } from '../../src/base/errors';
import type { Metrics, TrainCallbacks } from '../../src/core/train';
import { SuperpositionData } from '../../src/data/synthetic';
import type { SparseAutoencoder } from '../../src/sae/base';
import { type SaeConfig, createSae } from '../../src/sae/create';
import { TargetL0Controller, sparsityCoefficientField } from '../../src/sae/l0-controller';
import { SaeTrainer } from '../../src/sae/trainer';

const D = 12;
const N = 32;

/** Trains a stack on a small superposition stream (the same stream, lr and logging for every case). */
async function trainOnToyStream(
  saes: SparseAutoencoder[],
  steps: number,
  callbacks: TrainCallbacks[] = [],
): Promise<Metrics[]> {
  const source = new SuperpositionData({ numFeatures: 24, dim: D, probability: 0.15, seed: 3 });
  const trainer = new SaeTrainer(saes, source, {
    steps,
    batchSize: 128,
    lr: 1e-2,
    logEvery: 5,
    initSamples: 256,
    normalizeInput: true,
    decay: 'none',
    callbacks,
  });
  try {
    return (await trainer.train()).values;
  } finally {
    trainer.dispose();
  }
}

test('one step per member is the closed form in log space; frozen steps change nothing', () => {
  const saes = [0.3, 2.5].map((c, i) =>
    createSae({ architecture: 'relu-l1', dIn: D, nLatents: N, l1Coefficient: c, seed: i }),
  );
  const ctl = new TargetL0Controller(saes, { targetL0: 4, steps: 100, rate: 0.37 });
  expect(ctl.freezeAt).toBe(80);
  ctl.onLog(9, { loss: 1, 'l0/0': 11.3, 'l0/1': 0.7, lr: 1e-3 });
  const expected = [0.3 * Math.exp(0.37 * Math.log(12.3 / 5)), 2.5 * Math.exp(0.37 * Math.log(1.7 / 5))];
  ctl.coefficients.forEach((c, i) => expect(c).toBeCloseTo(expected[i], 12));
  // The loss reads the field the registry names.
  expect((saes[0] as unknown as Record<string, number>)[sparsityCoefficientField(saes[0])]).toBe(ctl.coefficients[0]);
  const beforeFreeze = ctl.coefficients;
  ctl.onLog(80, { loss: 1, 'l0/0': 30, 'l0/1': 0, lr: 1e-3 });
  expect(ctl.coefficients).toEqual(beforeFreeze);
  expect(() => ctl.onLog(10, { loss: 1, lr: 1e-3 })).toThrow(InputError);
  for (const s of saes) s.dispose();
});

test('bad input is refused before anything moves', () => {
  const topk = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 3 });
  expect(() => new TargetL0Controller([topk], { targetL0: 3, steps: 10 })).toThrow(ConfigError);
  topk.dispose();
  const relu = createSae({ architecture: 'relu-l1', dIn: D, nLatents: N, l1Coefficient: 1 });
  expect(() => new TargetL0Controller([relu], { targetL0: 0, steps: 10 })).toThrow(ConfigError);
  expect(() => new TargetL0Controller([relu], { targetL0: 3, steps: 10, freezeFraction: 1.5 })).toThrow(ConfigError);
  expect(() => new TargetL0Controller([], { targetL0: 3, steps: 10 })).toThrow(ConfigError);
  relu.dispose();
});

const cases: [string, (c: number, seed: number) => SaeConfig][] = [
  ['relu-l1', (c, seed) => ({ architecture: 'relu-l1', dIn: D, nLatents: N, l1Coefficient: c, seed })],
  ['jumprelu', (c, seed) => ({ architecture: 'jumprelu', dIn: D, nLatents: N, l0Coefficient: c, seed })],
  [
    'jumprelu with its target term',
    (c, seed) => ({ architecture: 'jumprelu', dIn: D, nLatents: N, l0Coefficient: c, targetL0: 3, seed }),
  ],
  ['gated', (c, seed) => ({ architecture: 'gated', dIn: D, nLatents: N, l1Coefficient: c, seed })],
];

test.each(cases)(
  '%s: a stack started at two coefficients reaches the target L0, then stays fixed',
  async (_, config) => {
    const before = tf.memory().numTensors;
    const target = 3;
    const steps = 400;
    const saes = [1e-3, 0.1].map((c, i) => createSae(config(c, 5 + i)));
    const ctl = new TargetL0Controller(saes, { targetL0: target, steps, rate: 0.3 });
    let atFreeze: number[] = [];
    const history = await trainOnToyStream(saes, steps, [
      ctl,
      {
        onLog: (step) => {
          if (step + 1 === ctl.freezeAt) atFreeze = ctl.coefficients;
        },
      },
    ]);
    // The controller's last move is at the log step just before the freeze; nothing moves after.
    expect(atFreeze).toHaveLength(2);
    expect(ctl.coefficients).toEqual(atFreeze);
    // The end is a fixed-coefficient run: L0 over its last logged steps, per member, near the target.
    const tail = history.slice(-8);
    for (const i of [0, 1]) {
      const l0 = tail.reduce((s, m) => s + m[`l0/${i}`], 0) / tail.length;
      expect(Math.abs(l0 - target)).toBeLessThan(0.35 * target);
    }
    for (const s of saes) s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  },
  120_000,
);

test('JumpReLU with its own target L0 (lambda (L0/T - 1)^2) reaches it from above with no controller', async () => {
  const before = tf.memory().numTensors;
  const target = 3;
  const saes = [0, 1].map((i) =>
    createSae({ architecture: 'jumprelu', dIn: D, nLatents: N, l0Coefficient: 100, targetL0: target, seed: 5 + i }),
  );
  expect(() => createSae({ architecture: 'jumprelu', dIn: D, nLatents: N, targetL0: 0 })).toThrow(ConfigError);
  const history = await trainOnToyStream(saes, 600);
  const first = history[0];
  const tail = history.slice(-8);
  for (const i of [0, 1]) {
    expect(first[`l0/${i}`]).toBeGreaterThan(2 * target); // it started well above
    const l0 = tail.reduce((s, m) => s + m[`l0/${i}`], 0) / tail.length;
    expect(Math.abs(l0 - target)).toBeLessThan(0.15 * target);
  }
  for (const s of saes) s.dispose();
  expect(tf.memory().numTensors).toBe(before);
}, 120_000);
