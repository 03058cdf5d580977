/**
 * Live panel of lesson 1: a VAE with a Gaussian decoder on 2-D points. Plots -ELBO and the
 * IWAE estimate of -log p(x) on held-out points (their gap is KL(q(z|x) || p(z|x))), the
 * data against samples from the model, and the encodings against the prior.
 */
import * as tf from '@tensorflow/tfjs';
import { Vae, VaeTrainer, iwaeBound, samplePrior } from '../../src/vae';
import { COLORS, drawScatter } from '../../src/server/browser/charts';
import { TOY_SETS, toyData } from '../../src/server/browser/datasets';
import { definePanel, seedSetting } from '../../src/server/browser/panel-kit';

export default definePanel({
  title: 'A VAE on 2-D points',
  settings: {
    data: { kind: 'choice', label: 'data', default: 'ring', options: TOY_SETS },
    latentDim: { kind: 'int', label: 'latent size Z', default: 2, min: 1, max: 8 },
    hidden: { kind: 'int', label: 'hidden units', default: 64, min: 4, max: 512 },
    sigma: {
      kind: 'number',
      label: 'decoder sigma',
      default: 0.15,
      min: 0.02,
      max: 2,
      help: 'p(x|z) = N(xhat(z), sigma^2 I)',
    },
    beta: { kind: 'number', label: 'KL weight beta', default: 1, min: 0, max: 10 },
    lr: { kind: 'number', label: 'learning rate', default: 0.003, min: 1e-5, max: 0.1 },
    batchSize: { kind: 'int', label: 'batch size', default: 128, min: 8, max: 1024 },
    seed: seedSetting(1),
  },
  chart: ['negElbo', 'negIwae'],
  readout: ['negElbo', 'recon', 'kl', 'negIwae'],
  logEvery: 10,
  maxSteps: 4000,
  async create(ctx) {
    const s = ctx.settings;
    const train = toyData(s.data, 4000, ctx.rng.fork());
    const heldOut = toyData(s.data, 256, ctx.rng.fork());
    const model = new Vae(
      {
        inputDim: 2,
        latentDim: s.latentDim,
        hidden: [s.hidden, s.hidden],
        activation: 'tanh',
        likelihood: 'gaussian',
        sigma: s.sigma,
      },
      ctx.rng.fork(),
    );
    const trainer = new VaeTrainer(model, train, {
      batchSize: s.batchSize,
      lr: s.lr,
      beta: s.beta,
      seed: s.seed,
      steps: 4000,
    });
    const xHeld = tf.tensor2d(heldOut.x, [heldOut.n, 2]);
    const IWAE_K = 32;
    const IWAE_EVERY = 50;
    const range = { x0: -3.2, x1: 3.2, y0: -3.2, y1: 3.2 };
    const dataView = ctx.canvasView(
      'Data (blue) and samples from the model (orange)',
      225,
      225,
      'Samples: z ~ N(0, I), then x ~ N(xhat(z), sigma^2 I).',
    );
    const latentView = ctx.canvasView(
      'Encodings mu(x), coloured by component',
      225,
      225,
      'The KL term pulls them onto the prior N(0, I) (grey).',
    );
    const noiseRng = ctx.rng.fork();
    return {
      step(i) {
        const r = trainer.step(i);
        const recon = tf.tidy(() => r.negElbo.sub(r.kl) as tf.Scalar);
        const out: Record<string, tf.Scalar | number> = { negElbo: r.negElbo, recon, kl: r.kl };
        r.loss.dispose();
        // -log p(x) estimated by -L_K on held-out points, every IWAE_EVERY steps.
        if ((i + 1) % IWAE_EVERY === 0)
          out.negIwae = tf.tidy(
            () =>
              iwaeBound(model, xHeld, IWAE_K, { seed: s.seed + 1, step: i })
                .mean()
                .neg() as tf.Scalar,
          );
        return out;
      },
      async draw() {
        const n = 600;
        const gen = samplePrior(model, n, { seed: s.seed + 2, step: 0 });
        const g = await gen.data();
        gen.dispose();
        const gx = new Float32Array(n),
          gy = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          gx[i] = g[2 * i] + s.sigma * noiseRng.normal();
          gy[i] = g[2 * i + 1] + s.sigma * noiseRng.normal();
        }
        const dx = new Float32Array(n),
          dy = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          dx[i] = train.x[2 * i];
          dy[i] = train.x[2 * i + 1];
        }
        drawScatter(
          dataView,
          225,
          225,
          [
            { x: dx, y: dy, color: COLORS[0] },
            { x: gx, y: gy, color: COLORS[1] },
          ],
          range,
        );
        const enc = tf.tidy(() => model.encode(xHeld).muBZ);
        const mu = await enc.data();
        enc.dispose();
        const z = model.latentDim;
        const mx = new Float32Array(heldOut.n),
          my = new Float32Array(heldOut.n);
        for (let i = 0; i < heldOut.n; i++) {
          mx[i] = mu[i * z];
          my[i] = z > 1 ? mu[i * z + 1] : 0;
        }
        const px = new Float32Array(300),
          py = new Float32Array(300);
        const pr = ctx.rng.fork();
        for (let i = 0; i < 300; i++) {
          px[i] = pr.normal();
          py[i] = z > 1 ? pr.normal() : 0;
        }
        drawScatter(
          latentView,
          225,
          225,
          [
            { x: px, y: py, color: '#c7ced6', radius: 1.3 },
            { x: mx, y: my, labels: heldOut.labels },
          ],
          range,
        );
      },
      dispose() {
        trainer.dispose();
        model.dispose();
        xHeld.dispose();
      },
    };
  },
});
