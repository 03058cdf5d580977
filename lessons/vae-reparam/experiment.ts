/**
 * Lesson 2's experiment, shared by the page and the Node script: fit q = N(mu, sigma^2) to a
 * target N(m, s^2) by Adam on a Monte-Carlo estimate of KL(q || target) with S samples per
 * step, drawn by the reparameterization trick (`reparameterize`: z = mu + sigma * eps) or by
 * the common mistake (`wrongReparameterize`: z = mu * sigma * eps).
 *
 * mu and log sigma^2 are [1, 1] and broadcast against eps [S, 1]: the gradient of a broadcast
 * is one sum, where tiling them S times made autodiff add S slices (0.9 s a step at S = 4096).
 *
 * Metrics: loss (the S-sample estimate, nats), klExact (the closed form, nats), mu, sigma and
 * the two gradients the optimiser receives.
 */
import * as tf from '@tensorflow/tfjs';
import { histogramPoints } from '../../src/charts/spec';
import type { ChartSpec } from '../../src/charts/spec';
import { Adam, Params } from '../../src/core';
import { gaussianKl, reparameterize, standardNormal, wrongReparameterize } from '../../src/vae';
import { defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';

const LOG_2PI = Math.log(2 * Math.PI);

/** log N(z; mu, exp(logVar)) for z [S, 1] against mu, logVar [1, 1] (broadcast): [S]. */
function logNormal1(zS1: tf.Tensor2D, mu11: tf.Tensor, logVar11: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => logVar11.add(zS1.sub(mu11).square().div(logVar11.exp())).add(LOG_2PI).sum(-1).mul(-0.5));
}

/** The density of N(m, s^2) at x. */
export function normalPdf(x: number, m: number, s: number): number {
  return Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
}

export default defineExperiment({
  title: 'Fit N(mu, sigma^2) to a target by reparameterized gradients',
  settings: {
    form: {
      kind: 'choice',
      label: 'form of z',
      default: 'right',
      options: ['right', 'wrong'],
      help: 'right: mu + sigma * eps; wrong: mu * sigma * eps',
    },
    targetMean: { kind: 'number', label: 'target mean m', default: 2, min: -4, max: 4, slider: 'linear' },
    targetStd: { kind: 'number', label: 'target std s', default: 0.5, min: 0.1, max: 3, slider: 'log' },
    samples: { kind: 'int', label: 'samples per step S', default: 16, min: 1, max: 4096, slider: 'log' },
    lr: { kind: 'number', label: 'learning rate', default: 0.03, min: 1e-4, max: 1, slider: 'log' },
    seed: seedSetting(1),
  },
  metrics: {
    chart: ['loss', 'klExact'],
    yTitle: 'KL(q || target) (nats)',
    readout: ['loss', 'klExact', 'mu', 'sigma', 'dLoss/dmu', 'dLoss/dlogVar'],
    names: { loss: 'KL, S-sample estimate', klExact: 'KL, closed form' },
  },
  figures: {
    samples: {
      title: 'Samples of z against q and the target',
      caption: 'Bars: 4000 samples drawn with the chosen form. Right: they follow q. Wrong: they pile up around 0.',
    },
    klEstimate: {
      title: 'KL(q || N(0, 1)): closed form against Monte Carlo',
      caption: 'The estimate scatters around the closed form with a standard error ~ 1/sqrt(S).',
    },
  },
  logEvery: 5,
  maxSteps: 2000,
  async create(ctx) {
    const s = ctx.settings;
    const params = new Params('q');
    params.add('mu', tf.zeros([1, 1]));
    params.add('logVar', tf.zeros([1, 1]));
    const adam = new Adam(params.trainable(), { lr: s.lr });
    const m = s.targetMean;
    const sd = s.targetStd;
    const targetMu = tf.fill([1, 1], m);
    const targetLogVar = tf.fill([1, 1], Math.log(sd * sd));
    /** n draws of z [n, 1] with the chosen form; mu and logVar broadcast to [n, 1]. */
    const sampleZ = (n: number, step: number, stream: number) =>
      tf.tidy(() => {
        const eps = standardNormal([n, 1], { seed: s.seed, step }, stream);
        const mu = params.get('mu').broadcastTo([n, 1]) as tf.Tensor2D;
        const logVar = params.get('logVar').broadcastTo([n, 1]) as tf.Tensor2D;
        return s.form === 'right' ? reparameterize(mu, logVar, eps) : wrongReparameterize(mu, logVar, eps);
      });
    /** Monte-Carlo KL(q || target): mean over samples of log q(z) - log target(z). */
    const mcKl = (zS1: tf.Tensor2D) =>
      tf.tidy(() =>
        logNormal1(zS1, params.get('mu'), params.get('logVar'))
          .sub(logNormal1(zS1, targetMu, targetLogVar))
          .mean(),
      );
    let lastStep = 0;

    return {
      oneStep(i) {
        lastStep = i;
        const { loss, grads } = params.gradients(() => mcKl(sampleZ(s.samples, i, 0)) as tf.Scalar);
        const gMu = grads.mu.reshape([]) as tf.Scalar;
        const gLogVar = grads.logVar.reshape([]) as tf.Scalar;
        adam.step(grads);
        tf.dispose(Object.values(grads));
        const mu = params.get('mu').reshape([]) as tf.Scalar;
        const logVar = params.get('logVar').reshape([]) as tf.Scalar;
        // KL(N(mu, sigma^2) || N(m, s^2)) = log(s / sigma) + (sigma^2 + (mu - m)^2) / (2 s^2) - 1/2,
        // in tensors so nothing is read back on steps that are not logged.
        const sigma = tf.tidy(() => logVar.mul(0.5).exp() as tf.Scalar);
        const klExact = tf.tidy(
          () =>
            tf
              .scalar(Math.log(sd))
              .sub(logVar.mul(0.5))
              .add(
                sigma
                  .square()
                  .add(mu.sub(m).square())
                  .div(2 * sd * sd),
              )
              .sub(0.5) as tf.Scalar,
        );
        logVar.dispose();
        return { loss, klExact, mu, sigma, 'dLoss/dmu': gMu, 'dLoss/dlogVar': gLogVar };
      },

      async probes() {
        const z = sampleZ(4000, lastStep + 1_000_000, 1);
        const zs = await z.data();
        z.dispose();
        const [mu] = await params.get('mu').data();
        const [logVar] = await params.get('logVar').data();
        const sigma = Math.exp(0.5 * logVar);
        const lo = Math.min(-4, m - 4 * sd);
        const hi = Math.max(4, m + 4 * sd);
        const bins = 60;
        const width = (hi - lo) / bins;
        // Counts scaled to a density (count / (n * bin width)) so the bars sit on the pdfs.
        const bars = histogramPoints(zs, bins, [lo, hi]).map(
          ([x, c]) => [x, c / (zs.length * width)] as [number, number],
        );
        const grid = Array.from({ length: 201 }, (_, k) => lo + ((hi - lo) * k) / 200);
        const samples: ChartSpec = {
          title: `z = ${s.form === 'right' ? 'mu + sigma * eps' : 'mu * sigma * eps (wrong)'}`,
          kind: 'histogram',
          x: { title: 'z', min: lo, max: hi },
          y: { title: 'density' },
          series: [
            { name: '4000 samples', points: bars, kind: 'bar', color: s.form === 'right' ? '#56B4E9' : '#999999' },
            {
              name: `q = N(${mu.toFixed(2)}, ${sigma.toFixed(2)}^2)`,
              points: grid.map((x) => [x, normalPdf(x, mu, sigma)]),
              kind: 'line',
              color: '#0072B2',
            },
            {
              name: `target N(${m}, ${sd}^2)`,
              points: grid.map((x) => [x, normalPdf(x, m, sd)]),
              kind: 'line',
              color: '#D55E00',
              dashed: true,
            },
          ],
        };
        // KL to the standard-normal prior, as a VAE uses it: closed form vs S-sample estimates +- 2 SE.
        const closed = tf.tidy(() => gaussianKl(params.get('mu') as tf.Tensor2D, params.get('logVar') as tf.Tensor2D));
        const [klClosed] = await closed.data();
        closed.dispose();
        const sizes = [10, 30, 100, 300, 1000];
        const est: Array<[number, number, number]> = [];
        for (const n of sizes) {
          const t = tf.tidy(() => {
            const eps = standardNormal([n, 1], { seed: s.seed, step: lastStep + 2_000_000 }, n);
            const muN = params.get('mu').broadcastTo([n, 1]) as tf.Tensor2D;
            const lvN = params.get('logVar').broadcastTo([n, 1]) as tf.Tensor2D;
            const zz = reparameterize(muN, lvN, eps);
            const d = logNormal1(zz, params.get('mu'), params.get('logVar')).sub(
              logNormal1(zz, tf.zeros([1, 1]), tf.zeros([1, 1])),
            );
            const { mean, variance } = tf.moments(d);
            return tf.stack([mean, variance.div(n).sqrt()]);
          });
          const [mean, se] = await t.data();
          t.dispose();
          est.push([n, mean, se]);
        }
        const klEstimate: ChartSpec = {
          title: 'KL(q || N(0, 1)) from S samples',
          kind: 'line',
          x: { title: 'samples S', log: true },
          y: { title: 'KL (nats)' },
          series: [
            {
              name: 'closed form',
              points: [
                [sizes[0], klClosed],
                [sizes[sizes.length - 1], klClosed],
              ],
              color: '#000000',
              dashed: true,
            },
            { name: 'estimate', points: est.map(([n, v]) => [n, v]), kind: 'scatter', pointRadius: 4 },
            { name: '+2 standard errors', points: est.map(([n, v, e]) => [n, v + 2 * e]), color: '#999999' },
            { name: '-2 standard errors', points: est.map(([n, v, e]) => [n, v - 2 * e]), color: '#999999' },
          ],
        };
        return { samples, klEstimate };
      },

      diagram() {
        const S = s.samples;
        return [
          { label: 'eps ~ N(0, 1)', shape: [S, 1], role: 'data' as const },
          { label: 'mu, log sigma^2', shape: [1, 1], role: 'map' as const },
          {
            label: s.form === 'right' ? 'z = mu + sigma * eps' : 'z = mu * sigma * eps',
            shape: [S, 1],
            role: 'latent' as const,
          },
          { label: 'log q(z) - log target(z)', shape: [S], role: 'loss' as const },
        ];
      },

      dispose() {
        adam.dispose();
        params.dispose();
        tf.dispose([targetMu, targetLogVar]);
      },
    };
  },
});
