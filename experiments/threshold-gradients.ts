/**
 * threshold-gradients: is JumpReLU's L0 controlled by the L0 coefficient lambda (Rajamanoharan et
 * al. 2024, arXiv:2407.14435), once training is long enough? Under Adam each threshold theta moves
 * by about lr per step whatever its gradient's size, so after t steps
 *   theta <= theta_0 + sum_{s < t} lr_s        (the lr x steps ceiling; SAELens #719/#720),
 * and a short run leaves L0 flat in lambda because no lambda can lift theta past that ceiling.
 *
 * 1. A long run: one stack of JumpReLU SAEs, members differing in lambda (and seed), on the
 *    character model's residual stream; held-out L0, FVU and each member's largest threshold read
 *    at checkpoints against samples seen, beside the ceiling theta_0 + sum lr_s.
 * 2. A short run of the same stack (a tenth of the steps, the same lr): the saturation the
 *    ceiling explains.
 * 3. The persistent KDE (src/sae/jumprelu.ts `kdeWindow`): at the fixed parameters of one trained
 *    member, the variance over batches of dL/dtheta for windows W = 0 (off), 2, 8, 32.
 */
import * as tf from '@tensorflow/tfjs';
import { type MeanInterval, meanInterval } from '../src/analysis/stats';
import type { ReproductionRow } from '../src/analysis/reproduction';
import { perCoordinateMoments, thresholdGradients } from '../src/analysis/threshold-gradients';
import { makeSchedule } from '../src/core/optim';
import { type JumpReluConfig, JumpReluSae, referenceLearningRate } from '../src/sae';
import {
  ARM_COLORS,
  charResiduals,
  evaluateOn,
  intervalSeries,
  mean,
  randomRows,
  relativeChangeLast20,
  shuffledRows,
  sig,
  trainInLockstep,
  untrainedSae,
  sigInterval,
} from './common';
import type { Study, StudyContext } from './study';

/** What one run (long or short) measured per lambda: [lambdaIndex][seed][checkpoint]. */
interface SweepResult {
  steps: number;
  samplesSeen: number[];
  l0: number[][][];
  fvu: number[][][];
  maxThreshold: number[][][];
  /** theta_0 + sum of the learning rates up to each checkpoint. */
  ceiling: number[];
}

/** The warm-up and decay the trainer uses (SaeTrainerConfig defaults), for the ceiling. */
function cumulativeLr(lr: number, steps: number): (step: number) => number {
  const schedule = makeSchedule({
    lr,
    warmupSteps: Math.min(1000, Math.floor(steps / 20)),
    totalSteps: Math.max(1, steps),
    decay: 'linear',
    decayStart: 0.8,
  });
  const sums = [0];
  for (let s = 0; s < steps; s++) sums.push(sums[s] + schedule(s));
  return (step) => sums[step];
}

async function sweep(
  ctx: StudyContext,
  label: string,
  configs: JumpReluConfig[],
  lambdas: number[],
  seeds: number[],
  rows: { train: Float32Array; heldOut: Float32Array; dim: number },
  spec: { steps: number; batchSize: number; lr: number; checkpoints: number },
  keep?: (saes: JumpReluSae[]) => Promise<void>,
): Promise<SweepResult> {
  const saes = configs.map((c) => new JumpReluSae(c));
  const shape = () => lambdas.map(() => seeds.map(() => [] as number[]));
  const l0 = shape();
  const fvu = shape();
  const maxThreshold = shape();
  const samplesSeen: number[] = [];
  const ceilingAt = cumulativeLr(spec.lr, spec.steps);
  try {
    await trainInLockstep(
      ctx,
      [{ label, saes }],
      shuffledRows(rows.train, rows.dim, ctx.seed),
      {
        steps: spec.steps,
        batchSize: spec.batchSize,
        lr: spec.lr,
        normalizeInput: true,
        initSamples: Math.min(2048, rows.train.length / rows.dim),
        deadWindow: 25 * spec.batchSize,
      },
      {
        checkpoints: spec.checkpoints,
        async onCheckpoint(seen) {
          samplesSeen.push(seen);
          for (const [i, sae] of saes.entries()) {
            const li = Math.floor(i / seeds.length);
            const si = i % seeds.length;
            const ev = await evaluateOn(sae, rows.heldOut);
            l0[li][si].push(ev.l0);
            fvu[li][si].push(ev.fvu);
            // theta stored directly (thresholdParam 'theta'): the variable itself.
            maxThreshold[li][si].push(Math.max(...(await sae.params.get('threshold').data())));
          }
        },
      },
    );
    await keep?.(saes);
  } finally {
    for (const sae of saes) sae.dispose();
  }
  const theta0 = configs[0].initialThreshold ?? 0.01;
  const ceiling = samplesSeen.map((s) => theta0 + ceilingAt(s / spec.batchSize));
  return { steps: spec.steps, samplesSeen, l0, fvu, maxThreshold, ceiling };
}

const finalOf = (curves: number[][]): MeanInterval => meanInterval(curves.map((c) => c[c.length - 1]));

export const thresholdGradientsExperiment: Study = {
  name: 'threshold-gradients',
  title: "JumpReLU's L0 against its coefficient, once steps are not binding",
  question:
    "Is JumpReLU's L0 controlled by the L0 coefficient once training is long enough for the thresholds to move " +
    '(each moves about lr per Adam step), and how does a short run saturate? Does pooling the threshold density ' +
    'estimate (persistent KDE) cut the gradient variance?',
  async run(ctx) {
    const q = ctx.quick;
    const n = q ? 32 : 128;
    const lambdas = q ? [0.1, 10] : [0.01, 0.1, 1, 10, 100];
    const seeds = Array.from({ length: 3 }, (_, s) => ctx.seed * 100 + s);
    const batchSize = q ? 64 : 256;
    const steps = q ? 16 : 4000;
    const shortSteps = Math.max(2, Math.floor(steps / 10));
    const lr = referenceLearningRate(n);
    const windows = q ? [0, 2] : [0, 2, 8, 32];
    const measured = q ? 4 : 32;
    const train = await charResiduals('train', q ? 1024 : 16384);
    const heldOut = await charResiduals('heldOut', q ? 512 : 2048);
    const D = train.dim;
    const configOf = (lambda: number, seed: number): JumpReluConfig => ({
      architecture: 'jumprelu',
      dIn: D,
      nLatents: n,
      seed,
      l0Coefficient: lambda,
      bandwidth: 0.05,
      initialThreshold: 0.01,
    });
    const configs = lambdas.flatMap((lambda) => seeds.map((seed) => configOf(lambda, seed)));
    const rows = { train: train.activations, heldOut: heldOut.activations, dim: D };
    const checkpoints = q ? 2 : 16;

    // 1 and 3: the long run; the variance is measured at the end on the lambda = 1 (or middle) member of seed 0.
    const varianceLambda = lambdas[Math.floor(lambdas.length / 2)];
    const variance: number[] = [];
    const meanAbsGradient: number[] = [];
    const long = await sweep(
      ctx,
      'long',
      configs,
      lambdas,
      seeds,
      rows,
      { steps, batchSize, lr, checkpoints },
      async (saes) => {
        const trained = saes[lambdas.indexOf(varianceLambda) * seeds.length];
        for (const W of windows) {
          const probe = new JumpReluSae({ ...configOf(varianceLambda, seeds[0]), kdeWindow: W });
          const weights = trained.params.snapshot();
          probe.params.assign(weights);
          tf.dispose(Object.values(weights));
          probe.inputScale = trained.inputScale;
          try {
            // Batches drawn with replacement; one gradient every W + 1 steps: non-overlapping windows, independent samples.
            const grads = await thresholdGradients(probe, randomRows(heldOut.activations, D, ctx.seed + 1), {
              batches: measured,
              batchSize,
              warmup: W,
              stride: W + 1,
            });
            const m = perCoordinateMoments(grads);
            variance.push(mean(m.variance));
            meanAbsGradient.push(mean(m.mean.map(Math.abs)));
          } finally {
            probe.dispose();
          }
        }
      },
    );
    // 2: the short run (same lr, a tenth of the steps).
    const short = await sweep(ctx, 'short', configs, lambdas, seeds, rows, {
      steps: shortSteps,
      batchSize,
      lr,
      checkpoints: Math.min(checkpoints, shortSteps),
    });

    // The baseline: untrained JumpReLU SAEs (theta_0 everywhere), held-out L0 and FVU.
    const untrainedL0: number[] = [];
    const untrainedFvu: number[] = [];
    for (const seed of seeds) {
      const sae = await untrainedSae(configOf(lambdas[0], seed), train.activations.subarray(0, 2048 * D), {
        normalizeInput: true,
      });
      const ev = await evaluateOn(sae, heldOut.activations);
      untrainedL0.push(ev.l0);
      untrainedFvu.push(ev.fvu);
      sae.dispose();
    }

    const positive = (v: number) => Math.max(v, 1e-3);
    ctx.figure(
      'l0-vs-samples.png',
      {
        title: 'Held-out L0 against samples seen, per L0 coefficient (long run)',
        kind: 'line',
        x: { title: 'training inputs seen' },
        y: { title: 'held-out L0 (active latents per input)', log: true },
        series: lambdas.flatMap((lambda, li) =>
          intervalSeries(
            `lambda = ${lambda}`,
            long.samplesSeen,
            long.l0[li].map((c) => c.map(positive)),
            ARM_COLORS[li],
          ),
        ),
      },
      `Mean over ${seeds.length} seeds (solid) and its 95% interval (faded). A flat end is the plateau; L0 values of 0 are drawn at 1e-3.`,
    );
    ctx.figure(
      'threshold-ceiling.png',
      {
        title: 'Largest threshold against samples seen, and the lr x steps ceiling',
        kind: 'line',
        x: { title: 'training inputs seen' },
        y: { title: 'largest theta of the SAE (mean over seeds)' },
        series: [
          ...lambdas.map((lambda, li) => ({
            name: `lambda = ${lambda}`,
            points: long.samplesSeen.map(
              (s, c) => [s, mean(long.maxThreshold[li].map((m) => m[c]))] as [number, number],
            ),
            color: ARM_COLORS[li],
          })),
          {
            name: 'theta_0 + sum of lr (the ceiling)',
            points: long.samplesSeen.map((s, c) => [s, long.ceiling[c]] as [number, number]),
            color: '#000000',
            dashed: true,
          },
        ],
      },
      'Under Adam a threshold moves about lr per step, so no threshold can pass the dashed line: early in training it binds, and L0 cannot follow lambda.',
    );
    ctx.figure(
      'l0-vs-coefficient.png',
      {
        title: 'Final held-out L0 against the L0 coefficient: long and short run',
        kind: 'line',
        x: { title: 'L0 coefficient lambda', log: true },
        y: { title: 'held-out L0 (active latents per input)', log: true },
        series: [
          { name: `${steps} steps`, points: lambdas.map((l, li) => [l, positive(finalOf(long.l0[li]).mean)]) },
          {
            name: `${shortSteps} steps`,
            points: lambdas.map((l, li) => [l, positive(finalOf(short.l0[li]).mean)]),
            dashed: true,
          },
        ],
      },
      'Means over seeds. The short run cannot lift its thresholds past theta_0 + lr x steps, so its L0 flattens in lambda.',
    );

    const perLambda = (r: SweepResult) => ({
      steps: r.steps,
      samplesSeen: r.samplesSeen,
      heldOutL0: r.l0,
      heldOutFvu: r.fvu,
      maxThreshold: r.maxThreshold,
      ceiling: r.ceiling,
      finalL0: r.l0.map((perSeed) => perSeed.map((c) => c[c.length - 1])),
      finalFvu: r.fvu.map((perSeed) => perSeed.map((c) => c[c.length - 1])),
    });
    const plateau = lambdas.map((_, li) =>
      relativeChangeLast20(
        long.samplesSeen,
        long.samplesSeen.map((_, c) => mean(long.l0[li].map((m) => m[c]))),
      ),
    );
    const numbers = {
      nLatents: n,
      lambdas,
      seeds,
      batchSize,
      lr,
      bandwidth: 0.05,
      initialThreshold: 0.01,
      long: perLambda(long),
      short: perLambda(short),
      plateauChangeL0: plateau,
      untrainedL0,
      untrainedFvu,
      windows,
      measuredBatches: measured,
      varianceLambda,
      gradientVariance: variance,
      varianceRatio: variance.map((v) => v / variance[0]),
      meanAbsGradient,
    };

    const last = lambdas.length - 1;
    const setting = (r: SweepResult) => ({
      sizes: `character model D = ${D}, JumpReLU n = ${n}, bandwidth 0.05, theta_0 = 0.01, B = ${batchSize}, lambda ${lambdas[0]} to ${lambdas[last]}`,
      samplesSeen: r.samplesSeen[r.samplesSeen.length - 1],
      lr: `${sig(lr)} (2e-4 / sqrt(n / 2^14)), ${r.steps} steps`,
      seeds,
    });
    const reproduction: ReproductionRow[] = [
      {
        claim: `JumpReLU's L0 falls as the L0 coefficient rises, once steps are not binding (lambda ${lambdas[last]} against ${lambdas[0]})`,
        source: 'Rajamanoharan et al. 2024 (JumpReLU), arXiv:2407.14435, Sec. 4 (sparsity set by the coefficient)',
        published: 'L0 set by lambda across the sweep (Gemma 2 9B; L0 ~10 to ~150)',
        metric: 'held-out L0',
        setting: setting(long),
        ours: finalOf(long.l0[last]),
        comparison: finalOf(long.l0[0]),
        comparisonLabel: `lambda = ${lambdas[0]}`,
        baseline: meanInterval(untrainedL0),
        expect: { relation: 'less', than: 'comparison' },
        reason: 'the thresholds did not move far enough in this run (see the ceiling figure)',
        note: 'baseline: untrained JumpReLU SAEs (theta_0 = 0.01 everywhere)',
      },
    ];

    const summary = [
      `JumpReLU SAEs (n = ${n}, bandwidth 0.05, theta stored directly, theta_0 = 0.01) on the character model's ` +
        `residual stream (D = ${D}), one stack of ${lambdas.length} coefficients x ${seeds.length} seeds on the same ` +
        `batches, lr ${sig(lr)}, batch ${batchSize}. Held-out L0 (mean [95% interval] over seeds):`,
      '',
      `| lambda | ${steps} steps: L0 | ${steps} steps: FVU | ${shortSteps} steps: L0 | largest theta (long) | ceiling theta_0 + sum lr (long / short) |`,
      '|---|---|---|---|---|---|',
      ...lambdas.map(
        (l, li) =>
          `| ${l} | ${sigInterval(finalOf(long.l0[li]))} | ${sigInterval(finalOf(long.fvu[li]))} | ${sigInterval(finalOf(short.l0[li]))} | ` +
          `${sig(mean(long.maxThreshold[li].map((c) => c[c.length - 1])))} | ` +
          `${sig(long.ceiling[long.ceiling.length - 1])} / ${sig(short.ceiling[short.ceiling.length - 1])} |`,
      ),
      `| untrained | ${sigInterval(meanInterval(untrainedL0))} | ${sigInterval(meanInterval(untrainedFvu))} | | 0.01 | |`,
      '',
      `Relative change of the mean L0 over the last 20% of the long run: ${plateau.map((p, li) => `lambda ${lambdas[li]}: ${sig(p, 2)}`).join(', ')}.`,
      '',
      `**Persistent KDE.** At the fixed parameters of the trained lambda = ${varianceLambda} SAE (seed ${seeds[0]}), the mean ` +
        `per-latent variance of dL/dtheta over ${measured} independent windows: ` +
        windows.map((W, i) => `${sig(variance[i])} at W = ${W}`).join(', ') +
        ` (ratios ${windows.map((W, i) => `${sig(variance[i] / variance[0])} at W = ${W} against 1/(W+1) = ${sig(1 / (W + 1))}`).join('; ')}).`,
    ].join('\n');
    return { summary, numbers, reproduction };
  },
};
