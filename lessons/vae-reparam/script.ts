/**
 * Lesson 2 (Node): the page's experiment (experiment.ts), fitting q = N(mu, sigma^2) to the
 * target N(2, 0.5^2), run with the right form z = mu + sigma * eps and with the wrong one
 * z = mu * sigma * eps; then two checks of the estimators the lesson relies on.
 *
 *   npm run lesson -- vae-reparam [--quick]
 *
 * Writes into outDir:
 *   curves.png                      the fit with the right form; the wrong form's curves faded behind
 *   right-samples.png, wrong-samples.png     4000 samples of z after the fit, against q and the target
 *   right-klEstimate.png            KL(q || N(0, 1)): closed form against S-sample estimates
 *   kl-mc.png      the Monte-Carlo KL of a 4-D q converging to the closed form, +-2 standard errors
 *   gradients.png  reparameterized estimates of d E[z^2] / d mu and / d logVar against 2 mu and sigma^2
 * and returns the fitted mu and sigma of both forms, the closed-form KL, its Monte-Carlo
 * estimate and standard error, and the gradient estimates with their exact values.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { gaussianKl, reparameterize, standardNormal } from '../../src/vae';
import { writeChartPng } from '../../src/charts/node';
import { ghostOf, runExperiment, writeFigures, type LessonScriptOptions } from '../../src/lesson/node';
import experiment from './experiment';

export default async function run(opts: LessonScriptOptions): Promise<Record<string, number>> {
  const n = opts.quick ? 20000 : 200000;
  const steps = opts.quick ? 300 : 1000;
  const out = (name: string) => path.join(opts.outDir, name);

  // ---- 1. the page's experiment with both forms ----
  const right = await runExperiment(experiment, { settings: { form: 'right', seed: opts.seed }, steps, log: opts.log });
  const wrong = await runExperiment(experiment, { settings: { form: 'wrong', seed: opts.seed }, steps, log: opts.log });
  const fitted = { rightMu: 0, rightSigma: 0, rightKl: 0, wrongMu: 0, wrongSigma: 0, wrongKl: 0 };
  try {
    await writeFigures(experiment, right, opts.outDir, { prefix: 'right-', only: ['samples', 'klEstimate'] });
    await writeFigures(experiment, wrong, opts.outDir, { prefix: 'wrong-', only: ['samples'] });
    await writeFigures(experiment, right, opts.outDir, { only: ['curves'], ghosts: [ghostOf(experiment, wrong)] });
    for (const [name, r] of [
      ['right', right],
      ['wrong', wrong],
    ] as const) {
      const get = (m: string) => r.history.last(m) ?? Number.NaN;
      Object.assign(fitted, {
        [`${name}Mu`]: get('mu'),
        [`${name}Sigma`]: get('sigma'),
        [`${name}Kl`]: get('klExact'),
      });
      opts.log(
        `${name} form after ${steps} steps: mu ${get('mu').toFixed(3)}, sigma ${get('sigma').toFixed(3)} (target 2, 0.5), KL ${get('klExact').toFixed(4)} nats`,
      );
    }
  } finally {
    right.run.dispose();
    wrong.run.dispose();
  }
  const mu = 2;
  const sigma = 0.5;
  const logVar = Math.log(sigma * sigma);

  // ---- 2. the KL in closed form and by Monte Carlo, for a 4-D q ----
  const qMu = [1.2, -0.7, 0.3, 2.0];
  const qLogVar = [-1.0, 0.5, -2.0, 0.0];
  const klT = tf.tidy(() => gaussianKl(tf.tensor2d(qMu, [1, 4]), tf.tensor2d(qLogVar, [1, 4])));
  const klExact = (await klT.data())[0];
  klT.dispose();
  const terms = await klTerms(qMu, qLogVar, n, opts.seed);
  const checkpoints = logSpaced(10, n, 40);
  const est = checkpoints.map((k) => moments(terms.subarray(0, k)));
  const final = moments(terms);
  const klSe = final.std / Math.sqrt(n);
  opts.log(
    `KL closed form ${klExact.toFixed(4)} nats; Monte Carlo (${n} samples) ${final.mean.toFixed(4)} +- ${klSe.toFixed(4)}`,
  );
  const band = (sign: number) =>
    est.map((e, i) => [checkpoints[i], e.mean + (sign * 2 * e.std) / Math.sqrt(checkpoints[i])] as [number, number]);
  writeChartPng(out('kl-mc.png'), {
    title: 'KL(q || N(0, I)) for a 4-D q: sampled against closed form',
    kind: 'line',
    x: { title: 'samples', log: true },
    y: { title: 'KL (nats)' },
    series: [
      { name: 'Monte-Carlo estimate', points: est.map((e, i) => [checkpoints[i], e.mean]) },
      { name: '+2 standard errors', points: band(1), color: '#999999' },
      { name: '-2 standard errors', points: band(-1), color: '#999999' },
      {
        name: 'closed form',
        points: [
          [checkpoints[0], klExact],
          [n, klExact],
        ],
        color: '#000000',
        dashed: true,
      },
    ],
  });

  // ---- 3. reparameterized gradients of E[z^2] = mu^2 + sigma^2 ----
  const g = await gradientEstimates(mu, logVar, checkpoints, opts.seed);
  const exactMu = 2 * mu;
  const exactLogVar = sigma * sigma; // d(mu^2 + e^logVar)/dlogVar = sigma^2
  opts.log(
    `d E[z^2]/d mu: ${g.mu[g.mu.length - 1].toFixed(4)} (exact ${exactMu}); d/d logVar: ${g.logVar[g.logVar.length - 1].toFixed(4)} (exact ${exactLogVar})`,
  );
  writeChartPng(out('gradients.png'), {
    title: 'Reparameterized gradients of E[z^2], z = mu + sigma * eps (mu = 2, sigma = 0.5)',
    kind: 'line',
    x: { title: 'samples', log: true },
    y: { title: 'gradient' },
    series: [
      { name: 'd/d mu, estimate', points: g.mu.map((v, i) => [checkpoints[i], v]), color: '#0072B2' },
      {
        name: 'd/d mu, exact 2 mu',
        points: [
          [checkpoints[0], exactMu],
          [n, exactMu],
        ],
        color: '#0072B2',
        dashed: true,
      },
      { name: 'd/d logVar, estimate', points: g.logVar.map((v, i) => [checkpoints[i], v]), color: '#D55E00' },
      {
        name: 'd/d logVar, exact sigma^2',
        points: [
          [checkpoints[0], exactLogVar],
          [n, exactLogVar],
        ],
        color: '#D55E00',
        dashed: true,
      },
    ],
  });

  return {
    samples: n,
    steps,
    ...fitted,
    klClosedForm: klExact,
    klMonteCarlo: final.mean,
    klMonteCarloSe: klSe,
    gradMuEstimate: g.mu[g.mu.length - 1],
    gradMuExact: exactMu,
    gradLogVarEstimate: g.logVar[g.logVar.length - 1],
    gradLogVarExact: exactLogVar,
  };
}

/** log q(z) - log p(z) at z = mu + sigma * eps for n draws (summed over dimensions). */
async function klTerms(mu: number[], logVar: number[], n: number, seed: number): Promise<Float32Array> {
  const z = mu.length;
  const t = tf.tidy(() => {
    const eps = standardNormal([n, z], { seed, step: 1 });
    const zs = reparameterize(
      tf.tensor2d(mu, [1, z]).broadcastTo([n, z]) as tf.Tensor2D,
      tf.tensor2d(logVar, [1, z]).broadcastTo([n, z]) as tf.Tensor2D,
      eps,
    );
    // log q(z) = -1/2 (log 2 pi + logVar + eps^2),  log p(z) = -1/2 (log 2 pi + z^2)
    const logQ = eps.square().add(tf.tensor1d(logVar)).mul(-0.5);
    const logP = zs.square().mul(-0.5);
    return logQ.sub(logP).sum(-1);
  });
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

/** Mean over the first k draws of the per-sample gradients of z^2 w.r.t. mu and logVar, for each k. */
async function gradientEstimates(
  mu: number,
  logVar: number,
  ks: number[],
  seed: number,
): Promise<{ mu: number[]; logVar: number[] }> {
  const n = ks[ks.length - 1];
  const muT = tf.fill([n, 1], mu) as tf.Tensor2D;
  const lvT = tf.fill([n, 1], logVar) as tf.Tensor2D;
  const eps = standardNormal([n, 1], { seed, step: 2 });
  // The gradient of sum_s z_s^2 w.r.t. each row's own mu and logVar is that sample's gradient.
  const [gMu, gLv] = tf.grads((m: tf.Tensor, l: tf.Tensor) =>
    reparameterize(m as tf.Tensor2D, l as tf.Tensor2D, eps)
      .square()
      .sum(),
  )([muT, lvT]);
  const a = (await gMu.data()) as Float32Array,
    b = (await gLv.data()) as Float32Array;
  tf.dispose([muT, lvT, eps, gMu, gLv]);
  return { mu: ks.map((k) => moments(a.subarray(0, k)).mean), logVar: ks.map((k) => moments(b.subarray(0, k)).mean) };
}

function moments(xs: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / Math.max(1, xs.length - 1)) };
}

/** `count` integers spaced evenly in log from lo to hi (inclusive, deduplicated). */
function logSpaced(lo: number, hi: number, count: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < count; i++) out.add(Math.round(lo * (hi / lo) ** (i / (count - 1))));
  return [...out];
}
