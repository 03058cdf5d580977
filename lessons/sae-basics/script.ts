/**
 * Lesson 4 (Node): ReLU + L1 sparse autoencoders on features in superposition, judged on the
 * MSE/L0 frontier.
 *
 *   npm run lesson -- sae-basics [--quick]
 *
 * Drives lessons/sae-basics/experiment.ts (the same experiment as the page). Writes into outDir:
 *   frontier.png   normalised MSE against L0 for a sweep of the L1 coefficient lambda, with the
 *                  exercise's runs A and B
 *   recovery.png   best decoder cosine of each of the 64 true features (the middle run)
 *   shrinkage.png  true magnitude against the activation of its latent (the middle run)
 * and returns every number the narration quotes.
 */
import { progressBar } from '../../src/core/progress';
import { writeChartPng } from '../../src/charts/node';
import { CHART_COLORS } from '../../src/charts/spec';
import {
  type FrontierPoint,
  type Probe,
  type RunSettings,
  TOY,
  EXERCISE,
  frontierChart,
  frontierGap,
  recoveryChart,
  rescalingProbe,
  shrinkageChart,
  sweep,
  trainRun,
} from './experiment';
import * as path from 'node:path';

interface Opts {
  quick: boolean;
  outDir: string;
  seed: number;
  log: (line: string) => void;
}

/** The L1 coefficients of the sweep, and the steps of each run. */
export function sweepSettings(quick: boolean): { lambdas: number[]; steps: number } {
  return quick ? { lambdas: [0.5, 1.5, 3], steps: 400 } : { lambdas: [0.3, 0.6, 1, 1.5, 2.5, 4], steps: 1000 };
}

/** One ReLU + L1 run at lambda (tied initialisation unless told otherwise). */
export function reluRun(lambda: number, steps: number, seed: number, tiedInit = true): RunSettings {
  return { sae: { architecture: 'relu-l1', l1Coefficient: lambda, seed, tiedInit }, steps };
}

/** A progress bar per run (stderr). */
export const bar = (label: string, steps: number) => progressBar({ label, total: steps, show: ['loss', 'l0'] });

export default async function run(opts: Opts): Promise<Record<string, number>> {
  const { lambdas, steps } = sweepSettings(opts.quick);
  const out = (name: string) => path.join(opts.outDir, name);
  opts.log(
    `toy: ${TOY.numFeatures} features in d = ${TOY.dim}, p = ${TOY.probability}, ${TOY.nLatents} latents; ` +
      `ReLU + L1 at lambda = ${lambdas.join(', ')}, ${steps} steps of ${TOY.batchSize} each`,
  );
  // The middle lambda is kept for the directions, shrinkage and rescaling probes below.
  const mid = Math.floor(lambdas.length / 2);
  const lambdaMid = lambdas[mid];
  const results: Array<{ point: FrontierPoint; probe: Probe }> = [];
  let main: Awaited<ReturnType<typeof trainRun>> | null = null;
  for (const l of lambdas) {
    if (l === lambdaMid) {
      main = await trainRun(reluRun(l, steps, opts.seed), bar(`lambda=${l}`, steps));
      results.push({
        point: { l0: main.probe.l0, fvu: main.probe.fvu, architecture: 'relu-l1', label: `lambda=${l}` },
        probe: main.probe,
      });
    } else results.push(...(await sweep([{ label: `lambda=${l}`, settings: reluRun(l, steps, opts.seed) }], bar)));
  }
  const front: FrontierPoint[] = results.map((r) => r.point);
  for (const r of results) {
    opts.log(
      `  ${r.point.label.padEnd(12)} FVU ${r.probe.fvu.toFixed(4)}  L0 ${r.probe.l0.toFixed(2)}  ` +
        `recovered ${r.probe.recovered}/${TOY.numFeatures}  bias ${r.probe.reconstructionBias.toFixed(3)}`,
    );
  }
  if (!main) throw new Error('the sweep has no middle run');

  const probe = main.probe;
  const shrink = await main.exp.shrinkage();
  const rescale = await rescalingProbe(main.exp, 10);
  main.exp.dispose();
  opts.log(
    `lambda = ${lambdaMid}: ${probe.recovered} of ${TOY.numFeatures} true directions recovered at cos >= 0.9 ` +
      `(mean max cosine ${probe.meanMaxCosine.toFixed(3)}); shrinkage slope ${shrink.slope.toFixed(3)}`,
  );
  opts.log(
    `rescaling latents by 1/10 and decoder rows by 10: plain L1 ${rescale.plainL1.toFixed(3)} -> ` +
      `${rescale.plainL1Rescaled.toFixed(3)}, weighted L1 ${rescale.weightedL1.toFixed(3)} -> ` +
      `${rescale.weightedL1Rescaled.toFixed(3)}, reconstruction changed by at most ${rescale.reconChange.toExponential(1)}`,
  );

  // The exercise: A has the lower MSE (and the higher L0); which run is better?
  const { a: ea, b: eb } = EXERCISE;
  const a = await trainRun(
    reluRun(ea.lambda, ea.stepsFactor * steps, opts.seed, ea.tiedInit),
    bar('run A', ea.stepsFactor * steps),
  );
  const b = await trainRun(
    reluRun(eb.lambda, eb.stepsFactor * steps, opts.seed, eb.tiedInit),
    bar('run B', eb.stepsFactor * steps),
  );
  a.exp.dispose();
  b.exp.dispose();
  const gapA = frontierGap(front, a.probe);
  const gapB = frontierGap(front, b.probe);
  opts.log(
    `exercise: ${ea.label}: FVU ${a.probe.fvu.toFixed(4)} L0 ${a.probe.l0.toFixed(2)}, ` +
      `${(100 * (Math.exp(gapA) - 1)).toFixed(1)}% from the frontier; ${eb.label}: ` +
      `FVU ${b.probe.fvu.toFixed(4)} L0 ${b.probe.l0.toFixed(2)}, ${(100 * (Math.exp(gapB) - 1)).toFixed(1)}% from it`,
  );

  writeChartPng(
    out('frontier.png'),
    frontierChart(
      front,
      [
        {
          name: ea.label,
          kind: 'scatter',
          color: CHART_COLORS[3],
          pointRadius: 6,
          points: [[a.probe.l0, a.probe.fvu]],
        },
        {
          name: eb.label,
          kind: 'scatter',
          color: CHART_COLORS[4],
          pointRadius: 6,
          points: [[b.probe.l0, b.probe.fvu]],
        },
      ],
      `ReLU + L1, lambda = ${lambdas.join(', ')}; ${steps} steps each`,
    ),
  );
  writeChartPng(
    out('recovery.png'),
    recoveryChart(
      probe.maxCosine,
      `lambda = ${lambdaMid}: ${probe.recovered} of ${TOY.numFeatures} features recovered`,
    ),
  );
  writeChartPng(
    out('shrinkage.png'),
    shrinkageChart(shrink.points, shrink.slope, `lambda = ${lambdaMid}: L1 shrinks the activations`),
  );

  const metrics: Record<string, number> = { steps, lambdaMid };
  results.forEach((r, i) => {
    metrics[`fvuLambda${i}`] = r.probe.fvu;
    metrics[`l0Lambda${i}`] = r.probe.l0;
    metrics[`recoveredLambda${i}`] = r.probe.recovered;
    metrics[`lambda${i}`] = lambdas[i];
  });
  Object.assign(metrics, {
    fvuMid: probe.fvu,
    l0Mid: probe.l0,
    recoveredMid: probe.recovered,
    meanMaxCosineMid: probe.meanMaxCosine,
    deadFractionMid: probe.deadFraction,
    reconstructionBiasMid: probe.reconstructionBias,
    shrinkageSlope: shrink.slope,
    plainL1: rescale.plainL1,
    plainL1Rescaled: rescale.plainL1Rescaled,
    weightedL1: rescale.weightedL1,
    weightedL1Rescaled: rescale.weightedL1Rescaled,
    rescaleReconChange: rescale.reconChange,
    lambdaA: ea.lambda,
    fvuA: a.probe.fvu,
    l0A: a.probe.l0,
    frontierGapA: gapA,
    lambdaB: eb.lambda,
    fvuB: b.probe.fvu,
    l0B: b.probe.l0,
    frontierGapB: gapB,
  });
  return metrics;
}
