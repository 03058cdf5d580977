/**
 * Lesson 2 (Node): the reparameterization trick, its common wrong form, and the analytic KL.
 *
 *   npm run lesson -- vae-reparam [--quick]
 *
 * Writes into outDir:
 *   samples.png    histograms of z = mu + sigma * eps (right) and z = mu * sigma * eps (wrong)
 *                  for mu = 2, sigma = 0.5, against the target density N(2, 0.25)
 *   kl-mc.png      the Monte-Carlo KL estimate (mean of log q(z) - log p(z), z = mu + sigma eps)
 *                  converging to the closed form as the number of samples grows, +-2 standard errors
 *   gradients.png  reparameterized gradient estimates of d E[z^2] / d mu and / d logVar against
 *                  the exact values 2 mu and sigma^2, as the number of samples grows
 * and returns the sample moments of both forms, the closed-form KL, its Monte-Carlo estimate
 * and standard error, and the gradient estimates with their exact values.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { gaussianKl, reparameterize, standardNormal, wrongReparameterize } from '../../src/vae';
import { readAndDispose } from '../../src/core';
import { histogram, lineChart, writePng } from '../../src/analysis/node';

interface Opts {
  quick: boolean;
  outDir: string;
  seed: number;
  log: (line: string) => void;
}

export default async function run(opts: Opts): Promise<Record<string, number>> {
  const n = opts.quick ? 20000 : 200000;
  const out = (name: string) => path.join(opts.outDir, name);

  // ---- 1. right and wrong samples from q = N(2, 0.5^2) ----
  const mu = 2,
    sigma = 0.5,
    logVar = Math.log(sigma * sigma);
  const muT = tf.fill([n, 1], mu) as tf.Tensor2D;
  const lvT = tf.fill([n, 1], logVar) as tf.Tensor2D;
  const eps = standardNormal([n, 1], { seed: opts.seed, step: 0 });
  const right = (await readAndDispose(reparameterize(muT, lvT, eps))) as Float32Array;
  const wrong = (await readAndDispose(wrongReparameterize(muT, lvT, eps))) as Float32Array;
  const r = moments(right),
    w = moments(wrong);
  opts.log(`z = mu + sigma*eps: mean ${r.mean.toFixed(3)}, std ${r.std.toFixed(3)} (target ${mu}, ${sigma})`);
  opts.log(`z = mu*sigma*eps (wrong): mean ${w.mean.toFixed(3)}, std ${w.std.toFixed(3)}`);
  const grid = Array.from({ length: 301 }, (_, i) => -3.5 + i * 0.025);
  writePng(
    out('samples.png'),
    histogram({
      series: [
        { name: 'z = mu + sigma * eps', values: right },
        { name: 'z = mu * sigma * eps (wrong)', values: wrong },
      ],
      curves: [{ name: 'target N(2, 0.5^2)', x: grid, y: grid.map((z) => normalPdf(z, mu, sigma)) }],
      range: [-3.5, 4],
      bins: 100,
      title: `${n} samples for mu = 2, sigma = 0.5`,
      xLabel: 'z',
      width: 720,
      height: 400,
    }),
  );
  tf.dispose([muT, lvT, eps]);

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
  writePng(
    out('kl-mc.png'),
    lineChart({
      series: [
        { name: 'Monte-Carlo estimate', x: checkpoints.map(Math.log10), y: est.map((e) => e.mean) },
        {
          name: '+2 standard errors',
          x: checkpoints.map(Math.log10),
          y: est.map((e, i) => e.mean + (2 * e.std) / Math.sqrt(checkpoints[i])),
          color: [170, 170, 170],
        },
        {
          name: '-2 standard errors',
          x: checkpoints.map(Math.log10),
          y: est.map((e, i) => e.mean - (2 * e.std) / Math.sqrt(checkpoints[i])),
          color: [170, 170, 170],
        },
        { name: 'closed form', x: [1, Math.log10(n)], y: [klExact, klExact], color: [0, 0, 0] },
      ],
      title: 'KL(q || N(0, I)) for a 4-D q: sampled vs closed form (nats)',
      xLabel: 'log10(samples)',
      yLabel: 'nats',
      yRange: [klExact - 2, klExact + 2],
      width: 720,
      height: 400,
    }),
  );

  // ---- 3. reparameterized gradients of E[z^2] = mu^2 + sigma^2 ----
  const g = await gradientEstimates(mu, logVar, checkpoints, opts.seed);
  const exactMu = 2 * mu,
    exactLogVar = sigma * sigma; // d(mu^2 + e^logVar)/dlogVar = sigma^2
  opts.log(
    `d E[z^2]/d mu: ${g.mu[g.mu.length - 1].toFixed(4)} (exact ${exactMu}); d/d logVar: ${g.logVar[g.logVar.length - 1].toFixed(4)} (exact ${exactLogVar})`,
  );
  writePng(
    out('gradients.png'),
    lineChart({
      series: [
        { name: 'd/d mu, estimate', x: checkpoints.map(Math.log10), y: g.mu },
        { name: 'd/d mu, exact 2 mu', x: [1, Math.log10(n)], y: [exactMu, exactMu], color: [0, 0, 0] },
        { name: 'd/d logVar, estimate', x: checkpoints.map(Math.log10), y: g.logVar, color: [255, 127, 14] },
        {
          name: 'd/d logVar, exact sigma^2',
          x: [1, Math.log10(n)],
          y: [exactLogVar, exactLogVar],
          color: [120, 120, 120],
        },
      ],
      title: 'reparameterized gradients of E[z^2], z = mu + sigma * eps',
      xLabel: 'log10(samples)',
      yLabel: 'gradient',
      width: 720,
      height: 400,
      legendCorner: 'bottom-right',
    }),
  );

  return {
    samples: n,
    rightMean: r.mean,
    rightStd: r.std,
    wrongMean: w.mean,
    wrongStd: w.std,
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
      tf.tensor2d(mu, [1, z]).tile([n, 1]) as tf.Tensor2D,
      tf.tensor2d(logVar, [1, z]).tile([n, 1]) as tf.Tensor2D,
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

function normalPdf(z: number, mu: number, sigma: number): number {
  return Math.exp(-0.5 * ((z - mu) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI));
}

/** `count` integers spaced evenly in log from lo to hi (inclusive, deduplicated). */
function logSpaced(lo: number, hi: number, count: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < count; i++) out.add(Math.round(lo * (hi / lo) ** (i / (count - 1))));
  return [...out];
}
