import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../../src/base/errors';
import { Rng } from '../../../src/core/random';
import { CharVocab } from '../../../src/data/lm/vocab';
import { generateSteered, sampleNext } from '../../../src/sae/eval/steering';
import { TINY_LM, tinyLm } from './helpers';

const D = TINY_LM.dModel;
const V = TINY_LM.vocabSize;

describe('sampleNext', () => {
  test('inverse CDF on one uniform; frequencies follow softmax(logits / temperature)', () => {
    const logits = [0.5, -1, 2, 0];
    const temperature = 0.7;
    const rng = new Rng(1);
    const counts = new Array(4).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleNext(logits, temperature, rng)]++;
    const w = logits.map((l) => Math.exp(l / temperature));
    const z = w.reduce((a, b) => a + b, 0);
    w.forEach((wi, v) => expect(Math.abs(counts[v] / n - wi / z)).toBeLessThan(0.015));
    expect(sampleNext(logits, 0, rng)).toBe(2);
  });
});

describe('generateSteered', () => {
  test('alpha = 0 reproduces an independent sampling loop over model.logits; the seed fixes the text', async () => {
    const model = tinyLm();
    const prompt = 'the whale';
    const a = await generateSteered(model, { layer: 1, direction: null, prompt, steps: 12, seed: 4 });
    const b = await generateSteered(model, { layer: 1, direction: null, prompt, steps: 12, seed: 4 });
    expect(a.completion).toBe(b.completion);
    // Independent loop: full-model logits, own softmax and inverse CDF on the same uniform stream.
    const vocab = new CharVocab();
    const ids = Array.from(vocab.encode(prompt));
    const rng = new Rng(4);
    let text = '';
    for (let s = 0; s < 12; s++) {
      const ctx = ids.slice(-TINY_LM.contextLength);
      const l = tf.tidy(() => model.logits(tf.tensor2d(ctx, [1, ctx.length], 'int32')));
      const all = await l.data();
      l.dispose();
      const last = Array.from(all.subarray((ctx.length - 1) * V, ctx.length * V));
      const max = Math.max(...last);
      const p = last.map((x) => Math.exp(x - max));
      let u = rng.uniform() * p.reduce((x, y) => x + y, 0);
      let next = p.length - 1;
      for (let v = 0; v < p.length; v++) {
        u -= p[v];
        if (u < 0) {
          next = v;
          break;
        }
      }
      ids.push(next);
      text += vocab.chars[next];
    }
    expect(a.completion).toBe(text);
    model.dispose();
  });

  test('greedy steering at the last layer picks argmax of LN_f(x + alpha d) W_te^T (naive loop)', async () => {
    const model = tinyLm();
    const L = TINY_LM.nLayers;
    const rng = new Rng(6);
    const direction = Float32Array.from({ length: D }, () => rng.normal());
    const prompt = 'call me';
    const before = tf.memory().numTensors;
    const r = await generateSteered(model, { layer: L, direction, alpha: 3, prompt, steps: 1, temperature: 0 });
    expect(tf.memory().numTensors).toBe(before);
    const ids = new CharVocab().encode(prompt);
    const resid = tf.tidy(() => model.residualStream(tf.tensor2d(ids, [1, ids.length], 'int32'), L));
    const x = Array.from((await resid.data()).subarray((ids.length - 1) * D), (v, k) => v + 3 * direction[k]);
    resid.dispose();
    const g = await model.params.get('lnf.g').data();
    const bias = await model.params.get('lnf.b').data();
    const wte = await model.params.get('wte').data();
    const mean = x.reduce((a, b) => a + b, 0) / D;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / D;
    const h = x.map((v, k) => ((v - mean) / Math.sqrt(variance + 1e-5)) * g[k] + bias[k]);
    const logits = Array.from({ length: V }, (_, v) => h.reduce((s, hk, k) => s + hk * wte[v * D + k], 0));
    expect(r.completion).toBe(new CharVocab().chars[logits.indexOf(Math.max(...logits))]);
    model.dispose();
  });

  test('bad inputs throw named errors before allocating', async () => {
    const model = tinyLm();
    const before = tf.memory().numTensors;
    await expect(
      generateSteered(model, { layer: 1, direction: new Float32Array(D + 1), alpha: 1, prompt: 'a', steps: 1 }),
    ).rejects.toThrow(InputError);
    await expect(generateSteered(model, { layer: 1, direction: null, prompt: '', steps: 1 })).rejects.toThrow(
      InputError,
    );
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
