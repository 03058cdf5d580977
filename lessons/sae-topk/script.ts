/**
 * Lesson 5 (Node): TopK SAEs on the running example, dead latents, tied initialisation and AuxK.
 *
 *   npm run lesson -- sae-topk [--quick]
 *
 * Drives lessons/sae-topk/experiment.ts (the experiment of the page). Writes into outDir:
 *   frontier.png      normalised MSE against L0: lesson 4's ReLU + L1 sweep and a TopK sweep over k
 *   dead-latents.png  dead fraction over training, tied against untied init, AuxK on and off
 *   curves.png, recovery.png   the page's figures for k = 4, AuxK on (curves: AuxK off faded behind)
 * and returns every number the narration quotes.
 */
import * as path from 'node:path';
import { writeChartPng } from '../../src/charts/node';
import type { Ghost } from '../../src/lesson/figures';
import {
  ghostOf,
  runExperiment,
  writeFigures,
  type LessonScriptOptions,
  sweepProgressBar,
} from '../../src/lesson/node';
import { type FrontierPoint, frontierChart, frontierGap } from '../../src/lesson/sae-frontier';
import { type Probe, sweep, reluRun, topkRun } from '../../src/lesson/sae-toy';
import experiment, { deadChart, decoderStepProbe } from './experiment';

/** Runs of the script: 8 runs of 300 steps with --quick, 11 runs of 1000 steps in full (as lesson 4's). */
export function topkSettings(quick: boolean) {
  return quick
    ? { steps: 300, ks: [2, 8], reluLambdas: [0.5, 3] }
    : { steps: 1000, ks: [1, 2, 8, 12], reluLambdas: [0.3, 1, 2.5] };
}

export default async function run(opts: LessonScriptOptions): Promise<Record<string, number>> {
  const out = (name: string) => path.join(opts.outDir, name);
  const { steps, ks, reluLambdas } = topkSettings(opts.quick);
  const k = 4; // the toy's mean number of active features; its tied, AuxK-on run is also a frontier point
  const metrics: Record<string, number> = { steps, k };

  // ---- tied against untied initialisation, AuxK off then on ----
  const dead: Record<string, number> = {};
  let ghost: ReturnType<typeof deadChart>['series'] = [];
  let curvesGhost: Ghost | null = null;
  let k4: Probe | null = null;
  for (const auxK of [false, true]) {
    const tag = auxK ? 'AuxK' : 'NoAuxK';
    const r = await runExperiment(experiment, { settings: { k, auxK, seed: opts.seed }, steps, log: opts.log });
    const pair = r.run.pair;
    const history = r.history;
    const p = await pair.probe();
    const deadSeries = (key: string) => history.series(key).map((q) => q.value);
    const meanTail = (xs: number[]) => {
      const tail = xs.slice(Math.floor(xs.length / 2));
      return tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
    };
    for (const [name, probe] of [
      ['Tied', p.tied],
      ['Untied', p.untied],
    ] as const) {
      metrics[`fvu${name}${tag}`] = probe.fvu;
      metrics[`recovered${name}${tag}`] = probe.recovered;
      metrics[`deadHeldOut${name}${tag}`] = probe.deadFraction;
      metrics[`deadTrain${name}${tag}`] = deadSeries(`${name.toLowerCase()}.deadFraction`).at(-1) ?? Number.NaN;
      metrics[`deadTrainMean${name}${tag}`] = meanTail(deadSeries(`${name.toLowerCase()}.deadFraction`));
      dead[`${name}${tag}`] = metrics[`deadTrain${name}${tag}`];
    }
    opts.log(
      `k = ${k}, AuxK ${auxK ? 'on' : 'off'}: tied FVU ${p.tied.fvu.toFixed(4)}, ${p.tied.recovered}/64 recovered, ` +
        `dead ${metrics[`deadTrainTied${tag}`].toFixed(3)}; untied FVU ${p.untied.fvu.toFixed(4)}, ` +
        `${p.untied.recovered}/64 recovered, dead ${metrics[`deadTrainUntied${tag}`].toFixed(3)}`,
    );
    if (!auxK) {
      ghost = deadChart(history, '').series.map((s) => ({ ...s, name: `${s.name}, AuxK off`, ghost: true }));
      curvesGhost = ghostOf(experiment, r);
    } else {
      await writeFigures(experiment, r, opts.outDir, { only: ['curves', 'recovery'], ghosts: [curvesGhost!] });
      writeChartPng(
        out('dead-latents.png'),
        deadChart(history, `TopK k = ${k}: dead latents over training (faded: AuxK off)`, ghost),
      );
      k4 = p.tied;
      const step = await decoderStepProbe(pair.tied);
      Object.assign(metrics, {
        radialShareBefore: step.radialBefore,
        radialShareAfter: step.radialAfter,
        maxDecoderNormError: step.maxNormError,
      });
      opts.log(
        `unit-norm decoder step: radial share of the W_dec gradient ${step.radialBefore.toExponential(2)} -> ` +
          `${step.radialAfter.toExponential(2)} after projection; max | ||d_i|| - 1 | = ${step.maxNormError.toExponential(2)}`,
      );
    }
    r.run.dispose();
  }
  // ---- the frontier: lesson 4's ReLU + L1 sweep, then TopK over k ----
  opts.log(`frontier: ReLU + L1 at lambda = ${reluLambdas.join(', ')}; TopK at k = ${ks.join(', ')} and ${k}`);
  const reluPts = await sweep(
    reluLambdas.map((l) => ({ label: `lambda=${l}`, settings: reluRun(l, steps, opts.seed) })),
    sweepProgressBar,
  );
  const topkPts = await sweep(
    ks.map((kk) => ({ label: `k=${kk}`, settings: topkRun(kk, steps, opts.seed) })),
    sweepProgressBar,
  );
  // k = 4 was trained above (tied, AuxK on: the same settings as topkRun(4, ...)).
  const at = ks.findIndex((kk) => kk > k);
  ks.splice(at < 0 ? ks.length : at, 0, k);
  topkPts.splice(at < 0 ? topkPts.length : at, 0, {
    point: { l0: k4!.l0, fvu: k4!.fvu, architecture: 'topk', label: `k=${k}` },
    probe: k4!,
  });
  const reluFront: FrontierPoint[] = reluPts.map((r) => r.point);
  topkPts.forEach((r, i) => {
    const gap = frontierGap(reluFront, r.probe);
    metrics[`topkK${ks[i]}Fvu`] = r.probe.fvu;
    metrics[`topkK${ks[i]}L0`] = r.probe.l0;
    metrics[`topkK${ks[i]}Recovered`] = r.probe.recovered;
    metrics[`topkK${ks[i]}GapToRelu`] = gap;
    opts.log(
      `  TopK k = ${ks[i]}: FVU ${r.probe.fvu.toFixed(4)}, L0 ${r.probe.l0.toFixed(2)}, ` +
        `${r.probe.recovered}/64 recovered; ${(100 * (Math.exp(gap) - 1)).toFixed(0)}% MSE against the ReLU frontier at that L0`,
    );
  });
  reluPts.forEach((r, i) => {
    metrics[`reluFvu${i}`] = r.probe.fvu;
    metrics[`reluL0${i}`] = r.probe.l0;
  });
  writeChartPng(
    out('frontier.png'),
    frontierChart(
      [...reluFront, ...topkPts.map((r) => r.point)],
      [],
      `ReLU + L1 (lambda = ${reluLambdas.join(', ')}) and TopK (k = ${ks.join(', ')}); ${steps} steps each`,
    ),
  );
  return metrics;
}
