/**
 * Lesson 1's experiment, shared by the page (panel.ts) and the Node script (script.ts): an
 * autoencoder or a VAE, with the same networks (2 -> H -> H -> z in R^Z -> H -> H -> 2), on
 * 2-D toy points (a ring of 8 Gaussians or two moons).
 *
 * - model = vae: minimise -ELBO with a Gaussian decoder N(xhat(z), sigma^2 I) and the KL to
 *   N(0, I), weighted by beta;
 * - model = autoencoder: the same reconstruction term through z = mu(x), no noise, no KL.
 *
 * Metrics (nats per example): recon = -log p(x|z) on the training batch (both models); kl
 * (VAE); every 50 steps, on 256 held-out points, -ELBO and -IWAE (K = 32): -IWAE is a tighter
 * upper bound on -log p(x), so their gap under-estimates KL(q(z|x) || p(z|x)); and onData, the
 * fraction of decoded prior samples z ~ N(0, I) that land within 3 std of a mixture centre
 * (ring only): the autoencoder's decoder was never asked to make sense of N(0, I) codes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ChartSpec } from '../../src/charts/spec';
import {
  type ArrayDataset,
  Vae,
  VaeTrainer,
  gaussianLogLikelihood,
  gaussianRing,
  iwaeBound,
  samplePrior,
  twoMoons,
} from '../../src/vae';
import type { Rng } from '../../src/core/random';
import { defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';

/** The ring: 8 Gaussians of std 0.15 on a circle of radius 2 (its entropy is 1.12 nats). */
export const RING = { components: 8, radius: 2, std: 0.15 };
const HELD_OUT = 256;
const EVAL_EVERY = 50;
const IWAE_K = 32;
const PRIOR_SAMPLES = 600;

function toyData(name: string, n: number, rng: Rng): ArrayDataset {
  return name === 'moons' ? twoMoons(n, rng) : gaussianRing(n, rng, RING);
}

/** Fraction of 2-D points within 3 std of one of the ring's centres. */
export function onRingFraction(points: ArrayLike<number>): number {
  let hits = 0;
  const n = points.length / 2;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < RING.components; c++) {
      const a = (2 * Math.PI * c) / RING.components;
      const d = Math.hypot(points[2 * i] - RING.radius * Math.cos(a), points[2 * i + 1] - RING.radius * Math.sin(a));
      if (d < 3 * RING.std) {
        hits++;
        break;
      }
    }
  }
  return hits / n;
}

/** `onRingFraction` in tensor ops (read back with the other metrics, never with dataSync). */
function onRingFractionT(pointsB2: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const angles = Array.from({ length: RING.components }, (_, c) => (2 * Math.PI * c) / RING.components);
    const centresC2 = tf.tensor2d(
      angles.flatMap((a) => [RING.radius * Math.cos(a), RING.radius * Math.sin(a)]),
      [RING.components, 2],
    );
    const distBC = pointsB2.expandDims(1).sub(centresC2.expandDims(0)).square().sum(-1).sqrt();
    return distBC
      .min(1)
      .less(3 * RING.std)
      .cast('float32')
      .mean() as tf.Scalar;
  });
}

const columns = (a: ArrayLike<number>, n: number, dim: number, j: number): number[] =>
  Array.from({ length: n }, (_, i) => a[i * dim + j]);
const pairs = (xs: number[], ys: number[]): Array<[number, number]> => xs.map((x, i) => [x, ys[i]]);

export default defineExperiment({
  title: 'An autoencoder or a VAE on 2-D points',
  settings: {
    model: {
      kind: 'choice',
      label: 'model',
      default: 'vae',
      options: ['vae', 'autoencoder'],
      help: 'vae: noise and a KL term; autoencoder: z = mu(x), squared error only',
    },
    data: { kind: 'choice', label: 'data', default: 'ring', options: ['ring', 'moons'] },
    latentDim: { kind: 'int', label: 'latent size Z', default: 2, min: 1, max: 8, slider: 'linear' },
    hidden: { kind: 'int', label: 'hidden units', default: 64, min: 4, max: 512, slider: 'log' },
    sigma: {
      kind: 'number',
      label: 'decoder sigma',
      default: 0.15,
      min: 0.02,
      max: 2,
      slider: 'log',
      help: 'p(x|z) = N(xhat(z), sigma^2 I)',
    },
    beta: { kind: 'number', label: 'KL weight beta', default: 1, min: 0, max: 10, slider: 'linear' },
    lr: { kind: 'number', label: 'learning rate', default: 0.003, min: 1e-5, max: 0.1, slider: 'log' },
    batchSize: { kind: 'int', label: 'batch size', default: 128, min: 8, max: 1024, slider: 'log' },
    seed: seedSetting(1),
  },
  metrics: {
    chart: ['recon', 'testNegElbo', 'testNegIwae'],
    yTitle: 'nats per example',
    readout: ['recon', 'kl', 'testNegElbo', 'testNegIwae', 'onData'],
    names: {
      recon: '-log p(x|z), train batch',
      kl: 'KL(q(z|x) || p(z))',
      testNegElbo: '-ELBO, held out',
      testNegIwae: '-IWAE (K=32), held out',
      onData: 'prior samples on the data',
    },
  },
  figures: {
    samples: {
      title: 'Data (blue) and decoded prior samples (orange)',
      caption: 'z ~ N(0, I), then xhat(z): does the decoder make data from the prior?',
      size: 'half',
    },
    codes: {
      title: 'Codes mu(x) of held-out points',
      caption: 'Coloured by mixture component; grey: draws from the prior N(0, I).',
      size: 'half',
    },
  },
  logEvery: 10,
  maxSteps: 4000,
  async create(ctx) {
    const s = ctx.settings;
    const vaeMode = s.model === 'vae';
    const train = toyData(s.data, 4000, ctx.rng.fork());
    const heldOut = toyData(s.data, HELD_OUT, ctx.rng.fork());
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
    const priorRng = ctx.rng.fork();
    const priorDraws = Array.from({ length: 300 }, () => [priorRng.normal(), priorRng.normal()] as [number, number]);

    /** The autoencoder's step: -log p(x | z = mu(x)) on a batch, no noise, no KL. */
    const autoencoderStep = () => {
      const x = trainer.nextBatch();
      const { loss, grads } = model.params.gradients(
        () =>
          gaussianLogLikelihood(x, model.decode(model.encode(x).muBZ), s.sigma)
            .mean()
            .neg() as tf.Scalar,
      );
      trainer.optimizer.step(grads);
      tf.dispose([x, ...Object.values(grads)]);
      return { recon: loss };
    };

    return {
      oneStep(i) {
        const out: Record<string, tf.Scalar | number> = {};
        if (vaeMode) {
          const r = trainer.step(i);
          r.loss.dispose();
          out.recon = tf.tidy(() => r.negElbo.sub(r.kl) as tf.Scalar);
          r.negElbo.dispose();
          out.kl = r.kl;
        } else {
          Object.assign(out, autoencoderStep());
        }
        if ((i + 1) % EVAL_EVERY === 0 && vaeMode) {
          // Held out against held out: -ELBO is -L_1, -IWAE is -L_K (Burda et al. 2015), K = 32.
          out.testNegElbo = tf.tidy(
            () =>
              iwaeBound(model, xHeld, 1, { seed: s.seed + 1, step: i })
                .mean()
                .neg() as tf.Scalar,
          );
          out.testNegIwae = tf.tidy(
            () =>
              iwaeBound(model, xHeld, IWAE_K, { seed: s.seed + 1, step: i })
                .mean()
                .neg() as tf.Scalar,
          );
        }
        if ((i + 1) % EVAL_EVERY === 0 && s.data === 'ring') {
          out.onData = tf.tidy(() => onRingFractionT(samplePrior(model, PRIOR_SAMPLES, { seed: s.seed + 2, step: i })));
        }
        return out;
      },

      async probes() {
        const gen = samplePrior(model, PRIOR_SAMPLES, { seed: s.seed + 2, step: 0 });
        const g = await gen.data();
        gen.dispose();
        const enc = tf.tidy(() => model.encode(xHeld).muBZ);
        const mu = await enc.data();
        enc.dispose();
        const z = model.latentDim;
        const nData = 600;
        const samples: ChartSpec = {
          title: `${s.model === 'vae' ? 'VAE' : 'Autoencoder'}: data and decoded prior samples`,
          kind: 'scatter',
          x: { title: 'x1', min: -3.5, max: 3.5 },
          y: { title: 'x2', min: -3.5, max: 3.5 },
          series: [
            {
              name: 'data',
              points: pairs(columns(train.x, nData, 2, 0), columns(train.x, nData, 2, 1)),
              pointRadius: 1.5,
            },
            {
              name: 'decoded z ~ N(0, I)',
              points: pairs(columns(g, PRIOR_SAMPLES, 2, 0), columns(g, PRIOR_SAMPLES, 2, 1)),
              pointRadius: 1.5,
            },
          ],
        };
        // Codes by mixture component (labels), the prior's draws behind them.
        const byLabel = new Map<number, Array<[number, number]>>();
        for (let i = 0; i < heldOut.n; i++) {
          const label = heldOut.labels?.[i] ?? 0;
          if (!byLabel.has(label)) byLabel.set(label, []);
          byLabel.get(label)?.push([mu[i * z], z > 1 ? mu[i * z + 1] : 0]);
        }
        const codes: ChartSpec = {
          title: z > 1 ? 'Codes mu(x): first two dimensions' : 'Codes mu(x) (Z = 1: on a line)',
          kind: 'scatter',
          x: { title: 'z1' },
          y: { title: z > 1 ? 'z2' : '(none)' },
          series: [
            {
              name: 'prior N(0, I)',
              points: priorDraws.map(([a, b]) => [a, z > 1 ? b : 0]),
              color: '#b8c0ca',
              pointRadius: 1.2,
            },
            ...[...byLabel.entries()]
              .sort((a, b) => a[0] - b[0])
              .map(([label, points]) => ({ name: `component ${label}`, points, pointRadius: 2 })),
          ],
        };
        return { samples, codes };
      },

      diagram() {
        const B = s.batchSize;
        const Z = s.latentDim;
        return vaeMode
          ? [
              { label: 'x', shape: [B, 2], role: 'data' as const },
              { label: 'encoder', shape: [2, s.hidden], role: 'map' as const },
              { label: 'mu, log sigma^2', shape: [B, Z], role: 'latent' as const },
              { label: 'z = mu + sigma * eps', shape: [B, Z], role: 'latent' as const },
              { label: 'decoder', shape: [s.hidden, 2], role: 'map' as const },
              { label: 'x-hat', shape: [B, 2], role: 'data' as const },
              { label: '-ELBO', shape: [], role: 'loss' as const },
            ]
          : [
              { label: 'x', shape: [B, 2], role: 'data' as const },
              { label: 'encoder', shape: [2, s.hidden], role: 'map' as const },
              { label: 'z = mu(x)', shape: [B, Z], role: 'latent' as const },
              { label: 'decoder', shape: [s.hidden, 2], role: 'map' as const },
              { label: 'x-hat', shape: [B, 2], role: 'data' as const },
              { label: 'squared error', shape: [], role: 'loss' as const },
            ];
      },

      dispose() {
        trainer.dispose();
        model.dispose();
        xHeld.dispose();
      },
    };
  },
});
