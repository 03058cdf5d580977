/**
 * Lesson 9 (sae-language-model): the pieces the lesson adds, each against an independent
 * computation (the activation windows against the model's residual stream read position by
 * position; the page's checkpoint decoder against the Node loader; the widgets' answers against
 * the SAE and the steering function called directly), and the quick script run: every number
 * the narration quotes exists and is finite, and what the narration says was found holds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { InputError } from '../../src/base/errors';
import { assetDir, loadCharLm } from '../../src/data/lm/assets';
import type { CharLm } from '../../src/data/lm/char-lm';
import { CharVocab } from '../../src/data/lm/vocab';
import { CHAR_TEXT_CHARS } from '../../src/lesson/experiment';
import { NODE_DATA, runExperiment } from '../../src/lesson/node';
import { build } from '../../src/server/build';
import { ROOT } from '../../src/server/paths';
import { latentRowsOf } from '../../src/sae/eval/latent-rows';
import { disposeLatents } from '../../src/sae/eval/splice';
import { generateSteered } from '../../src/sae/eval/steering';
import { charLmFromBytes } from '../../src/server/browser/datasets';
import { runQuickChecked } from './quick-run';
import experiment, {
  LM,
  type LmRun,
  type SearchResult,
  windowActivations,
} from '../../lessons/sae-language-model/experiment';

describe('lesson 9 pieces', () => {
  let model: CharLm;
  beforeAll(() => {
    model = loadCharLm().model;
  });
  afterAll(() => model.dispose());

  test('windowActivations keeps positions minContext..T-1 of each window, row by row', async () => {
    const T = model.config.contextLength;
    const D = model.dModel;
    const rng = new Rng(3);
    const W = 3;
    const ids = Int32Array.from({ length: W * T }, () => 2 + rng.int(60));
    const before = tf.memory().numTensors;
    const rows = await windowActivations(model, ids, W, 1, 16);
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.length).toBe(W * (T - 16) * D);
    // Independently: each window on its own, the full residual stream, then one position at a time.
    for (let w = 0; w < W; w++) {
      const full = tf.tidy(() =>
        model.residualStream(tf.tensor2d(ids.subarray(w * T, (w + 1) * T), [1, T], 'int32'), 1),
      );
      const all = await full.data();
      full.dispose();
      for (const t of [16, 40, T - 1]) {
        const r = w * (T - 16) + (t - 16);
        for (const c of [0, 57, D - 1]) expect(rows[r * D + c]).toBeCloseTo(all[t * D + c], 4);
      }
    }
  });

  test('the build serves the text and model Node reads, so the page and the script see the same data', async () => {
    expect((await build({ steps: ['charlm'] }))[0].step).toBe('charlm');
    const again = await build({ steps: ['charlm'] });
    expect(again[0].skipped).toBe(true);
    const served = path.join(ROOT, 'public/build/data/char-lm');
    for (const [file, split] of [
      ['train.txt', 'train'],
      ['held-out.txt', 'heldOut'],
    ] as const) {
      const text = fs.readFileSync(path.join(served, file), 'utf8');
      expect(text).toBe(await NODE_DATA.charText!(split));
      expect(text.length).toBe(CHAR_TEXT_CHARS[split]);
    }
    for (const f of ['model.safetensors', 'config.json']) {
      expect(fs.readFileSync(path.join(served, f)).equals(fs.readFileSync(path.join(assetDir('char-lm'), f)))).toBe(
        true,
      );
    }
  }, 60_000);

  test("the page's checkpoint decoder gives the Node loader's model (same logits)", async () => {
    const dir = assetDir('char-lm');
    const fromBytes = charLmFromBytes(
      fs.readFileSync(path.join(dir, 'config.json')),
      fs.readFileSync(path.join(dir, 'model.safetensors')),
    );
    const ids = tf.tensor2d(new CharVocab().encode('call me ishmael. some years ago'), [1, 31], 'int32');
    const [a, b] = [model.logits(ids), fromBytes.logits(ids)];
    const [va, vb] = [await a.data(), await b.data()];
    let maxDiff = 0;
    for (let i = 0; i < va.length; i++) maxDiff = Math.max(maxDiff, Math.abs(va[i] - vb[i]));
    expect(maxDiff).toBe(0);
    tf.dispose([ids, a, b]);
    fromBytes.dispose();
  });
});

describe('lesson 9 widgets (a short run)', () => {
  let run: LmRun;
  let before: number;
  beforeAll(async () => {
    before = tf.memory().numTensors;
    run = (await runExperiment(experiment, { steps: 20, progress: false, settings: { nLatents: 256, k: 4 } }))
      .run as LmRun;
    await run.probes();
  }, 120_000);
  afterAll(() => {
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('search lists, per character, exactly the latents the SAE fires on it, largest first', async () => {
    const text = 'The Whale, the sea';
    const r = (await run.query('search', { text })) as SearchResult;
    expect(r.text).toBe('the whale, the sea');
    const ids = new CharVocab().encode(text);
    const latents = tf.tidy(() =>
      run.sae.encode(
        run.model
          .residualStream(tf.tensor2d(ids, [1, ids.length], 'int32'), LM.layer)
          .reshape([ids.length, 128]) as tf.Tensor2D,
      ),
    );
    const rows = await latentRowsOf(latents, 256);
    disposeLatents(latents);
    for (let c = 0; c < ids.length; c++) {
      const want = new Map<number, number>();
      for (let e = rows.rowStart[c]; e < rows.rowStart[c + 1]; e++) want.set(rows.idx[e], rows.val[e]);
      expect(r.latents[c].length).toBe(want.size);
      expect(r.latents[c].length).toBeLessThanOrEqual(4);
      for (const { latent, value } of r.latents[c]) expect(value).toBeCloseTo(want.get(latent)!, 5);
      for (let i = 1; i < r.latents[c].length; i++)
        expect(r.latents[c][i].value).toBeLessThanOrEqual(r.latents[c][i - 1].value);
    }
  });

  test("a dashboard's top contexts are sorted and hold the activating character's activation", async () => {
    const r = (await run.query('dashboard', { latent: 5 })) as {
      dashboard: {
        top: { activation: number; activations: number[]; index: number }[];
        logitEffect: { promoted: unknown[] };
      };
    };
    const top = r.dashboard.top;
    for (let i = 1; i < top.length; i++) expect(top[i].activation).toBeLessThanOrEqual(top[i - 1].activation);
    for (const ex of top) expect(ex.activations[ex.index]).toBe(ex.activation);
    expect(r.dashboard.logitEffect.promoted).toHaveLength(8);
  });

  test('steering at strength 0 reproduces the unsteered text; the unsteered text is generateSteered with no direction', async () => {
    const zero = (await run.query('steer', { latent: 3, strength: 0, prompt: 'the ship ', seed: 4 })) as {
      plain: string;
      steered: string;
    };
    expect(zero.steered).toBe(zero.plain);
    const direct = await generateSteered(run.model, {
      layer: LM.layer,
      direction: null,
      prompt: 'the ship ',
      steps: LM.steerChars,
      temperature: 0.7,
      seed: 4,
    });
    expect(zero.plain).toBe(direct.completion);
  });

  test('a question it does not know, or a latent out of range, is a named error', async () => {
    await expect(run.query('nonsense', {})).rejects.toThrow(InputError);
    await expect(run.query('dashboard', { latent: 256 })).rejects.toThrow(/latent/);
  });
});

const QUOTED = [
  'cleanLoss',
  'splicedLoss',
  'zeroAblatedLoss',
  'meanAblatedLoss',
  'lossRecovered',
  'lossRecoveredMeanAblation',
  'heldOutFvu',
  'deadFraction',
  'initialLossRecovered',
  'initialSplicedLoss',
  'initialLossRecoveredMeanAblation',
  'step50LossRecovered',
  'minCosine',
  'opposing09',
  'opposing07',
  'opposing05',
  'opposingRandom09',
  'opposingRandom07',
  'opposingRandom05',
  'steerDifferingChars',
  'neighbourCosine',
  'randomPairCosine',
  'match128to256',
  'split128to256',
  'new128to256',
  'match256to512',
  'split256to512',
  'new256to512',
  'familySize',
];

describe('lesson 9 script (quick)', () => {
  let m: Record<string, number>;
  beforeAll(async () => {
    const run = await runQuickChecked('sae-language-model');
    m = run.metrics;
    const outDir = run.outDir;
    for (const f of ['splice.png', 'recovered.png', 'density.png', 'opposing.png', 'splitting.png', 'curves.png']) {
      expect([f, fs.existsSync(path.join(outDir, f))]).toEqual([f, true]);
    }
  }, 400_000);

  test('every quoted number exists and is finite', () => {
    for (const name of QUOTED) expect([name, Number.isFinite(m[name])]).toEqual([name, true]);
  });

  test('as found: the spliced loss sits just above clean, far below zero-ablated; over 95% of loss recovered', () => {
    expect(m.cleanLoss).toBeLessThan(m.splicedLoss);
    expect(m.splicedLoss).toBeLessThan(m.meanAblatedLoss);
    expect(m.meanAblatedLoss).toBeLessThan(m.zeroAblatedLoss);
    expect(m.lossRecovered).toBeGreaterThan(0.95);
    expect(m.lossRecoveredMeanAblation).toBeLessThan(m.lossRecovered);
    // Before training (b_dec and the scale set from data) zero ablation already reads as 94%: the
    // mean-ablation fraction is the stricter one, and training raises both.
    expect(m.initialLossRecovered).toBeGreaterThan(0.9);
    expect(m.initialLossRecoveredMeanAblation).toBeLessThan(m.initialLossRecovered);
    expect(m.lossRecovered).toBeGreaterThan(m.initialLossRecovered);
    expect(m.lossRecoveredMeanAblation).toBeGreaterThan(m.initialLossRecoveredMeanAblation);
  });

  test('as found: no opposing pairs below -0.9 or -0.7, some below -0.5, far above the random expectation', () => {
    expect(m.opposing09).toBe(0);
    expect(m.opposing07).toBe(0);
    expect(m.opposing05).toBeGreaterThan(10);
    expect(m.opposingRandom05).toBeLessThan(1e-2);
  });

  test('as found: fractions of match, split and new sum to one; new is the largest class at both widths', () => {
    for (const [a, b] of [
      [128, 256],
      [256, 512],
    ]) {
      expect(m[`match${a}to${b}`] + m[`split${a}to${b}`] + m[`new${a}to${b}`]).toBeCloseTo(1, 10);
      expect(m[`new${a}to${b}`]).toBeGreaterThan(m[`split${a}to${b}`]);
      expect(m[`split${a}to${b}`]).toBeGreaterThan(m[`match${a}to${b}`]);
    }
    expect(m.familySize).toBeGreaterThanOrEqual(3);
  });

  test('as found: consecutive activations are more alike than random pairs; steering changes the text', () => {
    expect(m.neighbourCosine).toBeGreaterThan(m.randomPairCosine);
    expect(m.steerDifferingChars).toBeGreaterThan(0);
  });
});
