/**
 * Live panel of lesson 2: fit q = N(mu, sigma^2) to a target Gaussian by gradient descent
 * on a Monte-Carlo estimate of KL(q || target), with samples drawn by the reparameterization
 * trick (`reparameterize`) or by the common mistake (`wrongReparameterize`). Shows the
 * samples' histogram against both densities, the gradients reaching mu and logVar, and the
 * closed-form KL next to its Monte-Carlo estimate.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam, Params } from '../../src/core';
import { gaussianKl, logNormalDiag, reparameterize, standardNormal, wrongReparameterize } from '../../src/vae';
import { COLORS, drawHistogram } from '../../src/server/browser/charts';
import { definePanel, seedSetting } from '../../src/server/browser/panel-kit';

function normalPdf(m: number, s: number): (x: number) => number {
  return (x) => Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
}

export default definePanel({
  title: 'Fit N(mu, sigma^2) to a target by reparameterized gradients',
  settings: {
    form: {
      kind: 'choice',
      label: 'form of z',
      default: 'right',
      options: ['right', 'wrong'],
      help: 'right: mu + sigma * eps; wrong: mu * sigma * eps',
    },
    targetMean: { kind: 'number', label: 'target mean', default: 2, min: -4, max: 4 },
    targetStd: { kind: 'number', label: 'target std', default: 0.5, min: 0.1, max: 3 },
    samples: { kind: 'int', label: 'samples per step (S)', default: 16, min: 1, max: 4096 },
    lr: { kind: 'number', label: 'learning rate', default: 0.03, min: 1e-4, max: 1 },
    seed: seedSetting(1),
  },
  chart: ['loss', 'klExact'],
  readout: ['loss', 'klExact', 'mu', 'sigma', 'dLoss/dmu', 'dLoss/dlogVar'],
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
    const sampleZ = (n: number, step: number, stream: number) =>
      tf.tidy(() => {
        const mu = params.get('mu').tile([n, 1]) as tf.Tensor2D;
        const logVar = params.get('logVar').tile([n, 1]) as tf.Tensor2D;
        const eps = standardNormal([n, 1], { seed: s.seed, step }, stream);
        return s.form === 'right' ? reparameterize(mu, logVar, eps) : wrongReparameterize(mu, logVar, eps);
      });
    /** Monte-Carlo KL(q || target): mean over samples of log q(z) - log target(z). */
    const mcKl = (zSZ: tf.Tensor2D) =>
      tf.tidy(() => {
        const n = zSZ.shape[0];
        const logQ = logNormalDiag(
          zSZ,
          params.get('mu').tile([n, 1]) as tf.Tensor2D,
          params.get('logVar').tile([n, 1]) as tf.Tensor2D,
        );
        const logP = logNormalDiag(zSZ, targetMu.tile([n, 1]) as tf.Tensor2D, targetLogVar.tile([n, 1]) as tf.Tensor2D);
        return logQ.sub(logP);
      });

    const hist = ctx.canvasView(
      'Samples of z against q (blue curve) and the target (orange)',
      460,
      170,
      'Bars: 4000 samples drawn with the chosen form. With the right form they follow q; with the wrong one they pile up at 0.',
    );
    const table = ctx.boxView(
      'KL(q || N(0, 1)): closed form against Monte Carlo',
      'The closed form (gaussianKl) has no noise; the estimate scatters around it with standard error ~ 1/sqrt(S).',
    );

    return {
      step(i) {
        const { loss, grads } = params.gradients(() =>
          tf.tidy(() => mcKl(sampleZ(s.samples, i, 0)).mean() as tf.Scalar),
        );
        const gMu = grads.mu.reshape([]) as tf.Scalar;
        const gLogVar = grads.logVar.reshape([]) as tf.Scalar;
        adam.step(grads);
        tf.dispose(Object.values(grads));
        const mu = params.get('mu').reshape([]) as tf.Scalar;
        const logVar = params.get('logVar').reshape([]) as tf.Scalar;
        // KL(N(mu, sigma^2) || N(m, sd^2)) = log(sd / sigma) + (sigma^2 + (mu - m)^2) / (2 sd^2) - 1/2,
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
        tf.dispose(logVar);
        return { loss, klExact, mu, sigma, 'dLoss/dmu': gMu, 'dLoss/dlogVar': gLogVar };
      },
      async draw(history) {
        const step = Math.max(0, history.steps[history.steps.length - 1] ?? 0);
        const z = sampleZ(4000, step + 1_000_000, 1);
        const zs = await z.data();
        z.dispose();
        const [mu] = await params.get('mu').data();
        const [logVar] = await params.get('logVar').data();
        const sigma = Math.exp(0.5 * logVar);
        const lo = Math.min(-4, m - 4 * sd);
        const hi = Math.max(4, m + 4 * sd);
        drawHistogram(
          hist,
          460,
          170,
          [{ values: zs, color: s.form === 'right' ? COLORS[0] : COLORS[6] }],
          [
            { pdf: normalPdf(mu, sigma), color: COLORS[0] },
            { pdf: normalPdf(m, sd), color: COLORS[1] },
          ],
          [lo, hi],
          60,
        );
        // KL to the standard-normal prior, as the VAE uses it: closed form vs S-sample estimates.
        const rows: string[][] = [];
        const closed = tf.tidy(() => gaussianKl(params.get('mu') as tf.Tensor2D, params.get('logVar') as tf.Tensor2D));
        const [klClosed] = await closed.data();
        closed.dispose();
        for (const n of [10, 100, 1000]) {
          const est = tf.tidy(() => {
            const eps = standardNormal([n, 1], { seed: s.seed, step: step + 2_000_000 }, n);
            const zz = reparameterize(
              params.get('mu').tile([n, 1]) as tf.Tensor2D,
              params.get('logVar').tile([n, 1]) as tf.Tensor2D,
              eps,
            );
            const d = logNormalDiag(
              zz,
              params.get('mu').tile([n, 1]) as tf.Tensor2D,
              params.get('logVar').tile([n, 1]) as tf.Tensor2D,
            ).sub(logNormalDiag(zz, tf.zeros([n, 1]), tf.zeros([n, 1])));
            const { mean, variance } = tf.moments(d);
            return tf.stack([mean, variance.div(n).sqrt()]);
          });
          const [mean, se] = await est.data();
          est.dispose();
          rows.push([`S = ${n}`, mean.toFixed(4), `± ${se.toFixed(4)}`]);
        }
        table.textContent = '';
        const t = document.createElement('table');
        const head = document.createElement('tr');
        for (const h of ['', 'KL estimate', 'std. error']) {
          const th = document.createElement('th');
          th.textContent = h;
          head.append(th);
        }
        t.append(head);
        for (const r of [['closed form', klClosed.toFixed(4), 'exact'], ...rows]) {
          const tr = document.createElement('tr');
          for (const c of r) {
            const td = document.createElement('td');
            td.textContent = c;
            tr.append(td);
          }
          t.append(tr);
        }
        table.append(t);
      },
      dispose() {
        adam.dispose();
        params.dispose();
        tf.dispose([targetMu, targetLogVar]);
      },
    };
  },
});
