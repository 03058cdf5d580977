/**
 * Live panel of lesson 3: train a VAE on 2-D toy data (Gaussian decoder) or on MNIST
 * (Bernoulli decoder, pixels binarised afresh every batch) with beta, KL warm-up and the
 * IWAE bound on held-out data; show reconstructions, prior samples, a latent grid (Z = 2),
 * an interpolation and the KL of every latent dimension.
 */
import * as tf from '@tensorflow/tfjs';
import {
  type ArrayDataset,
  Vae,
  VaeTrainer,
  interpolate,
  iwaeBound,
  klPerDimension,
  latentGrid,
  reconstruct,
  samplePrior,
} from '../../src/vae';
import { COLORS, drawBars, drawScatter, imageGridCanvas } from '../../src/server/browser/charts';
import { mnistSubset, toyData } from '../../src/server/browser/datasets';
import { definePanel, seedSetting } from '../../src/server/browser/panel-kit';

export default definePanel({
  title: 'Train a VAE',
  settings: {
    data: { kind: 'choice', label: 'data', default: 'mnist', options: ['mnist', 'ring', 'moons'] },
    latentDim: { kind: 'int', label: 'latent size Z', default: 10, min: 1, max: 64 },
    hidden: { kind: 'int', label: 'hidden units', default: 256, min: 8, max: 1024 },
    batchSize: { kind: 'int', label: 'batch size', default: 64, min: 8, max: 512 },
    lr: { kind: 'number', label: 'learning rate', default: 0.001, min: 1e-5, max: 0.1 },
    beta: { kind: 'number', label: 'KL weight beta', default: 1, min: 0, max: 20 },
    warmup: { kind: 'int', label: 'KL warm-up steps', default: 0, min: 0, max: 100000 },
    iwaeK: { kind: 'int', label: 'IWAE samples K', default: 16, min: 1, max: 512 },
    seed: seedSetting(1),
  },
  chart: ['negElbo', 'testNegElbo', 'testNegIwae'],
  readout: ['negElbo', 'kl', 'beta', 'testNegElbo', 'testNegIwae'],
  logEvery: 10,
  maxSteps: 20000,
  async create(ctx) {
    const s = ctx.settings;
    const mnist = s.data === 'mnist';
    ctx.note(mnist ? 'Loading the MNIST subset (10,000 training, 1,000 test images)…' : '');
    let train: ArrayDataset;
    let test: ArrayDataset;
    if (mnist) {
      train = await mnistSubset('train');
      test = await mnistSubset('test', 1000, 1234);
      ctx.note('MNIST: 10,000 training images binarised afresh each batch; 1,000 test images binarised once.');
    } else {
      train = toyData(s.data, 4000, ctx.rng.fork());
      test = toyData(s.data, 500, ctx.rng.fork());
    }
    const model = new Vae(
      mnist
        ? { inputDim: 784, latentDim: s.latentDim, hidden: [s.hidden], activation: 'relu', likelihood: 'bernoulli' }
        : {
            inputDim: 2,
            latentDim: s.latentDim,
            hidden: [s.hidden, s.hidden],
            activation: 'tanh',
            likelihood: 'gaussian',
            sigma: 0.15,
          },
      ctx.rng.fork(),
    );
    const trainer = new VaeTrainer(model, train, {
      batchSize: s.batchSize,
      lr: s.lr,
      beta: s.beta,
      klWarmupSteps: s.warmup,
      seed: s.seed,
      binarize: mnist ? 'dynamic' : 'none',
      steps: 20000,
    });
    const nEval = mnist ? 100 : 500;
    const xTest = tf.tensor2d(test.x.subarray(0, nEval * test.dim), [nEval, test.dim]);
    const EVAL_EVERY = 50;

    const images = mnist
      ? {
          recon: ctx.boxView('Reconstructions (top: test digit, bottom: decoded mean of mu(x))'),
          samples: ctx.boxView('Samples: decode z ~ N(0, I)'),
          grid: s.latentDim === 2 ? ctx.boxView('Latent grid: decode z on [-2.5, 2.5]^2') : null,
          interp: ctx.boxView('Interpolation between two test digits in latent space'),
        }
      : null;
    const points = mnist
      ? null
      : {
          data: ctx.canvasView('Test points (blue) and model samples (orange)', 225, 225),
          latent: ctx.canvasView('Encodings mu(x) (first two dims) by component', 225, 225),
        };
    const klView = ctx.canvasView(
      'KL per latent dimension (nats, test batch)',
      460,
      120,
      'A dimension near 0 is collapsed: q(z_j|x) is the prior for every x.',
    );
    let lastDraw = -Infinity;

    const setImages = (box: HTMLElement, pixels: ArrayLike<number>, count: number, cols: number) => {
      box.textContent = '';
      box.append(imageGridCanvas(pixels, count, 28, cols));
    };

    return {
      step(i) {
        const r = trainer.step(i);
        r.loss.dispose();
        const out: Record<string, tf.Scalar | number> = { negElbo: r.negElbo, kl: r.kl, beta: r.beta };
        if ((i + 1) % EVAL_EVERY === 0) {
          // Held-out bounds: the ELBO (L_1) and the importance-weighted L_K, both in nats.
          out.testNegElbo = tf.tidy(
            () =>
              iwaeBound(model, xTest, 1, { seed: s.seed + 7, step: i })
                .mean()
                .neg() as tf.Scalar,
          );
          out.testNegIwae = tf.tidy(
            () =>
              iwaeBound(model, xTest, s.iwaeK, { seed: s.seed + 8, step: i })
                .mean()
                .neg() as tf.Scalar,
          );
        }
        return out;
      },
      async draw(history) {
        // The image views cost a few decoder passes: redraw at most every 0.6 s.
        const now = performance.now();
        if (now - lastDraw < 600 && history.steps.length > 0) return;
        lastDraw = now;
        const kl = klPerDimension(model, xTest);
        const klz = await kl.data();
        kl.dispose();
        drawBars(
          klView,
          460,
          120,
          klz,
          Array.from(klz, (_, j) => String(j)),
          COLORS[2],
        );
        if (images) {
          const x8 = xTest.slice([0, 0], [8, 784]) as tf.Tensor2D;
          const rec = reconstruct(model, x8);
          const both = tf.concat([x8, rec], 0);
          setImages(images.recon, await both.data(), 16, 8);
          const smp = samplePrior(model, 24, { seed: s.seed + 3, step: 0 });
          setImages(images.samples, await smp.data(), 24, 8);
          const a = xTest.slice([0, 0], [1, 784]);
          const b = xTest.slice([1, 0], [1, 784]);
          const line = interpolate(model, a, b, 10);
          setImages(images.interp, await line.data(), 10, 10);
          tf.dispose([x8, rec, both, smp, a, b, line]);
          if (images.grid) {
            const grid = latentGrid(model, 10);
            setImages(images.grid, await grid.data(), 100, 10);
            grid.dispose();
          }
        } else if (points) {
          const n = 500;
          const gen = samplePrior(model, n, { seed: s.seed + 2, step: 0 });
          const g = await gen.data();
          gen.dispose();
          const noise = ctx.rng.fork();
          const gx = Float32Array.from({ length: n }, (_, i) => g[2 * i] + 0.15 * noise.normal());
          const gy = Float32Array.from({ length: n }, (_, i) => g[2 * i + 1] + 0.15 * noise.normal());
          const tx = Float32Array.from({ length: nEval }, (_, i) => test.x[2 * i]);
          const ty = Float32Array.from({ length: nEval }, (_, i) => test.x[2 * i + 1]);
          const range = { x0: -3.2, x1: 3.2, y0: -3.2, y1: 3.2 };
          drawScatter(
            points.data,
            225,
            225,
            [
              { x: tx, y: ty, color: COLORS[0] },
              { x: gx, y: gy, color: COLORS[1] },
            ],
            range,
          );
          const enc = tf.tidy(() => model.encode(xTest).muBZ);
          const mu = await enc.data();
          enc.dispose();
          const z = model.latentDim;
          const mx = Float32Array.from({ length: nEval }, (_, i) => mu[i * z]);
          const my = Float32Array.from({ length: nEval }, (_, i) => (z > 1 ? mu[i * z + 1] : 0));
          drawScatter(points.latent, 225, 225, [{ x: mx, y: my, labels: test.labels }], range);
        }
      },
      dispose() {
        trainer.dispose();
        model.dispose();
        xTest.dispose();
      },
    };
  },
});
