import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CharLmActivations, showContext } from '../../src/data/lm/activations';
import {
  type CharLmCheckpointConfig,
  HELD_OUT_EVAL_CHARS,
  evaluateShippedCharLm,
  loadCharLm,
  loadMnistMlp,
  loadMnistMlpActivations,
} from '../../src/data/lm/assets';
import type { CharLm } from '../../src/data/lm/char-lm';
import { mnistMlpAccuracy } from '../../src/data/lm/mnist-mlp';
import { loadTextSplit } from '../../src/data/lm/text';
import { CharVocab } from '../../src/data/lm/vocab';
import { loadMnist } from '../../src/data/mnist';

/** The held-out loss docs/library.md states for assets/char-lm (nats/char on the first 32,768 held-out characters). */
const STATED_HELD_OUT_LOSS = 1.9597;
/** The MNIST test accuracy docs/library.md states for assets/mnist-mlp. */
const STATED_TEST_ACCURACY = 0.9776;

test('docs/library.md states the numbers these tests check', () => {
  const guide = fs.readFileSync(path.join(__dirname, '../../docs/library.md'), 'utf8');
  expect(guide).toContain(`held-out loss of ${STATED_HELD_OUT_LOSS.toFixed(3)} nats/char`);
  expect(guide).toContain(`${(100 * STATED_TEST_ACCURACY).toFixed(2)}% test accuracy`);
});

describe('the shipped character model', () => {
  let model: CharLm;
  let config: CharLmCheckpointConfig;
  beforeAll(() => ({ model, config } = loadCharLm()));
  afterAll(() => model.dispose());

  test('loads with the stated shape and reaches the stated held-out loss', async () => {
    expect(config.model).toMatchObject({ vocabSize: 70, contextLength: 64, dModel: 128, nLayers: 2, nHeads: 4 });
    expect(config.heldOutEvalChars).toBe(HELD_OUT_EVAL_CHARS);
    const loss = await evaluateShippedCharLm(model);
    expect(Math.abs(loss - config.heldOutLoss)).toBeLessThan(1e-3);
    expect(Math.abs(loss - STATED_HELD_OUT_LOSS)).toBeLessThan(2e-3);
  });

  describe('residual-stream activations with contexts', () => {
    const text = loadTextSplit().heldOut.slice(0, 3000);
    const vocab = new CharVocab();
    let source: CharLmActivations;
    let leaked = NaN;
    beforeAll(async () => {
      const n0 = tf.memory().numTensors;
      source = await CharLmActivations.create(model, text, { layer: 1, start: 5, maxTokens: 400, minContext: 16 });
      leaked = tf.memory().numTensors - n0;
    });

    test('building the source leaves no tensors behind', () => {
      expect(leaked).toBe(0);
    });

    test('has one 128-d row per position and nextBatch walks the text in order, wrapping', () => {
      expect(source.dim).toBe(128);
      expect(source.length).toBe(400);
      const a = source.nextBatch(300);
      expect(a.length).toBe(300 * 128);
      expect(Array.from(source.lastPositions.slice(0, 3))).toEqual([5, 6, 7]);
      const b = source.nextBatch(150);
      expect(source.lastPositions[99]).toBe(404);
      expect(source.lastPositions[100]).toBe(5);
      expect(Array.from(b.subarray(100 * 128, 101 * 128))).toEqual(Array.from(a.subarray(0, 128)));
      source.reset();
    });

    test('each row equals the residual stream computed on its own window (prefix or overlapping window)', async () => {
      const tokens = vocab.encode(text);
      // Row of position p: in the first window (begin 0) for p < 64, in the second (begin 48) for 64 <= p < 112, ...
      for (const [p, begin] of [
        [5, 0],
        [40, 0],
        [63, 0],
        [64, 48],
        [100, 48],
        [111, 48],
        [112, 96],
        [404, 384],
      ]) {
        const ids = tf.tensor2d(tokens.subarray(begin, p + 1), [1, p + 1 - begin], 'int32');
        const resid = model.residualStream(ids, 1);
        const all = await resid.data();
        const want = all.subarray((p - begin) * 128, (p - begin + 1) * 128);
        const got = source.row(p - 5);
        for (let d = 0; d < 128; d++) expect(got[d]).toBeCloseTo(want[d], 3);
        tf.dispose([ids, resid]);
      }
    });

    test('contexts are the text around each row; topContexts sorts by score', () => {
      const norm = vocab.decode(vocab.encode(text));
      const c = source.contextOf(100, 20, 5);
      expect(c.position).toBe(105);
      expect(c.left + c.token + c.right).toBe(norm.slice(85, 111));
      expect(showContext(c)).toBe(`${c.left}[${c.token}]${c.right}`.replace(/\n/g, '⏎'));
      const scores = Float32Array.from({ length: source.length }, (_, i) => source.row(i)[7]);
      const top = source.topContexts(scores, 5);
      expect(top).toHaveLength(5);
      for (let k = 1; k < 5; k++) expect(top[k - 1].score).toBeGreaterThanOrEqual(top[k].score);
      expect(top[0].score).toBe(Math.max(...scores));
      expect(top[0].token).toBe(norm[top[0].position]);
      expect(() => source.topContexts(scores.subarray(1), 5)).toThrow(/scores: need one score per row/);
    });
  });
});

describe('the shipped MNIST MLP', () => {
  test('reaches the stated test accuracy', async () => {
    const { model, config } = loadMnistMlp();
    const acc = await mnistMlpAccuracy(model, loadMnist({ split: 'test' }));
    expect(acc).toBeCloseTo(config.testAccuracy, 6);
    expect(acc).toBeCloseTo(STATED_TEST_ACCURACY, 4);
    expect(acc).toBeGreaterThan(0.97);
    model.dispose();
  });

  test('hidden activations: 256-d ReLU rows equal max(0, x W1 + b1) from a JS loop', async () => {
    const source = await loadMnistMlpActivations({ split: 'test', limit: 50 });
    expect(source.dim).toBe(256);
    expect(source.length).toBe(50);
    const batch = source.nextBatch(60);
    expect(batch.length).toBe(60 * 256);
    expect(source.lastRows[55]).toBe(5);
    const { model } = loadMnistMlp();
    const w1 = await model.params.get('W1').data();
    const b1 = await model.params.get('b1').data();
    const x = loadMnist({ split: 'test', limit: 50 }).images;
    const i = 3;
    for (let h = 0; h < 256; h += 17) {
      let s = b1[h];
      for (let d = 0; d < 784; d++) s += x[i * 784 + d] * w1[d * 256 + h];
      expect(batch[i * 256 + h]).toBeCloseTo(Math.max(0, s), 3);
    }
    expect(source.labels[i]).toBe(loadMnist({ split: 'test', limit: 50 }).labels[i]);
    model.dispose();
  });
});
