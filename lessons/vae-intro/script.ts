/**
 * Lesson 1 (Node): a plain autoencoder against a VAE on 2-D toy data (a ring of 8 Gaussians).
 *
 *   npm run lesson -- vae-intro [--quick]
 *
 * Both have the same networks (2 -> 64 -> 64 -> z in R^2 -> 64 -> 64 -> 2). The autoencoder
 * minimises the squared error of x -> mu(x) -> decoder; the VAE minimises the negative ELBO with a
 * Gaussian decoder (sigma = 0.15, the clusters' std: the squared error scaled by 1 / (2 sigma^2),
 * plus the KL to N(0, I)). Then both decode codes drawn from N(0, I). Writes into outDir:
 *   samples.png   data | autoencoder decoding N(0, I) codes | VAE decoding N(0, I) codes
 *   codes.png     the codes of the data: autoencoder | VAE (posterior means), by mixture component
 *   curves.png    the VAE's -ELBO and -IWAE on held-out points during training (nats)
 * and returns reconstruction errors, the fraction of decoded prior samples that land on the
 * data (within 3 std of a mixture centre), the spread of the codes, and the VAE's -ELBO and
 * -IWAE (nats). The data's own entropy, log 8 + log(2 pi e 0.15^2) = 1.12 nats, is the best
 * possible -log p(x) on average.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Adam, Rng, readAndDispose, trainLoop } from '../../src/core';
import { progressBar } from '../../src/core/progress';
import {
  type ArrayDataset,
  Vae,
  VaeTrainer,
  evaluateVae,
  copyRows,
  gaussianRing,
  samplePrior,
  sliceRows,
} from '../../src/vae';
import { hstack, lineChart, scatter, writePng } from '../../src/analysis/node';

interface Opts {
  quick: boolean;
  outDir: string;
  seed: number;
  log: (line: string) => void;
}

const RING = { components: 8, radius: 2, std: 0.15 };
const NETWORK = {
  inputDim: 2,
  latentDim: 2,
  hidden: [64, 64],
  activation: 'tanh' as const,
  likelihood: 'gaussian' as const,
  sigma: RING.std,
};

export default async function run(opts: Opts): Promise<Record<string, number>> {
  const steps = opts.quick ? 1500 : 3000;
  const rng = new Rng(opts.seed);
  const train = gaussianRing(4000, rng.fork(), RING);
  const test = gaussianRing(1000, rng.fork(), RING);
  const out = (n: string) => path.join(opts.outDir, n);
  const heldOut = sliceRows(test, 0, 500); // for the curves
  // The data's entropy: the lowest possible average -log p(x), log K + log(2 pi e std^2).
  const entropy = Math.log(RING.components) + Math.log(2 * Math.PI * Math.E * RING.std ** 2);

  // ---- the autoencoder: same networks, squared error of the mean code, no noise, no KL ----
  const ae = new Vae(NETWORK, rng.fork());
  opts.log(
    `training an autoencoder and a VAE (2-D latent) on a ring of ${RING.components} Gaussians, ${steps} steps each`,
  );
  await trainAutoencoder(ae, train, steps, rng.fork());

  // ---- the VAE ----
  const vae = new Vae(NETWORK, rng.fork());
  const trainer = new VaeTrainer(vae, train, {
    steps,
    batchSize: 128,
    lr: 3e-3,
    decay: 'cosine',
    seed: rng.tfSeed(),
    logEvery: 50,
  });
  const curve: { step: number; negElbo: number; negIwae: number }[] = [];
  await trainer.train({
    callbacks: [
      progressBar({ label: 'vae', total: steps, show: ['negElbo', 'kl'] }),
      {
        async onLog(step) {
          if ((step + 1) % 200 !== 0 && step !== steps - 1) return;
          const ev = await evaluateVae(vae, heldOut, { iwaeK: 64 });
          curve.push({ step: step + 1, negElbo: ev.negElbo, negIwae: ev.negIwae });
        },
      },
    ],
  });
  trainer.dispose();
  const ev = await evaluateVae(vae, test, { iwaeK: 256 });

  // ---- reconstructions and prior samples ----
  const x = tf.tensor2d(test.x, [test.n, 2]);
  const aeMse = await reconError(ae, x);
  const vaeMse = await reconError(vae, x);
  const n = 2000;
  const aeSamples = (await readAndDispose(samplePrior(ae, n, { seed: opts.seed, step: 1 }))) as Float32Array;
  const vaeSamples = (await readAndDispose(samplePrior(vae, n, { seed: opts.seed, step: 1 }))) as Float32Array;
  const aeOnData = onDataFraction(aeSamples);
  const vaeOnData = onDataFraction(vaeSamples);
  const aeCodes = (await readAndDispose(tf.tidy(() => ae.encode(x).muBZ))) as Float32Array;
  const vaeCodes = (await readAndDispose(tf.tidy(() => vae.encode(x).muBZ))) as Float32Array;
  opts.log(`reconstruction MSE: autoencoder ${aeMse.toFixed(4)}, VAE ${vaeMse.toFixed(4)}`);
  opts.log(
    `prior samples on the data: autoencoder ${(100 * aeOnData).toFixed(1)}%, VAE ${(100 * vaeOnData).toFixed(1)}%`,
  );
  opts.log(`VAE held-out -ELBO ${ev.negElbo.toFixed(3)} nats, -IWAE(256) ${ev.negIwae.toFixed(3)} nats`);

  const lim: [number, number] = [-3.5, 3.5];
  const xs = (a: Float32Array) => Array.from({ length: a.length / 2 }, (_, i) => a[2 * i]);
  const ys = (a: Float32Array) => Array.from({ length: a.length / 2 }, (_, i) => a[2 * i + 1]);
  const panel = (title: string, a: Float32Array, labels?: ArrayLike<number>, range = lim) =>
    scatter({
      x: xs(a),
      y: ys(a),
      labels,
      title,
      xLabel: 'x1',
      yLabel: 'x2',
      width: 360,
      height: 360,
      xRange: range,
      yRange: range,
    });
  writePng(
    out('samples.png'),
    hstack([
      panel('data (test points)', test.x, test.labels),
      panel(`autoencoder: decode z ~ N(0,I) (${(100 * aeOnData).toFixed(0)}% on data)`, aeSamples),
      panel(`VAE: decode z ~ N(0,I) (${(100 * vaeOnData).toFixed(0)}% on data)`, vaeSamples),
    ]),
  );
  const codeRange = (a: Float32Array): [number, number] => {
    const m = Math.max(3, ...Array.from(a, Math.abs));
    return [-1.05 * m, 1.05 * m];
  };
  writePng(
    out('codes.png'),
    hstack([
      scatter({
        x: xs(aeCodes),
        y: ys(aeCodes),
        labels: test.labels,
        title: 'autoencoder codes',
        xLabel: 'z1',
        yLabel: 'z2',
        width: 400,
        height: 400,
        xRange: codeRange(aeCodes),
        yRange: codeRange(aeCodes),
      }),
      scatter({
        x: xs(vaeCodes),
        y: ys(vaeCodes),
        labels: test.labels,
        title: 'VAE posterior means',
        xLabel: 'z1',
        yLabel: 'z2',
        width: 400,
        height: 400,
        xRange: [-3, 3],
        yRange: [-3, 3],
      }),
    ]),
  );
  writePng(
    out('curves.png'),
    lineChart({
      series: [
        { name: '-ELBO (held out)', x: curve.map((c) => c.step), y: curve.map((c) => c.negElbo) },
        { name: '-IWAE, K=64 (held out)', x: curve.map((c) => c.step), y: curve.map((c) => c.negIwae) },
        { name: 'data entropy (the floor)', x: [curve[0].step, steps], y: [entropy, entropy], color: [0, 0, 0] },
      ],
      title: 'VAE on the ring: negative ELBO and IWAE bound (nats)',
      xLabel: 'training step',
      yLabel: 'nats',
      width: 640,
      height: 380,
    }),
  );
  tf.dispose(x);
  ae.dispose();
  vae.dispose();
  return {
    steps,
    aeReconMse: aeMse,
    vaeReconMse: vaeMse,
    aePriorOnData: aeOnData,
    vaePriorOnData: vaeOnData,
    aeCodeMaxAbs: Math.max(...Array.from(aeCodes, Math.abs)),
    vaeCodeMaxAbs: Math.max(...Array.from(vaeCodes, Math.abs)),
    vaeNegElbo: ev.negElbo,
    vaeNegIwae: ev.negIwae,
    vaeKl: ev.kl,
    dataEntropy: entropy,
  };
}

/** Trains `model` as a plain autoencoder: minimise mean ||x - decoder(mu(x))||^2 with Adam. */
async function trainAutoencoder(model: Vae, data: ArrayDataset, steps: number, rng: Rng): Promise<void> {
  const optimizer = new Adam(model.params.trainable(), { lr: 3e-3 });
  await trainLoop({
    steps,
    logEvery: 50,
    callbacks: progressBar({ label: 'autoencoder', total: steps }),
    step: () => {
      const idx = Array.from({ length: 128 }, () => rng.int(data.n));
      const x = tf.tensor2d(copyRows(data, idx), [128, data.dim]);
      const { loss, grads } = model.params.gradients(
        () => model.decode(model.encode(x).muBZ).sub(x).square().sum(-1).mean() as tf.Scalar,
      );
      optimizer.step(grads);
      tf.dispose([x, ...Object.values(grads)]);
      return { mse: loss };
    },
  });
  optimizer.dispose();
}

/** Mean squared reconstruction error through the mean code, per point. */
async function reconError(model: Vae, x: tf.Tensor2D): Promise<number> {
  const e = tf.tidy(() => model.decodeMean(model.encode(x).muBZ).sub(x).square().sum(-1).mean());
  const v = (await e.data())[0];
  e.dispose();
  return v;
}

/** Fraction of 2-D points within 3 std of one of the ring's centres. */
function onDataFraction(points: Float32Array): number {
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
