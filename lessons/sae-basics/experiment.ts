/**
 * Lesson 4's experiment, shared by the page and the script: a ReLU + L1 SAE (decoder-norm-weighted
 * L1) trained on the superposition toy of src/lesson/sae-toy.ts. Figures: the MSE/L0 frontier, which gains a
 * point per finished run (kept across lessons 4-6), the best decoder cosine of each true feature,
 * shrinkage, and the "which is better?" exercise (runs A and B against the frontier).
 */
import * as tf from '@tensorflow/tfjs';
import { defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';
import {
  type FrontierPoint,
  FrontierRuns,
  currentRunPoint,
  frontierChart,
  frontierGap,
} from '../../src/lesson/sae-frontier';
import { type Probe, TOY, ToyRun, recoveryChart, shrinkageChart } from '../../src/lesson/sae-toy';
import { weightedL1 } from '../../src/sae';

/** Steps of one run: the page's run and the script's full run. */
export const STEPS = 1000;

/**
 * Why the decoder must be constrained: rescale latent i by 1/c and decoder row i by c. The
 * reconstruction is unchanged; a plain L1 penalty sum |f_i| drops by c, the decoder-norm-weighted
 * one sum |f_i| ||d_i|| does not. Returns both penalties before and after, on held-out inputs
 * (normalised units, batch means), and the reconstruction change.
 */
export async function rescalingProbe(
  exp: ToyRun,
  c: number,
): Promise<{
  plainL1: number;
  plainL1Rescaled: number;
  weightedL1: number;
  weightedL1Rescaled: number;
  reconChange: number;
}> {
  const sae = exp.sae;
  const x = tf.tensor2d(exp.heldOut.x, [TOY.heldOut, TOY.dim]);
  const vals = tf.tidy(() => {
    const xn = sae.normalise(x);
    const fBN = sae.preActivations(xn).relu() as tf.Tensor2D;
    const wDec = sae.wDecND as tf.Tensor2D;
    const fScaled = fBN.div(c) as tf.Tensor2D;
    const wScaled = wDec.mul(c) as tf.Tensor2D;
    const recon = fBN.matMul(wDec);
    const reconScaled = fScaled.matMul(wScaled);
    return tf.stack([
      fBN.abs().sum(1).mean(),
      fScaled.abs().sum(1).mean(),
      weightedL1(fBN, wDec),
      weightedL1(fScaled, wScaled),
      recon.sub(reconScaled).abs().max(),
    ]);
  });
  const v = await vals.data();
  tf.dispose([x, vals]);
  return { plainL1: v[0], plainL1Rescaled: v[1], weightedL1: v[2], weightedL1Rescaled: v[3], reconChange: v[4] };
}

/**
 * The "which is better?" exercise of lesson 4: A has the lower MSE and the higher L0; which run is
 * better? A: a small lambda with a learning rate ten times lower (the same number of steps). B: a
 * larger lambda at the usual rate. The script and the page (its "Try it" buttons) train this pair.
 */
export const EXERCISE = {
  a: { label: 'lambda 0.6, lr 0.001', lambda: 0.6, lr: 1e-3 },
  b: { label: 'lambda 2', lambda: 2, lr: TOY.lr },
} as const;

/** Which exercise run (if any) these settings are. */
function exerciseTag(lambda: number, lr: number): 'A' | 'B' | undefined {
  if (lambda === EXERCISE.a.lambda && lr === EXERCISE.a.lr) return 'A';
  if (lambda === EXERCISE.b.lambda && lr === EXERCISE.b.lr) return 'B';
  return undefined;
}

/** The exercise's verdict against the frontier of the other ReLU runs (a sentence, or why not yet). */
export function exerciseVerdict(points: FrontierPoint[]): string {
  const relu = points.filter((p) => p.architecture === 'relu-l1' && !p.tag);
  const a = [...points].reverse().find((p) => p.tag === 'A');
  const b = [...points].reverse().find((p) => p.tag === 'B');
  if (!a || !b) return 'Train runs A and B (the two "Try it" buttons of the exercise).';
  if (relu.length < 2) return 'Finish at least two other runs at different lambdas: the frontier needs points.';
  const pct = (g: number) => `${g > 0 ? '+' : ''}${(100 * (Math.exp(g) - 1)).toFixed(0)}%`;
  const gapA = frontierGap(relu, a);
  const gapB = frontierGap(relu, b);
  return `against your frontier at the same L0: A ${pct(gapA)}, B ${pct(gapB)} MSE: ${gapA < gapB ? 'A' : 'B'} is better`;
}

/** Lesson 4's experiment, recording its finished runs in `frontier`. */
export function saeBasicsExperiment(frontier: FrontierRuns) {
  return defineExperiment({
    title: 'A ReLU + L1 sparse autoencoder on features in superposition',
    settings: {
      lambda: {
        kind: 'number',
        label: 'L1 coefficient lambda',
        default: 1.5,
        min: 0,
        max: 50,
        slider: 'log',
        help: 'the sparsity penalty; each finished run adds a point to the frontier',
      },
      tiedInit: { kind: 'bool', label: 'tied init (W_enc = W_dec^T)', default: true },
      lr: { kind: 'number', label: 'learning rate', default: TOY.lr, min: 1e-4, max: 0.1, slider: 'log' },
      seed: seedSetting(1),
    },
    metrics: {
      chart: ['loss', 'mse'],
      yTitle: 'per input, normalised units',
      log: true,
      readout: ['loss', 'mse', 'l1', 'l0', 'heldOutFvu', 'recovered'],
      names: {
        loss: 'loss = MSE + lambda L1',
        mse: 'MSE',
        heldOutFvu: 'FVU (held out)',
        recovered: 'features recovered',
      },
    },
    figures: {
      frontier: {
        title: 'MSE/L0 frontier (your runs, kept across lessons 4-6)',
        caption: 'Each finished run is a point; the dashed line joins the runs no other run beats on both axes.',
      },
      recovery: {
        title: 'Decoder directions against the true ones',
        caption: 'Best cosine of each of the 64 true directions with any decoder row; recovered at 0.9.',
      },
      shrinkage: {
        title: 'Shrinkage: true magnitude against its latent',
        caption: 'Without shrinkage the points would lie on the dashed line f = c.',
      },
    },
    logEvery: 20,
    maxSteps: STEPS,
    async create(ctx) {
      const s = ctx.settings;
      const tag = exerciseTag(s.lambda, s.lr);
      const run = await ToyRun.create({
        sae: { architecture: 'relu-l1', l1Coefficient: s.lambda, tiedInit: s.tiedInit, seed: s.seed },
        steps: STEPS,
        lr: s.lr,
      });
      ctx.note(
        `${TOY.numFeatures} true features in d = ${TOY.dim}, ${TOY.nLatents} latents, batch ${TOY.batchSize}; ` +
          `a run is ${STEPS} steps and adds its point to the frontier.`,
      );
      let probe: Probe | null = null;
      let recorded = false;
      const PROBE_EVERY = 100;
      return {
        run,
        async oneStep(i) {
          const r = await run.oneStep();
          if ((i + 1) % PROBE_EVERY !== 0 && i + 1 < STEPS) return r;
          // Held-out probe (a few ms on the toy), read as metrics on a logged step.
          probe = await run.probe();
          return { ...r, heldOutFvu: probe.fvu, recovered: probe.recovered };
        },
        async probes() {
          probe = await run.probe();
          if (run.step >= STEPS && !recorded) {
            recorded = true;
            frontier.record({
              l0: probe.l0,
              fvu: probe.fvu,
              architecture: 'relu-l1',
              label: `lambda=${s.lambda}${s.tiedInit ? '' : ', untied'}${s.lr === TOY.lr ? '' : `, lr ${s.lr}`}`,
              tag,
            });
          }
          const shrink = await run.shrinkage(400);
          return {
            frontier: frontierChart(
              frontier.points(),
              recorded ? [] : [currentRunPoint(`this run (step ${run.step})`, probe)],
              exerciseVerdict(frontier.points()),
            ),
            recovery: recoveryChart(
              probe.maxCosine,
              `${probe.recovered} of ${TOY.numFeatures} true features recovered (cos >= 0.9) at step ${run.step}`,
            ),
            shrinkage: shrinkageChart(shrink.points, shrink.slope, `lambda = ${s.lambda}`),
          };
        },
        diagram: () => [
          { label: 'x', shape: [TOY.batchSize, TOY.dim], role: 'data' as const },
          { label: 'W_enc, b_enc', shape: [TOY.dim, TOY.nLatents], role: 'map' as const },
          { label: 'f = ReLU(z)', shape: [TOY.batchSize, TOY.nLatents], role: 'latent' as const },
          { label: 'W_dec (unit rows)', shape: [TOY.nLatents, TOY.dim], role: 'map' as const },
          { label: 'MSE + lambda L1', shape: [], role: 'loss' as const },
        ],
        dispose: () => run.dispose(),
      };
    },
  });
}

/** The experiment with its runs kept in memory (the script, the tests); the page gives it the browser's store (panel.ts). */
export default saeBasicsExperiment(new FrontierRuns());
