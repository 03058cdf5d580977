/**
 * The lesson framework without a browser: settings parsing (URL, "Try it" bodies, sliders,
 * legend labels) and the run state machine (start / pause / step / reset, "pausing" at once,
 * wall-clock steps/s, notes cleared on reset, ghosts kept), driven by a tiny fake experiment
 * with a controllable clock.
 */
import * as tf from '@tensorflow/tfjs';
import { RunController } from '../../src/lesson/controller';
import { defineExperiment } from '../../src/lesson/experiment';
import { curvesChart } from '../../src/lesson/figures';
import {
  defaultSettings,
  parseAssignments,
  parseSetting,
  readSettings,
  seedSetting,
  settingsLabel,
  settingsQuery,
  sliderPosition,
  sliderValue,
} from '../../src/lesson/settings';
import { checkChartSpec } from '../../src/charts/spec';

const SPECS = {
  k: { kind: 'int', label: 'k', default: 8, min: 1, max: 64, slider: 'log' },
  lr: { kind: 'number', label: 'lr', default: 0.01, min: 1e-4, max: 1, slider: 'log' },
  arch: { kind: 'choice', label: 'arch', default: 'topk', options: ['topk', 'relu'] },
  tied: { kind: 'bool', label: 'tied', default: true },
  seed: seedSetting(1),
} as const;

describe('settings', () => {
  test('parseSetting accepts exactly the allowed values', () => {
    expect(parseSetting(SPECS.k, '8')).toBe(8);
    expect(parseSetting(SPECS.k, '8.5')).toBeUndefined();
    expect(parseSetting(SPECS.k, '0')).toBeUndefined();
    expect(parseSetting(SPECS.k, '65')).toBeUndefined();
    expect(parseSetting(SPECS.k, '')).toBeUndefined();
    expect(parseSetting(SPECS.lr, '1e-3')).toBe(0.001);
    expect(parseSetting(SPECS.lr, 'NaN')).toBeUndefined();
    expect(parseSetting(SPECS.lr, ' ')).toBeUndefined();
    expect(parseSetting(SPECS.arch, 'relu')).toBe('relu');
    expect(parseSetting(SPECS.arch, 'RELU')).toBeUndefined();
    expect(parseSetting(SPECS.tied, 'false')).toBe(false);
    expect(parseSetting(SPECS.tied, '1')).toBe(true);
    expect(parseSetting(SPECS.tied, 'yes')).toBeUndefined();
  });

  test('readSettings: defaults, valid values, and a named problem for each invalid one', () => {
    const { values, problems } = readSettings(SPECS, '?k=16&lr=abc&arch=relu&tied=0&backend=wasm&seed=-1');
    expect(values).toEqual({ k: 16, lr: 0.01, arch: 'relu', tied: false, seed: 1 });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^lr=abc is not a number in \[0.0001, 1\]; using 0.01$/);
    expect(problems[1]).toMatch(/^seed=-1 is not an integer/);
  });

  test('settingsQuery round-trips through readSettings', () => {
    const v = { k: 3, lr: 0.5, arch: 'relu', tied: false, seed: 42 };
    const q = settingsQuery(SPECS, v, { backend: 'wasm' });
    expect(q).toBe('backend=wasm&k=3&lr=0.5&arch=relu&tied=0&seed=42');
    expect(readSettings(SPECS, q)).toEqual({ values: v, problems: [] });
  });

  test('parseAssignments reads a Try-it body and names what is wrong', () => {
    expect(parseAssignments(SPECS, 'k=4 tied=false')).toEqual({ k: 4, tied: false });
    expect(() => parseAssignments(SPECS, 'kk=4')).toThrow(/'kk' is not a setting/);
    expect(() => parseAssignments(SPECS, 'k=100')).toThrow(/k=100: must be an integer in \[1, 64\]/);
    expect(() => parseAssignments(SPECS, 'k')).toThrow(/not name=value/);
  });

  test('settingsLabel lists what differs from the defaults', () => {
    const d = defaultSettings(SPECS);
    expect(settingsLabel(SPECS, d)).toBe('defaults');
    expect(settingsLabel(SPECS, { ...d, k: 4, tied: false })).toBe('k=4, tied=false');
  });

  test('log sliders: position and value are inverse (to 3 digits), ends map to the bounds', () => {
    for (const v of [1e-4, 3e-3, 0.01, 0.27, 1]) {
      const t = sliderPosition(SPECS.lr, v);
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThanOrEqual(1);
      expect(sliderValue(SPECS.lr, t)).toBeCloseTo(Number(v.toPrecision(3)), 12);
    }
    // the geometric midpoint of [1e-4, 1] is 1e-2
    expect(sliderValue(SPECS.lr, 0.5)).toBeCloseTo(0.01, 12);
    expect(sliderValue(SPECS.k, 0)).toBe(1);
    expect(sliderValue(SPECS.k, 1)).toBe(64);
    expect(sliderValue(SPECS.k, 0.5)).toBe(8); // sqrt(64) = 8
  });
});

/** A fake experiment: the "loss" is 1 / (step + 1), computed with a tensor so leaks would show. */
const fake = defineExperiment({
  title: 'fake',
  settings: { rate: { kind: 'number', label: 'rate', default: 1, min: 0.1, max: 10 }, seed: seedSetting(1) },
  metrics: { chart: ['loss'], yTitle: 'loss (nats)' },
  figures: {},
  logEvery: 5,
  maxSteps: 40,
  async create(ctx) {
    const w = tf.scalar(ctx.settings.rate);
    ctx.note(`built with rate ${ctx.settings.rate}`);
    return {
      oneStep: (i) => ({ loss: tf.tidy(() => w.div(i + 1) as tf.Scalar) }),
      probes: async () => ({}),
      dispose: () => w.dispose(),
    };
  },
});

describe('the run controller', () => {
  test('start, pause ("pausing" at once), step, done; no tensors left', async () => {
    const before = tf.memory().numTensors;
    const seen: string[] = [];
    let chunks = 0;
    let c!: RunController<typeof fake.settings>;
    c = new RunController({
      experiment: fake,
      settings: defaultSettings(fake.settings),
      data: { mnist: () => Promise.reject(new Error('no data')) },
      onChange: () => {
        if (seen[seen.length - 1] !== c.status) seen.push(c.status);
      },
      afterChunk: async () => {
        chunks++;
        if (chunks === 2) {
          c.pause();
          expect(c.status).toBe('pausing'); // shown before the loop has stopped
        }
      },
    });
    await c.reset();
    expect(c.status).toBe('ready');
    expect(c.note).toBe('built with rate 1');
    c.start();
    await c.idle();
    expect(c.status).toBe('paused');
    expect(c.step).toBe(10);
    expect(seen).toEqual(['loading', 'ready', 'running', 'pausing', 'paused']);
    expect(c.history.series('loss').map((p) => p.step)).toEqual([4, 9]);
    expect(c.history.last('loss')).toBeCloseTo(1 / 10, 6);
    await c.stepOnce();
    expect(c.step).toBe(11);
    expect(c.history.last('loss')).toBeCloseTo(1 / 11, 6);
    c.start();
    await c.idle();
    expect(c.step).toBe(40);
    expect(c.status).toBe('done');
    c.start(); // nothing to do once done
    expect(c.status).toBe('done');
    await c.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('reset clears the note and the error, keeps the old run as a ghost labelled by its settings', async () => {
    const c = new RunController({
      experiment: fake,
      settings: defaultSettings(fake.settings),
      data: { mnist: () => Promise.reject(new Error('x')) },
    });
    await c.reset();
    c.start();
    await c.idle();
    c.setNote('stale note');
    await c.reset({ rate: 2, seed: 1 });
    expect(c.note).toBe('built with rate 2'); // the stale note is gone, the new build's note shows
    expect(c.ghosts).toHaveLength(1);
    expect(c.ghosts[0].label).toBe('defaults');
    expect(c.ghosts[0].series.loss).toHaveLength(8);
    expect(c.step).toBe(0);
    c.start();
    await c.idle();
    await c.reset({ rate: 3, seed: 1 });
    await c.reset({ rate: 4, seed: 1 }); // rate 3 never ran: no ghost for it
    expect(c.ghosts.map((g) => g.label)).toEqual(['defaults', 'rate=2']);
    const spec = curvesChart('fake', fake.metrics, c.history, c.ghosts);
    checkChartSpec(spec);
    expect(spec.series.map((s) => [s.name, Boolean(s.ghost)])).toEqual([
      ['loss (defaults)', true],
      ['loss (rate=2)', true],
      ['loss', false],
    ]);
    await c.dispose();
  });

  test('steps/s is wall clock over the last window, drawing time included', async () => {
    let now = 0;
    const c = new RunController({
      experiment: fake,
      settings: defaultSettings(fake.settings),
      data: { mnist: () => Promise.reject(new Error('x')) },
      now: () => now,
      rateWindowMs: 1000,
      beforeStep: async () => {
        now += 10; // each step takes 10 ms
      },
      afterChunk: async () => {
        now += 50; // drawing takes 50 ms per chunk of 5 steps
      },
    });
    await c.reset();
    c.start();
    await c.idle();
    // 5 steps per 100 ms of wall clock = 50 steps/s (a chunk alone would say 100 steps/s).
    expect(c.stepsPerSec).toBeCloseTo(50, 6);
    await c.dispose();
  });

  test('a failing create or step shows as an error, and reset recovers', async () => {
    let fail = true;
    const broken = defineExperiment({
      ...fake,
      async create(ctx) {
        const run = await fake.create(ctx);
        return {
          ...run,
          oneStep: (i) => {
            if (fail && i === 3) throw new Error('step 3 broke');
            return run.oneStep(i);
          },
        };
      },
    });
    const c = new RunController({
      experiment: broken,
      settings: defaultSettings(broken.settings),
      data: { mnist: () => Promise.reject(new Error('x')) },
    });
    await c.reset();
    c.start();
    await c.idle();
    expect([c.status, c.error]).toEqual(['error', 'step 3 broke']);
    fail = false;
    await c.reset();
    expect([c.status, c.error]).toEqual(['ready', '']);
    await c.dispose();
  });
});
