/**
 * Lesson 10 (sae-transcoders): the piece the lesson adds (the MLP pairs of random windows
 * against the model's MLP applied to the captured inputs, and against the pairs of the same
 * windows captured one at a time), the experiment's build and step leaving no tensors behind,
 * and the quick script run: every number the narration quotes exists and is finite, and what
 * the narration says was found holds.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { loadCharLm } from '../../src/data/lm/assets';
import type { CharLm } from '../../src/data/lm/char-lm';
import { windowIds } from '../../src/data/lm/char-lm';
import { CharVocab } from '../../src/data/lm/vocab';
import { NODE_DATA } from '../../src/lesson/node';
import { runQuickChecked } from './quick-run';
import { TC, mlpPairsOfWindows } from '../../lessons/sae-transcoders/experiment';

describe('lesson 10 pieces', () => {
  let model: CharLm;
  beforeAll(() => {
    model = loadCharLm().model;
  });
  afterAll(() => model.dispose());

  test('mlpPairsOfWindows: y = MLP(x) row by row, each window as if read alone', async () => {
    const T = model.config.contextLength;
    const D = model.dModel;
    const tokens = new CharVocab().encode((await NODE_DATA.charText!('heldOut')).slice(0, 4000));
    const before = tf.memory().numTensors;
    const { inputs, targets } = await mlpPairsOfWindows(model, tokens, 3, TC.block, new Rng(5));
    expect(tf.memory().numTensors).toBe(before);
    expect(inputs.length).toBe(3 * T * D);
    const again = tf.tidy(() => model.mlp(tf.tensor2d(inputs, [3 * T, D]), TC.block));
    const y = await again.data();
    again.dispose();
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - targets[i]));
    expect(worst).toBeLessThan(1e-5);
    // The same windows (the same seed draws the same starts), one forward pass each.
    const rng = new Rng(5);
    for (let w = 0; w < 3; w++) {
      const start = rng.int(tokens.length - T);
      const alone = tf.tidy(() =>
        model.mlpInputOutput(tf.tensor2d(windowIds(tokens, [start], T, 0), [1, T], 'int32'), TC.block),
      );
      const x1 = await alone.inputND.data();
      tf.dispose([alone.inputND, alone.outputND]);
      for (const t of [0, 31, T - 1])
        for (const c of [0, 77, D - 1]) {
          expect(inputs[(w * T + t) * D + c]).toBeCloseTo(x1[t * D + c], 4);
        }
    }
  });
});

/** The numbers the narration quotes (from the full run; the quick run must produce them too). */
const QUOTED = [
  'cleanLoss',
  'splicedLoss',
  'zeroAblatedLoss',
  'meanAblatedLoss',
  'lossRecovered',
  'lossRecoveredMeanAblation',
  'klSpliced',
  'heldOutFvu',
  'heldOutL0',
  'deadFraction',
  'initialSplicedLoss',
  'initialLossRecoveredMeanAblation',
  'initialFvu',
  'skipSplicedLoss',
  'skipLossRecovered',
  'skipLossRecoveredMeanAblation',
  'skipHeldOutFvu',
  'skipHeldOutL0',
  'skipDeadFraction',
];

describe('lesson 10 script (quick)', () => {
  let m: Record<string, number>;
  beforeAll(async () => {
    m = (await runQuickChecked('sae-transcoders')).metrics;
  }, 400_000);

  test('every quoted number exists and is finite', () => {
    for (const name of QUOTED) expect([name, Number.isFinite(m[name])]).toEqual([name, true]);
  });

  test('as found: the transcoder beats both ablations; zero ablation of this MLP costs less than mean ablation', () => {
    expect(m.cleanLoss).toBeLessThan(m.splicedLoss);
    expect(m.splicedLoss).toBeLessThan(m.zeroAblatedLoss);
    expect(m.zeroAblatedLoss).toBeLessThan(m.meanAblatedLoss);
    expect(m.lossRecoveredMeanAblation).toBeGreaterThan(0.5);
    expect(m.lossRecovered).toBeGreaterThan(0);
    expect(m.heldOutFvu).toBeLessThan(0.25 * m.initialFvu);
    expect(m.splicedLoss).toBeLessThan(m.initialSplicedLoss);
    expect(m.skipSplicedLoss).toBeLessThan(m.meanAblatedLoss);
  });

  test('as found at 150 steps: the skip term has not paid yet (its W_skip starts at zero)', () => {
    expect(m.skipHeldOutFvu).toBeGreaterThan(m.heldOutFvu);
  });
});
