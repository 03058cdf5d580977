/**
 * A stack of TopK SAEs in one pass (src/sae/topk-stack.ts): its per-member losses against a float64
 * loop, every member's pass against that member's own forward (exactly: the same arithmetic), which
 * stacks qualify, and bad input. Training equality is tests/sae/stacked.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { type SaeConfig, createSae } from '../../src/sae/create';
import { disposeOutput, firedCounts } from '../../src/sae/base';
import { stackReconstructionLosses } from '../../src/sae/losses';
import type { TopKSae } from '../../src/sae/topk';
import { topkStackForward, trainsInOnePass } from '../../src/sae/topk-stack';
import { randn } from './helpers';

const [D, N, B] = [6, 16, 7];

test('stackReconstructionLosses: per member mean_b ||x - xhat_s||^2 and the FVU, as a float64 loop', async () => {
  const rng = new Rng(51);
  const S = 3;
  const x = randn(rng, B * D);
  const xhat = randn(rng, S * B * D);
  const { mseS, fvuS } = tf.tidy(() => stackReconstructionLosses(tf.tensor2d(x, [B, D]), tf.tensor3d(xhat, [S, B, D])));
  const mean = Array.from({ length: D }, (_, c) => x.filter((_, i) => i % D === c).reduce((a, v) => a + v, 0) / B);
  let variance = 0;
  for (let i = 0; i < B * D; i++) variance += (x[i] - mean[i % D]) ** 2;
  const [mse, fvu] = [await mseS.data(), await fvuS.data()];
  for (let s = 0; s < S; s++) {
    let squares = 0;
    for (let i = 0; i < B * D; i++) squares += (x[i] - xhat[s * B * D + i]) ** 2;
    expect(mse[s]).toBeCloseTo(squares / B, 4);
    expect(fvu[s]).toBeCloseTo(squares / variance, 5);
  }
  tf.dispose([mseS, fvuS]);
});

const topk = (k: number, seed: number, extra: Partial<SaeConfig> = {}) =>
  createSae({ architecture: 'topk', dIn: D, nLatents: N, k, kAux: 3, seed, ...extra } as SaeConfig) as TopKSae;

test("every member's loss, terms and firing counts are exactly its own forward's (different k, one with dead latents)", async () => {
  const saes = [topk(2, 1), topk(4, 2), topk(3, 3)];
  for (const sae of saes) sae.params.get('b_dec').assign(tf.tensor1d(randn(new Rng(sae.seed + 40), D, 0.3)));
  const x = tf.tensor2d(randn(new Rng(52), B * D), [B, D]);
  const dead = [new Int32Array(0), Int32Array.from([0, 5, 9, 11]), new Int32Array(0)]; // AuxK on member 1
  const before = tf.memory().numTensors;
  const passes = topkStackForward(saes, x, dead);
  for (const [s, sae] of saes.entries()) {
    const own = sae.forward(x, { training: true, deadLatents: dead[s] });
    const fired = firedCounts(own.latents, N);
    expect(await passes[s].loss.data()).toEqual(await own.loss.data());
    for (const name of ['mse', 'fvu', 'auxK']) {
      expect([name, await passes[s].terms[name].data()]).toEqual([name, await own.losses[name].data()]);
    }
    expect(await passes[s].firedN.data()).toEqual(await fired.data());
    disposeOutput(own);
    fired.dispose();
  }
  expect((await passes[1].terms.auxK.data())[0]).toBeGreaterThan(0);
  for (const p of passes) tf.dispose([p.loss, p.firedN, ...Object.values(p.terms)]);
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  for (const sae of saes) sae.dispose();
});

test('only stacks of two or more plain TopK SAEs on the fast path, with one input scale, train in one pass', () => {
  const [a, b] = [topk(2, 1), topk(3, 2)];
  const multi = topk(2, 3, { multiTopK: true });
  const reference = topk(2, 4, { useKernels: false });
  const uncentred = topk(2, 5, { applyBDecToInput: false });
  const matryoshka = createSae({ architecture: 'matryoshka', dIn: D, nLatents: N, k: 2, seed: 6 });
  expect(trainsInOnePass([a, b])).toBe(true);
  expect(trainsInOnePass([a])).toBe(false);
  expect(trainsInOnePass([a, multi])).toBe(false);
  expect(trainsInOnePass([a, reference])).toBe(false);
  expect(trainsInOnePass([a, uncentred])).toBe(false);
  expect(trainsInOnePass([matryoshka, matryoshka])).toBe(false);
  b.inputScale = 2;
  expect(trainsInOnePass([a, b])).toBe(false);
  for (const sae of [a, b, multi, reference, uncentred, matryoshka]) sae.dispose();
});

test('a batch of the wrong width is refused with a named error, nothing left behind', () => {
  const saes = [topk(2, 1), topk(3, 2)];
  const x = tf.zeros([B, D + 1]) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  expect(() => topkStackForward(saes, x, [new Int32Array(0), new Int32Array(0)])).toThrow(/^x: /);
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  for (const sae of saes) sae.dispose();
});
