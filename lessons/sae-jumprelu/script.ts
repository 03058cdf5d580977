/**
 * Lesson 6 (Node): JumpReLU SAEs and the straight-through estimator on the running example.
 *
 *   npm run lesson -- sae-jumprelu [--quick]
 *
 * Drives lessons/sae-jumprelu/experiment.ts (the experiment of the page). Writes into outDir:
 *   kernel.png       one latent's pre-activations around its threshold and the rectangle window
 *   curves.png       loss and MSE, theta stored directly (log theta faded behind)
 *   thresholds.png   the thresholds (10/50/90% quantiles) over training, theta against log theta
 *   l0-sweep.png     held-out L0 and normalised MSE against the L0 coefficient (the saturation)
 *   bandwidth.png    held-out L0 against the bandwidth eps
 *   frontier.png     the frontier of lessons 4-5 with JumpReLU's points, persistent KDE on and off
 * and returns every number the narration quotes.
 */
import * as path from 'node:path';
import { writeChartPng } from '../../src/charts/node';
import { CHART_COLORS } from '../../src/charts/spec';
import type { MetricHistory } from '../../src/core/train';
import {
  ghostOf,
  runExperiment,
  writeFigures,
  type LessonScriptOptions,
  sweepProgressBar,
} from '../../src/lesson/node';
import { type FrontierPoint, frontierChart, frontierGap } from '../../src/lesson/sae-frontier';
import { sweep, reluRun, topkRun } from '../../src/lesson/sae-toy';
import experiment, { STEPS, jumpReluRun, kernelView, thresholdGradVariance } from './experiment';

/** Runs of the script: fewer and shorter with --quick (about 8 runs of 300 steps), 16 runs of 800 steps in full. */
export function jumpSettings(quick: boolean) {
  return quick
    ? {
        steps: 300,
        lambdas: [0.1, 1, 10],
        bandwidths: [0.001, 0.05],
        kdeLambdas: [] as number[],
        reluLambdas: [1.5],
        ks: [4],
      }
    : {
        steps: STEPS,
        lambdas: [0.1, 0.3, 1, 3, 10, 100],
        bandwidths: [0.001, 0.01, 0.05, 0.5],
        kdeLambdas: [3],
        reluLambdas: [0.6, 2.5],
        ks: [2, 4],
      };
}

export default async function run(opts: LessonScriptOptions): Promise<Record<string, number>> {
  const out = (name: string) => path.join(opts.outDir, name);
  const s = jumpSettings(opts.quick);
  const { steps, lambdas, bandwidths } = s;
  const lambda = 1; // the L0 coefficient of the single runs (also in the sweeps: trained once)
  const eps = 0.05; // the default bandwidth (SAELens), likewise
  const metrics: Record<string, number> = { steps, lambda };

  // ---- one run of the page's experiment: the kernel view, and theta against log theta over training ----
  const train = (settings: Record<string, unknown>) =>
    runExperiment(experiment, { settings: { lambda, ...settings, seed: opts.seed }, steps, log: opts.log });
  const track = (h: MetricHistory) =>
    h.series('theta50').map((p, i) => ({
      step: p.step + 1,
      q: [h.series('theta10')[i].value, p.value, h.series('theta90')[i].value],
    }));
  const mainRun = await train({});
  const main = { exp: mainRun.run.run, probe: await mainRun.run.run.probe(), track: track(mainRun.history) };
  const view = await kernelView(main.exp);
  await writeFigures(experiment, mainRun, opts.outDir, { only: ['kernel'] });
  const logRunResult = await train({ thresholdParam: 'log-theta' });
  await writeFigures(experiment, logRunResult, opts.outDir, {
    only: ['curves'],
    ghosts: [ghostOf(experiment, mainRun)],
  });
  const logRun = {
    exp: logRunResult.run.run,
    probe: await logRunResult.run.run.probe(),
    track: track(logRunResult.history),
  };
  const theta0 = 0.01; // the initial threshold (SAELens' default, JumpReluConfig.initialThreshold)
  Object.assign(metrics, {
    fvuTheta: main.probe.fvu,
    l0Theta: main.probe.l0,
    recoveredTheta: main.probe.recovered,
    medianThetaEnd: main.track.at(-1)!.q[1],
    fvuLogTheta: logRun.probe.fvu,
    l0LogTheta: logRun.probe.l0,
    recoveredLogTheta: logRun.probe.recovered,
    medianLogThetaRunEnd: logRun.track.at(-1)!.q[1],
    kernelLatent: view.latent,
    kernelTheta: view.theta,
    kernelInWindow: view.inWindow,
    kdeAtTheta: view.kdeAtTheta,
  });
  opts.log(
    `lambda = ${lambda}: theta stored directly -> L0 ${main.probe.l0.toFixed(2)}, FVU ${main.probe.fvu.toFixed(4)}, ` +
      `median theta ${theta0} -> ${main.track.at(-1)!.q[1].toFixed(3)}; ` +
      `log theta -> L0 ${logRun.probe.l0.toFixed(2)}, FVU ${logRun.probe.fvu.toFixed(4)}, median theta ` +
      `${logRun.track.at(-1)!.q[1].toFixed(3)}`,
  );
  opts.log(
    `kernel view: latent ${view.latent}, theta ${view.theta.toFixed(3)}, ${view.inWindow} of ${view.z.length} ` +
      `held-out inputs within eps/2 = ${view.eps / 2}: KDE at theta ${view.kdeAtTheta.toFixed(3)}`,
  );
  const qSeries = (t: typeof main.track, name: string, color: string, dashed: boolean) =>
    ['10%', 'median', '90%'].map((label, j) => ({
      name: `${name}: ${label}`,
      color,
      dashed,
      points: t.map((p) => [p.step, p.q[j]] as [number, number]),
    }));
  writeChartPng(out('thresholds.png'), {
    title: `Thresholds over training (lambda = ${lambda}, eps = ${eps})`,
    subtitle: 'quantiles over the 128 latents; dashed: stored as log theta',
    kind: 'line',
    x: { title: 'training step' },
    y: { title: 'threshold theta (normalised units)' },
    series: [
      ...qSeries(main.track, 'theta', CHART_COLORS[2], false),
      ...qSeries(logRun.track, 'log theta', CHART_COLORS[3], true),
    ],
  });
  mainRun.run.dispose();
  logRunResult.run.dispose();

  // ---- the L0 coefficient sweep ----
  opts.log(`L0 coefficient sweep: lambda = ${lambdas.join(', ')}`);
  const mainPoint = (label: string) => ({
    point: { l0: main.probe.l0, fvu: main.probe.fvu, architecture: 'jumprelu', label },
    probe: main.probe,
  });
  const lambdaRuns = [];
  for (const l of lambdas) {
    if (l === lambda) lambdaRuns.push(mainPoint(`lambda=${l}`));
    else
      lambdaRuns.push(
        ...(await sweep([{ label: `lambda=${l}`, settings: jumpReluRun(l, steps, opts.seed) }], sweepProgressBar)),
      );
  }
  lambdaRuns.forEach((r, i) => {
    metrics[`sweepLambda${i}`] = lambdas[i];
    metrics[`sweepL0${i}`] = r.probe.l0;
    metrics[`sweepFvu${i}`] = r.probe.fvu;
    opts.log(`  lambda ${lambdas[i]}: L0 ${r.probe.l0.toFixed(2)}, FVU ${r.probe.fvu.toFixed(4)}`);
  });
  const logLambda = lambdas.map((l) => Math.log10(l));
  writeChartPng(out('l0-sweep.png'), {
    title: 'L0 against the L0 coefficient: it stops coming down',
    kind: 'line',
    x: { title: 'L0 coefficient lambda (log10)' },
    y: { title: 'held-out value', log: true },
    series: [
      {
        name: 'L0 (active latents per input)',
        color: CHART_COLORS[2],
        points: lambdaRuns.map((r, i) => [logLambda[i], r.probe.l0]),
      },
      {
        name: 'normalised MSE (FVU)',
        color: CHART_COLORS[0],
        points: lambdaRuns.map((r, i) => [logLambda[i], r.probe.fvu]),
      },
      {
        name: 'true L0 of the toy (4)',
        color: CHART_COLORS[6],
        dashed: true,
        points: [
          [logLambda[0], 4],
          [logLambda.at(-1)!, 4],
        ],
      },
    ],
  });

  // ---- bandwidth against input scale ----
  opts.log(`bandwidth sweep at lambda = ${lambda}: eps = ${bandwidths.join(', ')}`);
  const epsRuns = [];
  for (const e of bandwidths) {
    if (e === eps) epsRuns.push(mainPoint(`eps=${e}`));
    else
      epsRuns.push(
        ...(await sweep(
          [{ label: `eps=${e}`, settings: jumpReluRun(lambda, steps, opts.seed, { bandwidth: e }) }],
          sweepProgressBar,
        )),
      );
  }
  epsRuns.forEach((r, i) => {
    metrics[`bandwidth${i}`] = bandwidths[i];
    metrics[`bandwidthL0${i}`] = r.probe.l0;
    metrics[`bandwidthFvu${i}`] = r.probe.fvu;
    opts.log(`  eps ${bandwidths[i]}: L0 ${r.probe.l0.toFixed(2)}, FVU ${r.probe.fvu.toFixed(4)}`);
  });
  writeChartPng(out('bandwidth.png'), {
    title: `L0 against the bandwidth (lambda = ${lambda}, inputs scaled to E||x||^2 = d)`,
    kind: 'line',
    x: { title: 'bandwidth eps (log10, normalised units)' },
    y: { title: 'held-out L0 (active latents per input)', min: 0 },
    series: [
      {
        name: 'held-out L0',
        color: CHART_COLORS[2],
        points: epsRuns.map((r, i) => [Math.log10(bandwidths[i]), r.probe.l0]),
      },
    ],
  });

  // ---- the persistent KDE: gradient variance at fixed parameters, and the frontier ----
  const W = 8;
  const kdeResult = await train({ kde: true });
  const kdeMain = { exp: kdeResult.run.run, probe: await kdeResult.run.run.probe() };
  const variance = await thresholdGradVariance(kdeMain.exp, opts.quick ? 12 : 32);
  kdeResult.run.dispose();
  Object.assign(metrics, {
    kdeWindow: W,
    thetaGradVariancePlain: variance.plain,
    thetaGradVariancePooled: variance.pooled,
    thetaGradVarianceRatio: variance.pooled / variance.plain,
    thetaGradVarianceReconOnly: variance.reconstructionOnly,
    fvuKde: kdeMain.probe.fvu,
    l0Kde: kdeMain.probe.l0,
  });
  opts.log(
    `persistent KDE (W = ${W}): threshold-gradient variance ${variance.plain.toExponential(3)} -> ` +
      `${variance.pooled.toExponential(3)} (x${(variance.pooled / variance.plain).toFixed(3)}); ` +
      `its reconstruction part alone (lambda = 0) ${variance.reconstructionOnly.toExponential(3)}; ` +
      `L0 ${kdeMain.probe.l0.toFixed(2)} FVU ${kdeMain.probe.fvu.toFixed(4)} against ${main.probe.l0.toFixed(2)} / ${main.probe.fvu.toFixed(4)} without`,
  );
  const kdeLambdas = s.kdeLambdas;
  const kdeRuns = await sweep(
    kdeLambdas.map((l) => ({
      label: `lambda=${l}, KDE`,
      settings: jumpReluRun(l, steps, opts.seed, { kdeWindow: W }),
    })),
    sweepProgressBar,
  );
  const jumpFront: FrontierPoint[] = lambdaRuns.map((r) => r.point);
  kdeRuns.unshift({
    point: { l0: kdeMain.probe.l0, fvu: kdeMain.probe.fvu, architecture: 'jumprelu', label: `lambda=${lambda}, KDE` },
    probe: kdeMain.probe,
  });
  kdeLambdas.unshift(lambda);
  kdeRuns.forEach((r, i) => {
    const gap = frontierGap(jumpFront, r.probe);
    metrics[`kdeLambda${i}`] = kdeLambdas[i];
    metrics[`kdeGapToPlain${i}`] = gap;
    opts.log(
      `  KDE lambda ${kdeLambdas[i]}: L0 ${r.probe.l0.toFixed(2)}, FVU ${r.probe.fvu.toFixed(4)}, ` +
        `${(100 * (Math.exp(gap) - 1)).toFixed(1)}% MSE against the plain JumpReLU frontier`,
    );
  });

  // ---- the running frontier: ReLU + L1, TopK, JumpReLU ----
  const { ks, reluLambdas } = s;
  const reluPts = await sweep(
    reluLambdas.map((l) => ({ label: `lambda=${l}`, settings: reluRun(l, steps, opts.seed) })),
    sweepProgressBar,
  );
  const topkPts = await sweep(
    ks.map((k) => ({ label: `k=${k}`, settings: topkRun(k, steps, opts.seed) })),
    sweepProgressBar,
  );
  const reluFront = reluPts.map((r) => r.point);
  const topkFront = topkPts.map((r) => r.point);
  const l1At4 = lambdaRuns.reduce((best, r) => (Math.abs(r.probe.l0 - 4) < Math.abs(best.probe.l0 - 4) ? r : best));
  metrics.jumpNearL04L0 = l1At4.probe.l0;
  metrics.jumpNearL04Fvu = l1At4.probe.fvu;
  metrics.jumpNearL04GapToRelu = frontierGap(reluFront, l1At4.probe);
  metrics.jumpNearL04GapToTopk = frontierGap(topkFront, l1At4.probe);
  opts.log(
    `JumpReLU run nearest L0 = 4 (L0 ${l1At4.probe.l0.toFixed(2)}, FVU ${l1At4.probe.fvu.toFixed(4)}): ` +
      `${(100 * (Math.exp(metrics.jumpNearL04GapToRelu) - 1)).toFixed(0)}% MSE against the ReLU frontier, ` +
      `${(100 * (Math.exp(metrics.jumpNearL04GapToTopk) - 1)).toFixed(0)}% against TopK's`,
  );
  writeChartPng(
    out('frontier.png'),
    frontierChart(
      [...reluFront, ...topkFront, ...jumpFront],
      [
        {
          name: `jumprelu + persistent KDE (W = ${W})`,
          kind: 'scatter',
          color: CHART_COLORS[3],
          pointRadius: 5,
          points: kdeRuns.map((r) => [r.probe.l0, r.probe.fvu]),
        },
      ],
      `${steps} steps each; JumpReLU lambda = ${lambdas.join(', ')}`,
    ),
  );
  return metrics;
}
