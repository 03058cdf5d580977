import * as tf from '@tensorflow/tfjs';
import { rescalingProbe } from '../../lessons/sae-basics/experiment';
import { type FrontierPoint, FrontierRuns, frontierAt, frontierGap } from '../../src/lesson/sae-frontier';
import { TOY, ToyRun } from '../../src/lesson/sae-toy';
import { type ChartSpec, checkChartSpec } from '../../src/charts/spec';
import { Rng } from '../../src/core/random';
import { MetricHistory, trainLoop } from '../../src/core/train';
import type { Experiment } from '../../src/lesson/experiment';
import { NODE_DATA } from '../../src/lesson/node';
import { defaultSettings } from '../../src/lesson/settings';
import { runQuickChecked } from './quick-run';

const pt = (l0: number, fvu: number): FrontierPoint => ({ l0, fvu, architecture: 'relu-l1', label: '' });

describe('frontier arithmetic', () => {
  const runs = [pt(2, 0.4), pt(4, 0.2), pt(8, 0.05), pt(6, 0.3) /* dominated by (4, 0.2) */];

  test('frontierAt interpolates log FVU linearly in L0 between Pareto points', () => {
    // Between (4, 0.2) and (8, 0.05) at L0 = 6: exp((log 0.2 + log 0.05) / 2) = sqrt(0.01) = 0.1.
    expect(frontierAt(runs, 6)).toBeCloseTo(0.1, 10);
    expect(frontierAt(runs, 3)).toBeCloseTo(Math.sqrt(0.4 * 0.2), 10);
    expect(frontierAt(runs, 4)).toBeCloseTo(0.2, 12);
    // Outside the range: the nearest end.
    expect(frontierAt(runs, 1)).toBe(0.4);
    expect(frontierAt(runs, 20)).toBe(0.05);
    expect(frontierAt([], 3)).toBeNaN();
  });

  test('frontierGap is the log ratio to the frontier: above > 0, below < 0', () => {
    expect(frontierGap(runs, { l0: 6, fvu: 0.3 })).toBeCloseTo(Math.log(3), 10);
    expect(frontierGap(runs, { l0: 6, fvu: 0.05 })).toBeCloseTo(Math.log(0.5), 10);
  });
});

describe('probes of the experiment', () => {
  let exp: ToyRun;
  beforeAll(async () => {
    exp = await ToyRun.create({
      sae: { architecture: 'relu-l1', l1Coefficient: 1, seed: 3 },
      steps: 10,
      normalizeInput: false,
    });
  });
  afterAll(() => exp.dispose());

  test('rescaling latents by 1/c and rows by c: plain L1 / c, weighted L1 and reconstruction unchanged', async () => {
    const before = tf.memory().numTensors;
    const r = await rescalingProbe(exp, 10);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.plainL1).toBeGreaterThan(0);
    expect(r.plainL1Rescaled).toBeCloseTo(r.plainL1 / 10, 4);
    expect(r.weightedL1Rescaled).toBeCloseTo(r.weightedL1, 3);
    expect(r.reconChange).toBeLessThan(1e-4);
  });

  test('a dictionary equal to the true directions recovers all 64 features, with no shrinkage', async () => {
    // W_dec rows 0..63 = u_i, rows 64..127 = -u_i (never active on these inputs); W_enc = W_dec^T; no biases.
    const u = tf.tensor2d(exp.data.directions, [TOY.numFeatures, TOY.dim]);
    tf.tidy(() => {
      const w = tf.concat([u, u.neg()], 0);
      exp.sae.params.assign({
        W_dec: w,
        W_enc: w.transpose(),
        b_enc: tf.zeros([TOY.nLatents]),
        b_dec: tf.zeros([TOY.dim]),
      });
    });
    u.dispose();
    const probe = await exp.probe();
    expect(probe.recovered).toBe(TOY.numFeatures);
    expect(probe.meanMaxCosine).toBeCloseTo(1, 5);
    // f_i = ReLU(<x, u_i>) = c_i + interference from the other active features (zero-mean):
    // the least-squares slope against c_i is 1 up to that noise.
    const { slope, points } = await exp.shrinkage();
    expect(points.length).toBeGreaterThan(100);
    expect(slope).toBeGreaterThan(0.9);
    expect(slope).toBeLessThan(1.2);
    // The same slope by a naive pass over the held-out codes and latents.
    const f = await exp.latents();
    let cf = 0;
    let cc = 0;
    for (let b = 0; b < TOY.heldOut; b++)
      for (let i = 0; i < TOY.numFeatures; i++) {
        const c = exp.heldOut.codes[b * TOY.numFeatures + i];
        if (c === 0) continue;
        cf += c * f[b * TOY.nLatents + i];
        cc += c * c;
      }
    expect(slope).toBeCloseTo(cf / cc, 5);
  });
});

describe('the script (quick)', () => {
  let metrics: Record<string, number>;
  let files: string[];
  beforeAll(async () => {
    ({ metrics, files } = await runQuickChecked('sae-basics'));
  }, 300_000);

  test('prints every number the narration quotes, all finite', () => {
    const quoted = [
      'plainL1',
      'plainL1Rescaled',
      'weightedL1',
      'weightedL1Rescaled',
      'rescaleReconChange',
      'shrinkageSlope',
      'reconstructionBiasMid',
      'recoveredMid',
      'meanMaxCosineMid',
      'fvuFirst',
      'l0First',
      'recoveredFirst',
      'fvuLast',
      'l0Last',
      'recoveredLast',
      'fvuA',
      'l0A',
      'frontierGapA',
      'fvuB',
      'l0B',
      'frontierGapB',
    ];
    for (const k of quoted) {
      expect(metrics).toHaveProperty(k);
      expect(Number.isFinite(metrics[k])).toBe(true);
    }
    expect(files).toEqual(
      expect.arrayContaining(['frontier.png', 'curves.png', 'recovery.png', 'shrinkage.png', 'metrics.json']),
    );
  });

  test('the directions the narration claims', () => {
    // The rescaling argument.
    expect(metrics.plainL1Rescaled).toBeCloseTo(metrics.plainL1 / 10, 3);
    expect(metrics.weightedL1Rescaled).toBeCloseTo(metrics.weightedL1, 3);
    // Shrinkage: activations come out short, the reconstruction is biased low.
    expect(metrics.shrinkageSlope).toBeLessThan(0.9);
    expect(metrics.reconstructionBiasMid).toBeLessThan(1);
    // A weak penalty spreads features over latents: fewer recovered than at the middle lambda.
    expect(metrics.recoveredFirst).toBeLessThan(metrics.recoveredMid);
    // The sweep trades MSE for L0.
    expect(metrics.fvuFirst).toBeLessThan(metrics.fvuLast);
    expect(metrics.l0First).toBeGreaterThan(metrics.l0Last);
    // The exercise: A has the lower MSE and the higher L0, yet sits above the frontier, B below or near it.
    expect(metrics.fvuA).toBeLessThan(metrics.fvuB);
    expect(metrics.l0A).toBeGreaterThan(metrics.l0B);
    expect(metrics.frontierGapA).toBeGreaterThan(0);
    expect(metrics.frontierGapB).toBeLessThan(metrics.frontierGapA);
  });
});

describe('the three experiments (lessons 4-6): every declared figure fills', () => {
  const lessons: Array<[string, string, string]> = [
    ['sae-basics', '../../lessons/sae-basics/experiment', 'saeBasicsExperiment'],
    ['sae-topk', '../../lessons/sae-topk/experiment', 'saeTopkExperiment'],
    ['sae-jumprelu', '../../lessons/sae-jumprelu/experiment', 'saeJumpReluExperiment'],
  ];
  test.each(lessons)(
    '%s',
    async (_id, file, factory) => {
      // A finished JumpReLU run in the store, so lesson 6's coefficient figure has a point.
      const frontier = new FrontierRuns();
      frontier.record({ l0: 5, fvu: 0.2, architecture: 'jumprelu', label: 'lambda=1', coefficient: 1 });
      const experiment = (require(file) as Record<string, (f: FrontierRuns) => Experiment>)[factory](frontier);
      const settings = defaultSettings(experiment.settings);
      const before = tf.memory().numTensors;
      const run = await experiment.create({ settings, rng: new Rng(1), data: NODE_DATA, note: () => {} });
      const history = new MetricHistory();
      try {
        await trainLoop({ steps: 25, logEvery: 5, history, step: (i) => run.oneStep(i) });
        const figures = await run.probes(history);
        expect(Object.keys(figures).sort()).toEqual(Object.keys(experiment.figures).sort());
        for (const [name, fig] of Object.entries(figures)) {
          const spec = fig as ChartSpec;
          checkChartSpec(spec);
          const points = spec.series.reduce((n, s) => n + s.points.length, 0);
          expect([name, points > 0]).toEqual([name, true]);
        }
      } finally {
        run.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    },
    120_000,
  );
});
