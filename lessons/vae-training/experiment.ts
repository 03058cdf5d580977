/**
 * Lesson 3's experiment, shared by the page and the Node script: train a VAE on MNIST
 * (Bernoulli decoder, pixels binarised afresh every batch, Burda et al. 2015's protocol) or on
 * 2-D toy points (Gaussian decoder, sigma = 0.15), with beta, KL warm-up and, every 50 steps,
 * the held-out -ELBO and -IWAE bound (K = iwaeK) on a fixed binarised test batch.
 *
 * Figures: reconstructions, prior samples, the latent grid (Z = 2), an interpolation and the
 * KL of every latent dimension (MNIST); data against samples and the codes (toy data).
 */
import * as tf from '@tensorflow/tfjs';
import { imageGrid } from '../../src/charts/images';
import type { ChartSpec } from '../../src/charts/spec';
import type { Rng } from '../../src/core/random';
import { readAndDispose } from '../../src/core/train';
import { type ExperimentRun, type Figure, defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';
import {
  type ArrayDataset,
  Vae,
  VaeTrainer,
  gaussianRing,
  interpolate,
  iwaeBound,
  klPerDimension,
  latentGrid,
  reconstruct,
  samplePrior,
  twoMoons,
} from '../../src/vae';

const EVAL_EVERY = 50;
/** The fixed binarisation of the test images (IWAE paper's evaluation). */
export const TEST_BINARIZE_SEED = 1234;

function toyData(name: string, n: number, rng: Rng): ArrayDataset {
  return name === 'moons' ? twoMoons(n, rng) : gaussianRing(n, rng);
}

/** The run, with the model and data for scripts that evaluate further. */
export interface VaeTrainingRun extends ExperimentRun {
  model: Vae;
  train: ArrayDataset;
  test: ArrayDataset;
}

export default defineExperiment<
  {
    data: { kind: 'choice'; label: string; default: string; options: readonly string[] };
    latentDim: { kind: 'int'; label: string; default: number; min: number; max: number; slider: 'log' };
    hidden: { kind: 'int'; label: string; default: number; min: number; max: number; slider: 'log' };
    batchSize: { kind: 'int'; label: string; default: number; min: number; max: number; slider: 'log' };
    lr: { kind: 'number'; label: string; default: number; min: number; max: number; slider: 'log' };
    beta: { kind: 'number'; label: string; default: number; min: number; max: number; slider: 'linear' };
    warmup: { kind: 'int'; label: string; default: number; min: number; max: number };
    iwaeK: { kind: 'int'; label: string; default: number; min: number; max: number; slider: 'log' };
    seed: ReturnType<typeof seedSetting>;
  },
  VaeTrainingRun
>({
  title: 'Train a VAE',
  settings: {
    data: { kind: 'choice', label: 'data', default: 'mnist', options: ['mnist', 'ring', 'moons'] },
    latentDim: { kind: 'int', label: 'latent size Z', default: 10, min: 1, max: 64, slider: 'log' },
    hidden: { kind: 'int', label: 'hidden units', default: 256, min: 8, max: 1024, slider: 'log' },
    batchSize: { kind: 'int', label: 'batch size', default: 64, min: 8, max: 512, slider: 'log' },
    lr: { kind: 'number', label: 'learning rate', default: 0.001, min: 1e-5, max: 0.1, slider: 'log' },
    beta: { kind: 'number', label: 'KL weight beta', default: 1, min: 0, max: 20, slider: 'linear' },
    warmup: { kind: 'int', label: 'KL warm-up steps', default: 0, min: 0, max: 100000 },
    iwaeK: { kind: 'int', label: 'IWAE samples K', default: 16, min: 1, max: 512, slider: 'log' },
    seed: seedSetting(1),
  },
  metrics: {
    chart: ['negElbo', 'testNegElbo', 'testNegIwae'],
    yTitle: 'nats per example',
    readout: ['negElbo', 'kl', 'beta', 'testNegElbo', 'testNegIwae'],
    names: {
      negElbo: '-ELBO, train batch',
      kl: 'KL, train batch',
      testNegElbo: '-ELBO, held out',
      testNegIwae: '-IWAE, held out',
    },
  },
  figures: {
    recon: { title: 'Reconstructions', caption: 'Top: test digits; bottom: the decoded mean of mu(x).' },
    samples: { title: 'Samples: decode z ~ N(0, I)' },
    grid: { title: 'Latent grid: decode z on [-2.5, 2.5]^2 (Z = 2 only)' },
    interp: { title: 'Interpolation between two test digits in latent space' },
    points: { title: 'Test points and model samples (toy data)', size: 'half' },
    codes: { title: 'Codes mu(x) by component (toy data)', size: 'half' },
    klPerDim: {
      title: 'KL per latent dimension',
      caption: 'A dimension near 0 is collapsed: q(z_j|x) is the prior for every x.',
    },
  },
  logEvery: 10,
  maxSteps: 20000,
  async create(ctx) {
    const s = ctx.settings;
    const mnist = s.data === 'mnist';
    let train: ArrayDataset;
    let test: ArrayDataset;
    if (mnist) {
      ctx.note('Loading the MNIST subset…');
      train = await ctx.data.mnist('train');
      test = await ctx.data.mnist('test', 1000, TEST_BINARIZE_SEED);
      ctx.note(`MNIST: ${train.n} training images binarised afresh each batch; ${test.n} test images binarised once.`);
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
    const noise = ctx.rng.fork();

    return {
      model,
      train,
      test,
      oneStep(i) {
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

      async probes() {
        const figures: Record<string, Figure> = {};
        const kl = await readAndDispose(klPerDimension(model, xTest));
        figures.klPerDim = {
          title: 'KL of each latent dimension (test batch)',
          kind: 'bar',
          x: { title: 'latent dimension', categories: Array.from(kl, (_, j) => String(j)) },
          y: { title: 'KL (nats)' },
          series: [{ name: 'KL', points: Array.from(kl, (v, j) => [j, v] as [number, number]), color: '#009E73' }],
        };
        if (mnist) {
          const x8 = tf.tidy(() => xTest.slice([0, 0], [8, 784]) as tf.Tensor2D);
          const both = tf.tidy(() => tf.concat([x8, reconstruct(model, x8)], 0));
          figures.recon = imageGrid(await readAndDispose(both), 16, 28, 28, 8);
          figures.samples = imageGrid(
            await readAndDispose(samplePrior(model, 24, { seed: s.seed + 3, step: 0 })),
            24,
            28,
            28,
            8,
          );
          const line = tf.tidy(() =>
            interpolate(model, xTest.slice([0, 0], [1, 784]), xTest.slice([1, 0], [1, 784]), 10),
          );
          figures.interp = imageGrid(await readAndDispose(line), 10, 28, 28, 10);
          x8.dispose();
          if (s.latentDim === 2) figures.grid = imageGrid(await readAndDispose(latentGrid(model, 10)), 100, 28, 28, 10);
          return figures;
        }
        const n = 500;
        const g = await readAndDispose(samplePrior(model, n, { seed: s.seed + 2, step: 0 }));
        const pts: ChartSpec = {
          title: 'Test points and model samples',
          kind: 'scatter',
          x: { title: 'x1', min: -3.5, max: 3.5 },
          y: { title: 'x2', min: -3.5, max: 3.5 },
          series: [
            {
              name: 'test points',
              points: Array.from({ length: nEval }, (_, i) => [test.x[2 * i], test.x[2 * i + 1]]),
              pointRadius: 1.5,
            },
            {
              name: 'samples x ~ N(xhat(z), 0.15^2)',
              points: Array.from({ length: n }, (_, i) => [
                g[2 * i] + 0.15 * noise.normal(),
                g[2 * i + 1] + 0.15 * noise.normal(),
              ]),
              pointRadius: 1.5,
            },
          ],
        };
        const mu = await readAndDispose(tf.tidy(() => model.encode(xTest).muBZ));
        const z = model.latentDim;
        const byLabel = new Map<number, Array<[number, number]>>();
        for (let i = 0; i < nEval; i++) {
          const label = test.labels?.[i] ?? 0;
          if (!byLabel.has(label)) byLabel.set(label, []);
          byLabel.get(label)?.push([mu[i * z], z > 1 ? mu[i * z + 1] : 0]);
        }
        figures.points = pts;
        figures.codes = {
          title: 'Codes mu(x), first two dimensions',
          kind: 'scatter',
          x: { title: 'z1' },
          y: { title: z > 1 ? 'z2' : '(none: Z = 1)' },
          series: [...byLabel.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(([label, points]) => ({ name: `component ${label}`, points, pointRadius: 2 })),
        };
        return figures;
      },

      diagram() {
        const B = s.batchSize;
        const D = mnist ? 784 : 2;
        const Z = s.latentDim;
        return [
          { label: 'x', shape: [B, D], role: 'data' as const },
          { label: 'encoder', shape: [D, s.hidden], role: 'map' as const },
          { label: 'mu, log sigma^2', shape: [B, Z], role: 'latent' as const },
          { label: 'z = mu + sigma * eps', shape: [B, Z], role: 'latent' as const },
          { label: 'decoder', shape: [s.hidden, D], role: 'map' as const },
          { label: mnist ? 'logits' : 'x-hat', shape: [B, D], role: 'data' as const },
          { label: '-ELBO', shape: [], role: 'loss' as const },
        ];
      },

      dispose() {
        trainer.dispose();
        model.dispose();
        xTest.dispose();
      },
    };
  },
});
