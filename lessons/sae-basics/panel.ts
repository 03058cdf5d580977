/**
 * Live panel of lesson 4: a ReLU + L1 SAE trained on the superposition toy (the experiment of
 * experiment.ts, the same one the script runs). Views: the MSE/L0 frontier, which gains a point
 * per finished run (kept across lessons 4-6), the best decoder cosine of each true feature,
 * shrinkage, and the "which is better?" exercise.
 */
import { CHART_COLORS } from '../../src/charts/spec';
import { definePanel, seedSetting } from '../../src/server/browser/panel-kit';
import {
  EXERCISE,
  type FrontierPoint,
  type Probe,
  type RunSettings,
  SaeExperiment,
  TOY,
  frontierChart,
  frontierGap,
  recoveryChart,
  shrinkageChart,
} from './experiment';
import { button, chartView, clearFrontier, line, loadFrontier, saveFrontierPoint } from './views';

/** Steps of one run in the page (the script's quick run uses 400, its full run 1000). */
const STEPS = 600;

export default definePanel({
  title: 'Train a ReLU + L1 sparse autoencoder',
  settings: {
    lambda: {
      kind: 'number',
      label: 'L1 coefficient lambda',
      default: 1.5,
      min: 0,
      max: 50,
      help: 'the sparsity penalty; each finished run adds a point to the frontier',
    },
    tiedInit: { kind: 'bool', label: 'tied init (W_enc = W_dec^T)', default: true },
    seed: seedSetting(1),
  },
  chart: ['loss', 'mse'],
  readout: ['loss', 'mse', 'l1', 'l0', 'fvu', 'recovered'],
  logEvery: 20,
  maxSteps: STEPS,
  async create(ctx) {
    const s = ctx.settings;
    const settings = (lambda: number, tiedInit: boolean, steps: number): RunSettings => ({
      sae: { architecture: 'relu-l1', l1Coefficient: lambda, tiedInit, seed: s.seed },
      steps,
    });
    const exp = await SaeExperiment.create(settings(s.lambda, s.tiedInit, STEPS));
    ctx.note(
      `${TOY.numFeatures} true features in d = ${TOY.dim}, ${TOY.nLatents} latents, batch ${TOY.batchSize}; ` +
        `a run is ${STEPS} steps and adds its point to the frontier.`,
    );
    const drawFrontier = chartView(
      ctx,
      'MSE/L0 frontier (your runs, kept across lessons 4-6)',
      'Each finished run is a point; the dashed line joins the runs no other run beats on both axes.',
      260,
    );
    const drawRecovery = chartView(ctx, 'Decoder directions against the true ones', undefined, 240);
    const drawShrinkage = chartView(ctx, 'Shrinkage: true magnitude against its latent', undefined, 220);
    const exercise = ctx.boxView(
      'Which is better?',
      'Run A reaches a lower MSE than run B, and uses more latents. Train both, then decide.',
    );

    let points: FrontierPoint[] = loadFrontier();
    const exercisePoints: { a?: Probe; b?: Probe } = {};
    let probe: Probe | null = null;
    let recorded = false;

    const exerciseSeries = () =>
      (['a', 'b'] as const)
        .filter((k) => exercisePoints[k])
        .map((k, j) => ({
          name: EXERCISE[k].label,
          kind: 'scatter' as const,
          color: CHART_COLORS[3 + j],
          pointRadius: 6,
          points: [[exercisePoints[k]!.l0, exercisePoints[k]!.fvu]] as Array<[number, number]>,
        }));

    const redrawFrontier = () => {
      const live =
        probe && !recorded
          ? [
              {
                name: `this run (step ${exp.step})`,
                kind: 'scatter' as const,
                color: CHART_COLORS[6],
                pointRadius: 5,
                points: [[probe.l0, probe.fvu]] as Array<[number, number]>,
              },
            ]
          : [];
      drawFrontier(frontierChart(points, [...exerciseSeries(), ...live]));
    };

    // The exercise: train A and B here (same data and seed), then ask.
    const status = line(exercise, '', 'exercise-status');
    const trainBoth = button(exercise, 'btn-exercise', 'Train A and B', () => void runExercise());
    const answers = document.createElement('div');
    answers.className = 'buttons';
    exercise.append(answers);
    const verdict = line(exercise, '', 'exercise-verdict');
    button(exercise, 'btn-clear-frontier', 'Clear my ReLU points', () => {
      points = clearFrontier('relu-l1');
      redrawFrontier();
    });
    let disposed = false;

    async function runExercise(): Promise<void> {
      trainBoth.disabled = true;
      for (const k of ['a', 'b'] as const) {
        const e = EXERCISE[k];
        const steps = e.stepsFactor * STEPS;
        const run = await SaeExperiment.create(settings(e.lambda, e.tiedInit, steps));
        for (let i = 0; i < steps && !disposed; i++) {
          const r = await run.oneStep();
          for (const v of Object.values(r ?? {})) if (typeof v !== 'number') v.dispose();
          if (i % 50 === 0) {
            status.textContent = `training ${e.label}: step ${i} of ${steps}`;
            await new Promise((res) => setTimeout(res, 0));
          }
        }
        if (!disposed) exercisePoints[k] = await run.probe();
        run.dispose();
        if (disposed) return;
      }
      const { a, b } = exercisePoints as { a: Probe; b: Probe };
      status.textContent =
        `A: MSE (FVU) ${a.fvu.toFixed(3)} at L0 ${a.l0.toFixed(1)}; B: FVU ${b.fvu.toFixed(3)} at L0 ${b.l0.toFixed(1)}. ` +
        'Which is better?';
      redrawFrontier();
      answers.textContent = '';
      for (const pick of ['A', 'B'] as const)
        button(answers, `btn-answer-${pick}`, `${pick} is better`, () => judge(pick));
      trainBoth.disabled = false;
    }

    function judge(pick: 'A' | 'B'): void {
      const relu = points.filter((p) => p.architecture === 'relu-l1');
      const { a, b } = exercisePoints as { a: Probe; b: Probe };
      if (relu.length < 2) {
        verdict.textContent = 'Finish at least two runs at different lambdas first: the frontier needs points.';
        return;
      }
      const gapA = frontierGap(relu, a);
      const gapB = frontierGap(relu, b);
      const better = gapA < gapB ? 'A' : 'B';
      const pct = (g: number) => `${g > 0 ? '+' : ''}${(100 * (Math.exp(g) - 1)).toFixed(0)}%`;
      verdict.textContent =
        `${pick === better ? 'Yes' : 'No'}: against your frontier at the same L0, A's MSE is ${pct(gapA)} and ` +
        `B's ${pct(gapB)}, so ${better} is better. A lower MSE alone says nothing when L0 differs.`;
    }

    const PROBE_EVERY = 100;
    return {
      async step(i) {
        const r = await exp.oneStep();
        if ((i + 1) % PROBE_EVERY !== 0 && i + 1 < STEPS) return r;
        // Held-out probe: FVU, L0 and recovery (a few ms on the toy), read as metrics.
        probe = await exp.probe();
        return { ...r, fvu: probe.fvu, recovered: probe.recovered };
      },
      async draw() {
        if (!probe) probe = await exp.probe();
        if (exp.step >= STEPS && !recorded) {
          recorded = true;
          points = saveFrontierPoint({
            l0: probe.l0,
            fvu: probe.fvu,
            architecture: 'relu-l1',
            label: `lambda=${s.lambda}${s.tiedInit ? '' : ', untied'}`,
          });
        }
        redrawFrontier();
        drawRecovery(
          recoveryChart(
            probe.maxCosine,
            `${probe.recovered} of ${TOY.numFeatures} true features recovered (cos >= 0.9) at step ${exp.step}`,
          ),
        );
        const shrink = await exp.shrinkage(400);
        drawShrinkage(shrinkageChart(shrink.points, shrink.slope, `lambda = ${s.lambda}`));
      },
      dispose() {
        disposed = true;
        exp.dispose();
      },
    };
  },
});
