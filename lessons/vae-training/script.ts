/**
 * Lesson 3 (Node): the page's experiment (experiment.ts) at a larger size, then a longer
 * evaluation.
 *
 *   npm run lesson -- vae-training [--quick]
 *
 * Trains a 784-512-Z(20)-512-784 Bernoulli VAE with dynamic binarisation (Burda et al. 2015's
 * protocol), then a 2-D-latent one for the latent grid. Writes into outDir (the page's figures
 * plus the evaluation's):
 *   curves.png          train -ELBO (batch) and held-out -ELBO / -IWAE every 50 steps, nats
 *   recon.png, samples.png, interp.png, klPerDim.png      the page's figures for the Z = 20 model
 *   iwae-k.png          -L_K on held-out digits as K grows: K = 1 is the ELBO, the bound tightens with K
 *   z2-grid.png         the 2-D model's decoder over a grid of z in [-2.5, 2.5]^2
 *   z2-scatter.png      the 2-D model's posterior means of test digits, coloured by label
 *   model/              the trained Z = 20 model (`loadVae(dir)` from src/vae/node rebuilds it)
 * and returns the held-out negative ELBO and the negative IWAE bound (nats), which papers
 * report: Burda et al. reach ~87 nats (IWAE-5000) for one stochastic layer after long training.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeChartPng } from '../../src/charts/node';
import { readAndDispose } from '../../src/core';
import type { ExperimentData } from '../../src/lesson/experiment';
import { runExperiment, writeFigures, type LessonScriptOptions } from '../../src/lesson/node';
import { type ArrayDataset, type Vae, evaluateVae, latentActivity, sliceRows } from '../../src/vae';
import { mnistDataset, saveVae } from '../../src/vae/node';
import experiment, { TEST_BINARIZE_SEED } from './experiment';

/** Sizes of the default run and of `--quick` (about a minute). */
function sizes(quick: boolean) {
  return quick
    ? {
        trainImages: 10000,
        testImages: 1000,
        epochs: 1,
        epochs2d: 1,
        iwaeK: 50,
        iwaeImages: 500,
        sweepK: [1, 5, 50],
        sweepImages: 200,
      }
    : {
        trainImages: 60000,
        testImages: 10000,
        epochs: 12,
        epochs2d: 4,
        iwaeK: 200,
        iwaeImages: 2000,
        sweepK: [1, 5, 50, 500],
        sweepImages: 500,
      };
}

export default async function run(opts: LessonScriptOptions): Promise<Record<string, number>> {
  const s = sizes(opts.quick);
  const out = (name: string) => path.join(opts.outDir, name);
  const data: ExperimentData = {
    async mnist(split, limit, binarizeSeed) {
      const n = limit ?? (split === 'train' ? s.trainImages : s.testImages);
      return mnistDataset({
        split,
        limit: n,
        binarize: binarizeSeed === undefined ? 'none' : 'stochastic',
        seed: binarizeSeed,
      });
    },
  };
  const batchSize = 128;
  const stepsPerEpoch = Math.floor(s.trainImages / batchSize);
  const steps = s.epochs * stepsPerEpoch;
  opts.log(
    `training a 784-512-20 VAE on ${s.trainImages} MNIST digits: ${s.epochs} epochs, ${steps} steps of ${batchSize}`,
  );
  const t0 = Date.now();
  const big = await runExperiment(experiment, {
    settings: { latentDim: 20, hidden: 512, batchSize, seed: opts.seed },
    steps,
    data,
    log: opts.log,
  });
  const trainSeconds = (Date.now() - t0) / 1000;
  try {
    await writeFigures(experiment, big, opts.outDir, { only: ['curves', 'recon', 'samples', 'interp', 'klPerDim'] });
    const model = big.run.model;
    // The whole test set, binarised once with the page's seed.
    const test = await data.mnist('test', s.testImages, TEST_BINARIZE_SEED);
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
    const sweep = await iwaeSweep(model, sliceRows(test, 0, s.sweepImages), s.sweepK, out('iwae-k.png'), opts.log);
    const x = tf.tensor2d(test.x.subarray(0, 1000 * 784), [1000, 784]);
    const activity = await readAndDispose(latentActivity(model, x));
    x.dispose();
    const activeUnits = Array.from(activity).filter((v) => v > 0.01).length;
    opts.log(`active latent dimensions (variance of mu over test digits > 0.01): ${activeUnits} of 20`);

    // ---- a 2-D latent space, for the grid and the scatter ----
    const steps2 = s.epochs2d * stepsPerEpoch;
    opts.log(`training a 2-D latent VAE for the latent grid: ${s.epochs2d} epochs`);
    const small = await runExperiment(experiment, {
      settings: { latentDim: 2, hidden: 512, batchSize, seed: opts.seed },
      steps: steps2,
      data,
      log: opts.log,
    });
    let ev2: { negElbo: number };
    try {
      await writeFigures(experiment, small, opts.outDir, { prefix: 'z2-', only: ['grid'] });
      ev2 = await evaluateVae(small.run.model, test);
      await scatter2d(small.run.model, test, out('z2-scatter.png'));
    } finally {
      small.run.dispose();
    }
    return {
      latentDim: 20,
      epochs: s.epochs,
      trainImages: s.trainImages,
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
  } finally {
    big.run.dispose();
  }
}

/** -L_K for each K on the same digits, and its chart (K on a log axis). */
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
  writeChartPng(file, {
    title: 'The importance-weighted bound tightens with K (K = 1: the ELBO)',
    kind: 'line',
    x: { title: 'importance samples K', log: true },
    y: { title: `-L_K on ${data.n} test digits (nats per example)` },
    series: [{ name: '-L_K', points: ks.map((k, i) => [k, values[i]]) }],
  });
  return values;
}

/** The 2-D model's posterior means of test digits, one colour per digit. */
async function scatter2d(model: Vae, test: ArrayDataset, file: string): Promise<void> {
  const n = Math.min(3000, test.n);
  const mu = await readAndDispose(tf.tidy(() => model.encode(tf.tensor2d(test.x.subarray(0, n * 784), [n, 784])).muBZ));
  const byDigit: Array<Array<[number, number]>> = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < n; i++) byDigit[test.labels?.[i] ?? 0].push([mu[2 * i], mu[2 * i + 1]]);
  writeChartPng(
    file,
    {
      title: `Posterior means of ${n} test digits (2-D latent)`,
      kind: 'scatter',
      x: { title: 'z1' },
      y: { title: 'z2' },
      series: byDigit.map((points, d) => ({ name: `digit ${d}`, points, pointRadius: 1.5 })),
    },
    { width: 640, height: 600 },
  );
}
