/**
 * The MLP splice (src/sae/eval/splice-mlp.ts) and its hooks in the char model against
 * independent computations: the model with its own MLP passed as the replacement gives its
 * logits; the pairs captured are the model's MLP input and output; a skip transcoder built to
 * equal an MLP that is affine on its inputs gives the clean loss; the zero- and mean-ablated
 * losses equal the plain evaluation of a copy of the model with W_out = 0 and b_out = 0 or the
 * mean; a trained transcoder recovers more than mean ablation; no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/core/random';
import { CharLm, evaluateCharLm } from '../../../src/data/lm/char-lm';
import { captureMlpPairs } from '../../../src/data/lm/mlp-pairs';
import { createSae } from '../../../src/sae/create';
import { meanMlpOutput, spliceMlpEvaluate } from '../../../src/sae/eval/splice-mlp';
import { meanResidual, spliceEvaluate, spliceWindows } from '../../../src/sae/eval/splice';
import { evaluateSae } from '../../../src/sae/eval/reconstruction';
import { SaeTrainer } from '../../../src/sae/trainer';
import type { TopKTranscoder } from '../../../src/sae/transcoder';
import { TINY_LM, randomTokens, tinyLm } from './helpers';

const T = TINY_LM.contextLength;
const D = TINY_LM.dModel;
const CHARS = 40 * T;

/** A copy of `model` with block `l`'s MLP output replaced by the constant `bOut` (W_out = 0). */
async function withConstantMlp(model: CharLm, l: number, bOut: Float32Array): Promise<CharLm> {
  const tensors: Record<string, tf.Tensor> = {};
  for (const name of model.params.names()) tensors[name] = model.params.get(name);
  const copy = CharLm.fromTensors(model.config, tensors);
  tf.tidy(() =>
    copy.params.assign({
      [`h${l}.mlp.wOut`]: tf.zerosLike(model.params.get(`h${l}.mlp.wOut`)),
      [`h${l}.mlp.bOut`]: tf.tensor1d(bOut),
    }),
  );
  return copy;
}

test("logitsWithMlp with the model's own MLP gives the model logits, for each block", async () => {
  const model = tinyLm();
  const ids = tf.tensor2d(randomTokens(new Rng(1), 3 * T), [3, T], 'int32');
  const want = tf.tidy(() => model.logits(ids));
  for (let l = 0; l < TINY_LM.nLayers; l++) {
    const diff = tf.tidy(() =>
      model
        .logitsWithMlp(ids, l, (h) => model.mlp(h, l))
        .sub(want)
        .abs()
        .max(),
    );
    expect((await diff.data())[0]).toBeLessThan(1e-5);
    diff.dispose();
  }
  tf.dispose([ids, want]);
  model.dispose();
});

test('captured pairs are the MLP input and output of each position (output = MLP(input))', async () => {
  const model = tinyLm();
  const tokens = randomTokens(new Rng(2), 5 * T + 1);
  const pairs = await captureMlpPairs(model, tokens, { block: 1, batchWindows: 2 });
  expect(pairs.rows).toBe(5 * T);
  const { inputs, targets } = pairs.nextPairs(pairs.rows);
  const again = tf.tidy(() => model.mlp(tf.tensor2d(inputs, [pairs.rows, D]), 1));
  const got = await again.data();
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - targets[i]));
  expect(worst).toBeLessThan(1e-5);
  again.dispose();
  model.dispose();
});

test('a skip transcoder equal to an affine MLP gives the clean loss; ablations equal W_out-zeroed copies', async () => {
  const model = tinyLm();
  const l = 1;
  // b_in = 20 puts every GELU input far right of 0, where GELU(u) = u in float32: MLP(h) = h A + c.
  tf.tidy(() => model.params.assign({ [`h${l}.mlp.bIn`]: tf.fill([TINY_LM.mlpRatio * D], 20) }));
  const tokens = randomTokens(new Rng(3), CHARS + 1);
  const sae = createSae({ architecture: 'skip-transcoder-topk', dIn: D, nLatents: 8, k: 2 }) as TopKTranscoder;
  tf.tidy(() => {
    const wIn = model.params.get(`h${l}.mlp.wIn`) as tf.Tensor2D;
    const wOut = model.params.get(`h${l}.mlp.wOut`) as tf.Tensor2D;
    const bIn = model.params.get(`h${l}.mlp.bIn`) as tf.Tensor1D;
    sae.params.assign({
      W_skip: wIn.matMul(wOut).transpose(), // [D_out, D_in]
      b_dec: bIn
        .reshape([1, -1])
        .matMul(wOut)
        .reshape([D])
        .add(model.params.get(`h${l}.mlp.bOut`)),
      b_enc: tf.fill([8], -1e3), // no latent fires: the skip term and b_dec carry the whole MLP
    });
  });
  const before = tf.memory().numTensors;
  const result = await spliceMlpEvaluate(model, sae, tokens, { block: l, batchWindows: 7 });
  expect(tf.memory().numTensors).toBe(before);
  const s = result.splice;
  expect(s.chars).toBe(CHARS);
  expect(Math.abs(s.splicedLoss - s.cleanLoss)).toBeLessThan(1e-4);
  expect(s.klSpliced).toBeLessThan(1e-5);
  expect(s.lossRecovered).toBeCloseTo(1, 3);
  expect(result.reconstruction.explainedVariance).toBeGreaterThan(0.9999);
  expect(result.reconstruction.l0).toBe(0);
  // Independent paths: the plain model's evaluation, and copies with the MLP's output constant.
  expect(s.cleanLoss).toBeCloseTo(await evaluateCharLm(model, tokens, { maxTokens: CHARS }), 4);
  const zeroed = await withConstantMlp(model, l, new Float32Array(D));
  expect(s.zeroAblatedLoss).toBeCloseTo(await evaluateCharLm(zeroed, tokens, { maxTokens: CHARS }), 4);
  const mean = await meanMlpOutput(model, tokens, spliceWindows(tokens, T, CHARS), l);
  const meaned = await withConstantMlp(model, l, mean);
  expect(s.meanAblatedLoss).toBeCloseTo(await evaluateCharLm(meaned, tokens, { maxTokens: CHARS }), 4);
  for (const m of [model, zeroed, meaned, sae]) m.dispose();
});

test('a transcoder trained on the pairs recovers more of the loss than mean ablation', async () => {
  const model = tinyLm(7);
  const tokens = randomTokens(new Rng(4), 200 * T + 1);
  const pairs = await captureMlpPairs(model, tokens, { block: 0, maxChars: 160 * T, shuffleSeed: 1 });
  const sae = createSae({ architecture: 'transcoder-topk', dIn: D, nLatents: 32, k: 4 });
  const trainer = new SaeTrainer(sae, pairs, { steps: 300, batchSize: 64, lr: 1e-2, initSamples: 512 });
  await trainer.train();
  trainer.dispose();
  const held = tokens.subarray(160 * T);
  const result = await spliceMlpEvaluate(model, sae as TopKTranscoder, held, { block: 0 });
  expect(result.splice.meanAblatedLoss).toBeGreaterThan(result.splice.cleanLoss);
  expect(result.splice.lossRecoveredMeanAblation).toBeGreaterThan(0);
  expect(result.reconstruction.explainedVariance).toBeGreaterThan(0);
  sae.dispose();
  model.dispose();
});

test('a transcoder is refused by name where an SAE of its input is expected (residual splice, evaluateSae)', async () => {
  const model = tinyLm();
  const sae = createSae({ architecture: 'transcoder-topk', dIn: D, nLatents: 8, k: 2 });
  const tokens = randomTokens(new Rng(9), 4 * T + 1);
  await expect(spliceEvaluate(model, sae, tokens, { layer: 1 })).rejects.toThrow(
    /^sae: a 'transcoder-topk' replaces an MLP/,
  );
  await expect(evaluateSae(sae, new Float32Array(4 * D).fill(0.5))).rejects.toThrow(
    /^sae: a 'transcoder-topk' predicts a target/,
  );
  sae.dispose();
  model.dispose();
});

test('the mean-ablation vectors name a bad block, layer, batch size or empty window list before allocating', async () => {
  const model = tinyLm(5);
  const tokens = randomTokens(new Rng(11), 3 * T + 1);
  const starts = spliceWindows(tokens, T, 3 * T);
  const before = tf.memory().numTensors;
  await expect(meanMlpOutput(model, tokens, starts, TINY_LM.nLayers)).rejects.toThrow(/block/);
  await expect(meanResidual(model, tokens, starts, TINY_LM.nLayers + 1)).rejects.toThrow(/layer/);
  await expect(meanMlpOutput(model, tokens, starts, 0, 0)).rejects.toThrow(/batchWindows/);
  await expect(meanResidual(model, tokens, new Int32Array(0), 0)).rejects.toThrow(/starts/);
  expect(tf.memory().numTensors).toBe(before);
  // The one shared loop: the mean MLP output over 3 windows equals the plain mean of the block's outputs.
  const mean = await meanMlpOutput(model, tokens, starts, 0, 2);
  const ids = tf.tensor2d(
    Array.from(starts).flatMap((s) => Array.from(tokens.subarray(s, s + T))),
    [starts.length, T],
    'int32',
  );
  const meanND = tf.tidy(() => model.mlpInputOutput(ids, 0).outputND.mean(0));
  const plain = await meanND.data();
  tf.dispose([ids, meanND]);
  mean.forEach((m, j) => expect(m).toBeCloseTo(plain[j], 5));
  model.dispose();
});
