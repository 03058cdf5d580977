/**
 * Lesson 4 (Node): ReLU + L1 sparse autoencoders on features in superposition, judged on the
 * MSE/L0 frontier.
 *
 *   npm run lesson -- sae-basics [--quick]
 *
 * Drives the page's experiment (experiment.ts) with `runExperiment`. Writes into outDir:
 *   frontier.png    normalised MSE against L0 for a sweep of the L1 coefficient lambda, with the
 *                   exercise's runs A and B
 *   curves.png, recovery.png, shrinkage.png   the page's figures for the middle lambda
 * and returns every number the narration quotes.
 */
import * as path from 'node:path';
import { writeChartPng } from '../../src/charts/node';
import { runExperiment, writeFigures, type LessonScriptOptions } from '../../src/lesson/node';
import { type FrontierPoint, frontierChart, frontierGap } from '../../src/lesson/sae-frontier';
import { type Probe, TOY } from '../../src/lesson/sae-toy';
import experiment, { EXERCISE, rescalingProbe } from './experiment';

/** The L1 coefficients of the sweep, and the steps of each run. */
export function sweepSettings(quick: boolean): { lambdas: number[]; steps: number } {
  return quick ? { lambdas: [0.5, 1.5, 3], steps: 400 } : { lambdas: [0.3, 0.6, 1, 1.5, 2.5, 4], steps: 1000 };
}

export default async function run(opts: LessonScriptOptions): Promise<Record<string, number>> {
  const { lambdas, steps } = sweepSettings(opts.quick);
  opts.log(
    `toy: ${TOY.numFeatures} features in d = ${TOY.dim}, p = ${TOY.probability}, ${TOY.nLatents} latents; ` +
      `ReLU + L1 at lambda = ${lambdas.join(', ')}, ${steps} steps of ${TOY.batchSize} each`,
  );
  /** Trains the page's experiment with these settings; returns its held-out probe (and the run, kept if asked). */
  const train = async (settings: { lambda: number; lr?: number }, keep = false) => {
    const r = await runExperiment(experiment, { settings: { ...settings, seed: opts.seed }, steps, log: opts.log });
    const probe = await r.run.run.probe();
    if (!keep) r.run.dispose();
    return { r, probe };
  };

  const mid = Math.floor(lambdas.length / 2);
  const lambdaMid = lambdas[mid];
  const results: Array<{ point: FrontierPoint; probe: Probe }> = [];
  let main: Awaited<ReturnType<typeof train>> | null = null;
  for (const l of lambdas) {
    const t = await train({ lambda: l }, l === lambdaMid);
    if (l === lambdaMid) main = t;
    results.push({
      point: { l0: t.probe.l0, fvu: t.probe.fvu, architecture: 'relu-l1', label: `lambda=${l}` },
      probe: t.probe,
    });
    opts.log(
      `  lambda=${String(l).padEnd(5)} FVU ${t.probe.fvu.toFixed(4)}  L0 ${t.probe.l0.toFixed(2)}  ` +
        `recovered ${t.probe.recovered}/${TOY.numFeatures}  bias ${t.probe.reconstructionBias.toFixed(3)}`,
    );
  }
  if (!main) throw new Error('the sweep has no middle run');
  const front = results.map((r) => r.point);

  // The middle lambda: the page's figures, shrinkage and the rescaling argument.
  const probe = main.probe;
  let shrink: { slope: number };
  let rescale: Awaited<ReturnType<typeof rescalingProbe>>;
  try {
    await writeFigures(experiment, main.r, opts.outDir, { only: ['curves', 'recovery', 'shrinkage'] });
    shrink = await main.r.run.run.shrinkage();
    rescale = await rescalingProbe(main.r.run.run, 10);
  } finally {
    main.r.run.dispose();
  }
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
  const a = (await train({ lambda: ea.lambda, lr: ea.lr })).probe;
  const b = (await train({ lambda: eb.lambda, lr: eb.lr })).probe;
  const gapA = frontierGap(front, a);
  const gapB = frontierGap(front, b);
  const pct = (g: number) => `${(100 * (Math.exp(g) - 1)).toFixed(1)}%`;
  opts.log(
    `exercise: A (${ea.label}) FVU ${a.fvu.toFixed(4)} L0 ${a.l0.toFixed(2)}, ${pct(gapA)} against the frontier; ` +
      `B (${eb.label}) FVU ${b.fvu.toFixed(4)} L0 ${b.l0.toFixed(2)}, ${pct(gapB)}`,
  );
  writeChartPng(
    path.join(opts.outDir, 'frontier.png'),
    frontierChart(
      [
        ...front,
        { l0: a.l0, fvu: a.fvu, architecture: 'relu-l1', label: ea.label, tag: 'A' },
        { l0: b.l0, fvu: b.fvu, architecture: 'relu-l1', label: eb.label, tag: 'B' },
      ],
      [],
      `ReLU + L1, lambda = ${lambdas.join(', ')}; ${steps} steps each`,
    ),
  );

  const metrics: Record<string, number> = { steps, lambdaMid };
  results.forEach((r, i) => {
    metrics[`lambda${i}`] = lambdas[i];
    metrics[`fvuLambda${i}`] = r.probe.fvu;
    metrics[`l0Lambda${i}`] = r.probe.l0;
    metrics[`recoveredLambda${i}`] = r.probe.recovered;
  });
  const last = lambdas.length - 1;
  Object.assign(metrics, {
    fvuFirst: results[0].probe.fvu,
    l0First: results[0].probe.l0,
    recoveredFirst: results[0].probe.recovered,
    fvuLast: results[last].probe.fvu,
    l0Last: results[last].probe.l0,
    recoveredLast: results[last].probe.recovered,
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
    fvuA: a.fvu,
    l0A: a.l0,
    frontierGapA: gapA,
    fvuB: b.fvu,
    l0B: b.l0,
    frontierGapB: gapB,
  });
  return metrics;
}
