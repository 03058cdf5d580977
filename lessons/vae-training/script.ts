/**
 * Lesson 3 (Node): train an MLP VAE on binarised MNIST and look at what it learned.
 *
 *   npm run lesson -- vae-training [--quick]
 *
 * Trains a 784-512-Z(20)-512-784 Bernoulli VAE with dynamic binarisation (Burda et al. 2015's
 * protocol), then a 2-D-latent VAE for the latent-grid picture. Writes into outDir:
 *   elbo-curve.png      train -ELBO (batch mean, smoothed) and held-out -ELBO per epoch, nats
 *   reconstructions.png test digits and their reconstructions through the posterior mean
 *   samples.png         100 samples from the prior (decoder means)
 *   interpolation.png   straight lines in latent space between pairs of test digits
 *   kl-per-dim.png      batch-mean KL of each latent dimension (collapsed ones sit at 0)
 *   iwae-k.png          -L_K on held-out digits as K grows: K = 1 is the ELBO, the bound tightens with K
 *   latent-grid.png     the 2-D model's decoder over a grid of z in [-2.5, 2.5]^2
 *   latent-scatter.png  the 2-D model's posterior means of test digits, coloured by label
 *   model/              the trained z=20 model (`loadVae(dir)` from src/vae/node rebuilds it)
 * and returns the held-out negative ELBO and the negative IWAE bound (nats), which papers
 * report: Burda et al. reach ~87 nats (IWAE-5000) for one stochastic layer after long training.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type MetricHistory, Rng, type TrainCallbacks, readAndDispose } from '../../src/core';
import { progressBar } from '../../src/core/progress';
import {
  type ArrayDataset,
  Vae,
  VaeTrainer,
  evaluateVae,
  interpolate,
  klPerDimension,
  latentActivity,
  latentGrid,
  reconstruct,
  samplePrior,
  sliceRows,
} from '../../src/vae';
import { mnistDataset, saveVae } from '../../src/vae/node';
import { barChart, imageGrid, lineChart, scatter, writePng } from '../../src/analysis/node';

interface Opts {
  quick: boolean;
  outDir: string;
  seed: number;
  log: (line: string) => void;
}

/** Settings of the default run and of `--quick` (well under a minute). */
function settings(quick: boolean) {
  return quick
    ? {
        trainImages: 10000,
        epochs: 2,
        epochs2d: 2,
        testImages: 1000,
        iwaeK: 50,
        iwaeImages: 500,
        sweepK: [1, 5, 50],
        sweepImages: 200,
      }
    : {
        trainImages: 60000,
        epochs: 12,
        epochs2d: 4,
        testImages: 10000,
        iwaeK: 200,
        iwaeImages: 2000,
        sweepK: [1, 5, 50, 500],
        sweepImages: 500,
      };
}

export default async function run(opts: Opts): Promise<Record<string, number>> {
  const s = settings(opts.quick);
  const out = (name: string) => path.join(opts.outDir, name);
  const train = mnistDataset({ split: 'train', limit: s.trainImages });
  // A fixed binarisation of the test set (seeded), as in the IWAE paper's evaluation.
  const test = mnistDataset({ split: 'test', limit: s.testImages, binarize: 'stochastic', seed: 12345 });
  const heldOut = sliceRows(test, 0, Math.min(1000, test.n)); // evaluated after every epoch
  const rng = new Rng(opts.seed);
  const batchSize = 128;
  const stepsPerEpoch = Math.floor(train.n / batchSize);

  // ---- the main model: Z = 20 ----
  const latentDim = 20;
  const model = new Vae(
    { inputDim: 784, latentDim, hidden: [512], activation: 'relu', likelihood: 'bernoulli' },
    rng.fork(),
  );
  const steps = s.epochs * stepsPerEpoch;
  opts.log(
    `training a 784-512-${latentDim} VAE on ${train.n} MNIST digits: ${s.epochs} epochs, ${steps} steps of ${batchSize}`,
  );
  const trainer = new VaeTrainer(model, train, {
    steps,
    batchSize,
    lr: 1e-3,
    decay: 'cosine',
    binarize: 'dynamic',
    seed: rng.tfSeed(),
    logEvery: 25,
  });
  const heldOutCurve: { step: number; value: number }[] = [];
  const perEpoch: TrainCallbacks = {
    async onLog(step) {
      if ((step + 1) % stepsPerEpoch < 25 || step === steps - 1) {
        const ev = await evaluateVae(model, heldOut);
        heldOutCurve.push({ step: step + 1, value: ev.negElbo });
      }
    },
  };
  const t0 = Date.now();
  const history = await trainer.train({
    callbacks: [progressBar({ label: 'vae z=20', total: steps, show: ['negElbo', 'kl'] }), perEpoch],
  });
  const trainSeconds = (Date.now() - t0) / 1000;
  trainer.dispose();

  opts.log(`evaluating: -ELBO on ${test.n} test digits, -IWAE (K=${s.iwaeK}) on the first ${s.iwaeImages}`);
  const t1 = Date.now();
  const full = await evaluateVae(model, test);
  const iw = await evaluateVae(model, sliceRows(test, 0, s.iwaeImages), { iwaeK: s.iwaeK });
  const evalSeconds = (Date.now() - t1) / 1000;
  opts.log(
    `held-out -ELBO ${full.negElbo.toFixed(2)} nats (KL ${full.kl.toFixed(2)}, reconstruction ${full.recon.toFixed(2)}); ` +
      `on the IWAE subset -ELBO ${iw.negElbo.toFixed(2)}, -IWAE(${s.iwaeK}) ${iw.negIwae.toFixed(2)} nats`,
  );

  await saveVae(out('model'), model, {
    dataset: 'MNIST, dynamically binarised',
    epochs: s.epochs,
    testNegElbo: full.negElbo,
    testNegIwae: iw.negIwae,
    iwaeK: s.iwaeK,
  });
  writeCurves(out('elbo-curve.png'), history, heldOutCurve, iw.negIwae, s.iwaeK);
  const sweep = await iwaeSweep(model, sliceRows(test, 0, s.sweepImages), s.sweepK, out('iwae-k.png'), opts.log);
  const activeUnits = await drawUses(model, test, out, opts.seed);

  // ---- a 2-D latent space, for the grid and the scatter ----
  const model2 = new Vae(
    { inputDim: 784, latentDim: 2, hidden: [512], activation: 'relu', likelihood: 'bernoulli' },
    rng.fork(),
  );
  const steps2 = s.epochs2d * stepsPerEpoch;
  opts.log(`training a 2-D latent VAE for the latent grid: ${s.epochs2d} epochs`);
  const trainer2 = new VaeTrainer(model2, train, {
    steps: steps2,
    batchSize,
    lr: 1e-3,
    binarize: 'dynamic',
    seed: rng.tfSeed(),
    logEvery: 25,
  });
  await trainer2.train({ callbacks: progressBar({ label: 'vae z=2', total: steps2, show: ['negElbo', 'kl'] }) });
  trainer2.dispose();
  const ev2 = await evaluateVae(model2, test);
  await draw2d(model2, test, out);
  model2.dispose();
  model.dispose();

  return {
    latentDim,
    epochs: s.epochs,
    trainImages: train.n,
    testImages: test.n,
    testNegElbo: full.negElbo,
    testKl: full.kl,
    testRecon: full.recon,
    iwaeK: s.iwaeK,
    iwaeImages: s.iwaeImages,
    testNegIwae: iw.negIwae,
    testNegElboIwaeSubset: iw.negElbo,
    activeUnits,
    trainSeconds,
    evalSeconds,
    secondsPerStep: trainSeconds / steps,
    latent2dNegElbo: ev2.negElbo,
    ...Object.fromEntries(s.sweepK.map((k, i) => [`sweepNegIwaeK${k}`, sweep[i]])),
    sweepImages: s.sweepImages,
  };
}

/** Train -ELBO (moving average of the logged batch means) and the held-out curve. */
function writeCurves(
  file: string,
  history: MetricHistory,
  heldOut: { step: number; value: number }[],
  negIwae: number,
  k: number,
): void {
  const train = history.series('negElbo');
  const window = Math.max(1, Math.round(train.length / 40)); // ~2.5% of the run: little lag
  const smooth = train.map((p, i) => {
    const w = train.slice(Math.max(0, i - window + 1), i + 1);
    return { step: p.step + 1, value: w.reduce((a, q) => a + q.value, 0) / w.length };
  });
  const last = heldOut[heldOut.length - 1];
  const series = [
    { name: 'train -ELBO (batch, smoothed)', x: smooth.map((p) => p.step), y: smooth.map((p) => p.value) },
    { name: 'held-out -ELBO', x: heldOut.map((p) => p.step), y: heldOut.map((p) => p.value) },
  ];
  if (last && Number.isFinite(negIwae)) series.push({ name: `held-out -IWAE(K=${k})`, x: [last.step], y: [negIwae] });
  const top = Math.min(250, Math.max(...smooth.map((p) => p.value)));
  const bottom = Math.min(...series.flatMap((q) => q.y)) - 5;
  writePng(
    file,
    lineChart({
      series,
      title: 'MNIST VAE: negative ELBO per example (nats)',
      xLabel: 'training step',
      yLabel: 'nats',
      yRange: [bottom, top],
      width: 720,
      height: 420,
    }),
  );
}

/** -L_K for each K on the same digits (with the same K the estimate is the one of evaluateVae), and its chart. */
async function iwaeSweep(
  model: Vae,
  data: ArrayDataset,
  ks: number[],
  file: string,
  log: (line: string) => void,
): Promise<number[]> {
  const values: number[] = [];
  for (const k of ks) {
    values.push((await evaluateVae(model, data, { iwaeK: k, batchSize: 100 })).negIwae);
    log(`-IWAE(K=${k}) on ${data.n} test digits: ${values[values.length - 1].toFixed(2)} nats`);
  }
  writePng(
    file,
    lineChart({
      series: [{ name: `-L_K on ${data.n} test digits`, x: ks.map(Math.log10), y: values }],
      title: 'the importance-weighted bound tightens with K (K = 1: the ELBO)',
      xLabel: 'log10 K',
      yLabel: 'nats',
      width: 560,
      height: 340,
    }),
  );
  return values;
}

/** Reconstructions, prior samples, interpolations and per-dimension KL; returns the active units. */
async function drawUses(model: Vae, test: ArrayDataset, out: (n: string) => string, seed: number): Promise<number> {
  const x = tf.tensor2d(test.x.subarray(0, 1000 * 784), [1000, 784]);
  const first20 = x.slice([0, 0], [20, 784]);
  const rec = reconstruct(model, first20);
  const inputs = await first20.data(),
    recs = await rec.data();
  const rows = new Float32Array(40 * 784);
  for (let r = 0; r < 2; r++) {
    rows.set(inputs.subarray(r * 10 * 784, (r + 1) * 10 * 784), 2 * r * 10 * 784);
    rows.set(recs.subarray(r * 10 * 784, (r + 1) * 10 * 784), (2 * r + 1) * 10 * 784);
  }
  writePng(
    out('reconstructions.png'),
    imageGrid(rows, {
      count: 40,
      height: 28,
      width: 28,
      cols: 10,
      title: 'test digits and their reconstructions',
      rowLabels: ['input', 'recon', 'input', 'recon'],
    }),
  );

  const samples = samplePrior(model, 100, { seed, step: 0 });
  writePng(
    out('samples.png'),
    imageGrid(await samples.data(), {
      count: 100,
      height: 28,
      width: 28,
      cols: 10,
      title: 'samples: z ~ N(0, I), decoder mean',
    }),
  );

  const strips: Float32Array[] = [];
  const pairs = [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
    [8, 9],
  ];
  for (const [a, b] of pairs) {
    const ra = x.slice([a, 0], [1, 784]),
      rb = x.slice([b, 0], [1, 784]);
    const path10 = interpolate(model, ra, rb, 10);
    strips.push((await path10.data()) as Float32Array);
    tf.dispose([ra, rb, path10]);
  }
  const strip = new Float32Array(50 * 784);
  strips.forEach((s, i) => strip.set(s, i * 10 * 784));
  writePng(
    out('interpolation.png'),
    imageGrid(strip, {
      count: 50,
      height: 28,
      width: 28,
      cols: 10,
      title: 'interpolation between the posterior means of two test digits',
    }),
  );

  const kl = await readAndDispose(klPerDimension(model, x));
  const activity = await readAndDispose(latentActivity(model, x));
  const active = Array.from(activity).filter((v) => v > 0.01).length;
  writePng(
    out('kl-per-dim.png'),
    barChart({
      values: kl,
      title: `KL per latent dimension (nats); ${active} of ${kl.length} active`,
      xLabel: 'latent dimension',
      yLabel: 'nats',
      width: 640,
      height: 320,
    }),
  );
  tf.dispose([x, first20, rec, samples]);
  return active;
}

/** The 2-D model: decoder over a latent grid, and posterior means coloured by digit. */
async function draw2d(model: Vae, test: ArrayDataset, out: (n: string) => string): Promise<void> {
  const grid = latentGrid(model, 20, 2.5);
  writePng(
    out('latent-grid.png'),
    imageGrid(await grid.data(), {
      count: 400,
      height: 28,
      width: 28,
      cols: 20,
      scale: 1,
      pad: 0,
      title: 'decoder over z in [-2.5, 2.5]^2',
    }),
  );
  const n = Math.min(3000, test.n);
  const x = tf.tensor2d(test.x.subarray(0, n * 784), [n, 784]);
  const { muBZ, logVarBZ } = model.encode(x);
  const mu = await muBZ.data();
  writePng(
    out('latent-scatter.png'),
    scatter({
      x: Array.from({ length: n }, (_, i) => mu[2 * i]),
      y: Array.from({ length: n }, (_, i) => mu[2 * i + 1]),
      labels: Array.from(test.labels!.subarray(0, n)),
      title: 'posterior means of test digits (2-D latent)',
      xLabel: 'z1',
      yLabel: 'z2',
      width: 560,
      height: 520,
      xRange: [-4, 4],
      yRange: [-4, 4],
    }),
  );
  tf.dispose([grid, x, muBZ, logVarBZ]);
}
