/**
 * Training and evaluating a VAE on the shared core: minibatches from an `ArrayDataset`,
 * the loss from elbo.ts, the core `Adam` and `trainLoop`.
 *
 * One step: draw a batch (binarised afresh each step if `binarize` is 'dynamic', as in
 * Burda et al. 2015), evaluate loss = -E_q[log p(x|z)] + beta_t * KL with beta_t ramped
 * linearly from 0 to `beta` over `klWarmupSteps` (Bowman et al. 2016, arXiv:1511.06349),
 * take the gradient w.r.t. every parameter and apply one Adam update.
 *
 * Evaluation reports nats per example: the negative ELBO (1 sample, analytic KL) and the
 * negative IWAE bound with K samples, -L_K >= -log p(x), the number papers compare.
 */
import * as tf from '@tensorflow/tfjs';
import {
  Adam,
  ConfigError,
  type MetricHistory,
  Rng,
  type TrainCallbacks,
  checkInt,
  checkNumber,
  checkOneOf,
  makeSchedule,
  trainLoop,
} from '../core';
import { type ArrayDataset, binarize, checkDataset, copyRows } from './dataset';
import { elbo, resolveElboOptions } from './elbo';
import { iwaeBound } from './iwae';
import type { Vae } from './model';

export interface VaeTrainConfig {
  /** Examples per step (default 128). */
  batchSize: number;
  /** Optimisation steps. */
  steps: number;
  /** Adam's peak learning rate (default 1e-3, Kingma & Ba's default). */
  lr: number;
  /** Learning-rate decay over the run: 'cosine' to lr * 0.05 over the last half, or 'none'. */
  lrDecay: 'none' | 'cosine';
  /** KL weight (beta-VAE, Higgins et al. 2017); 1 is the true ELBO. */
  beta: number;
  /** Steps over which the KL weight rises linearly from 0 to beta (0: no warm-up). */
  klWarmupSteps: number;
  /** Free bits, nats per latent dimension (Kingma et al. 2016); 0 is the true ELBO. */
  freeBits: number;
  /** Reparameterized samples per example (default 1). */
  samples: number;
  /** 'dynamic': resample x ~ Bernoulli(pixel intensity) every batch (binarised MNIST); 'none': use x as is. */
  binarize: 'none' | 'dynamic';
  /** Seed for batch order, binarisation and eps. */
  seed: number;
  /** Read metrics back every this many steps. */
  logEvery: number;
  /** Use the fused sampling kernel when registered. */
  useKernels: boolean;
}

export const DEFAULT_TRAIN_CONFIG: VaeTrainConfig = {
  batchSize: 128,
  steps: 1000,
  lr: 1e-3,
  lrDecay: 'none',
  beta: 1,
  klWarmupSteps: 0,
  freeBits: 0,
  samples: 1,
  binarize: 'none',
  seed: 0,
  logEvery: 50,
  useKernels: true,
};

/** Validates a partial training config and fills in the defaults; throws ConfigError naming the field. */
export function resolveTrainConfig(partial: Partial<VaeTrainConfig> = {}): VaeTrainConfig {
  const c = { ...DEFAULT_TRAIN_CONFIG, ...partial };
  checkInt('batchSize', c.batchSize, 1);
  checkInt('steps', c.steps, 0);
  checkNumber('lr', c.lr, { min: 0, minOpen: true });
  checkOneOf('lrDecay', c.lrDecay, ['none', 'cosine'] as const);
  checkInt('klWarmupSteps', c.klWarmupSteps, 0);
  checkOneOf('binarize', c.binarize, ['none', 'dynamic'] as const);
  checkInt('seed', c.seed, 0, 2 ** 32 - 1);
  checkInt('logEvery', c.logEvery, 1);
  resolveElboOptions(c); // beta, freeBits, samples
  return c;
}

/** KL weight at `step`: beta * min(1, (step + 1) / klWarmupSteps). */
export function klWeight(step: number, beta: number, klWarmupSteps: number): number {
  return klWarmupSteps > 0 ? beta * Math.min(1, (step + 1) / klWarmupSteps) : beta;
}

/**
 * Holds a model, its optimiser and the batch order. `step(i)` is one update (usable from a
 * browser panel's own loop); `run()` drives it with the core `trainLoop`.
 */
export class VaeTrainer {
  readonly config: VaeTrainConfig;
  readonly optimizer: Adam;
  private readonly rng: Rng;
  private order: Int32Array;
  private cursor = 0;

  constructor(
    readonly model: Vae,
    readonly data: ArrayDataset,
    config: Partial<VaeTrainConfig> = {},
  ) {
    this.config = resolveTrainConfig(config);
    checkDataset('data', data);
    if (data.dim !== model.config.inputDim) {
      throw new ConfigError('data.dim', `is ${data.dim} but the model's inputDim is ${model.config.inputDim}`);
    }
    const c = this.config;
    this.rng = new Rng(c.seed);
    this.order = this.rng.shuffle(Int32Array.from({ length: data.n }, (_, i) => i)) as Int32Array;
    const lr =
      c.lrDecay === 'none'
        ? c.lr
        : makeSchedule({
            lr: c.lr,
            totalSteps: Math.max(1, c.steps),
            decay: 'cosine',
            decayStart: 0.5,
            finalFraction: 0.05,
          });
    this.optimizer = new Adam(model.params.trainable(), { lr });
  }

  /** The next minibatch [B, D] (reshuffling after each pass over the data). */
  nextBatch(): tf.Tensor2D {
    const { batchSize } = this.config;
    const idx = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      if (this.cursor >= this.order.length) {
        this.rng.shuffle(this.order);
        this.cursor = 0;
      }
      idx[i] = this.order[this.cursor++];
    }
    let rows = copyRows(this.data, idx);
    if (this.config.binarize === 'dynamic') rows = binarize(rows, this.rng);
    return tf.tensor2d(rows, [batchSize, this.data.dim]);
  }

  /**
   * One Adam step at step number `i`. Returns scalar tensors (the loop reads them back):
   * loss (the objective), negElbo and kl (batch means, nats), beta (the KL weight used).
   */
  step(i: number): { loss: tf.Scalar; negElbo: tf.Scalar; kl: tf.Scalar; beta: number } {
    const c = this.config;
    const beta = klWeight(i, c.beta, c.klWarmupSteps);
    const x = this.nextBatch();
    let negElbo: tf.Scalar | null = null;
    let kl: tf.Scalar | null = null;
    const { loss, grads } = this.model.params.gradients(() => {
      const r = elbo(
        this.model,
        x,
        { seed: c.seed, step: i },
        { samples: c.samples, beta, freeBits: c.freeBits, useKernels: c.useKernels },
      );
      negElbo = tf.keep(r.elboB.mean().neg() as tf.Scalar);
      kl = tf.keep(r.klB.mean() as tf.Scalar);
      return r.loss;
    });
    this.optimizer.step(grads);
    tf.dispose([x, ...Object.values(grads)]);
    return { loss, negElbo: negElbo!, kl: kl!, beta };
  }

  /** Runs `config.steps` steps (from `startStep`) with the core training loop. */
  run(
    options: {
      callbacks?: TrainCallbacks | TrainCallbacks[];
      shouldStop?: () => boolean;
      startStep?: number;
      history?: MetricHistory;
    } = {},
  ): Promise<MetricHistory> {
    return trainLoop({
      steps: this.config.steps,
      step: (i) => this.step(i),
      logEvery: this.config.logEvery,
      yieldEvery: 10,
      ...options,
    });
  }

  /** Frees the optimiser state (not the model). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

export interface VaeEvaluation {
  /** Mean negative ELBO, nats per example (1 sample, analytic KL). */
  negElbo: number;
  /** Mean negative IWAE bound -L_K, nats per example (NaN when iwaeK is 0). */
  negIwae: number;
  /** Mean KL(q(z|x) || p(z)), nats. */
  kl: number;
  /** Mean -E_q[log p(x|z)] (reconstruction term), nats. */
  recon: number;
  /** Examples evaluated. */
  n: number;
  /** K used for the IWAE bound. */
  iwaeK: number;
}

/**
 * Mean -ELBO and -IWAE(K) over a dataset (read back with `await`, batch by batch).
 * `data` must already be in the model's input space (binarise a test set once, with a fixed seed).
 */
export async function evaluateVae(
  model: Vae,
  data: ArrayDataset,
  {
    batchSize = 250,
    iwaeK = 0,
    iwaeExamples = data.n,
    seed = 1234,
    onProgress,
  }: {
    batchSize?: number;
    iwaeK?: number;
    iwaeExamples?: number;
    seed?: number;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<VaeEvaluation> {
  checkDataset('data', data);
  checkInt('batchSize', batchSize, 1);
  checkInt('iwaeK', iwaeK, 0);
  checkInt('iwaeExamples', iwaeExamples, 0, data.n);
  let sumElbo = 0,
    sumKl = 0,
    sumLogLik = 0,
    sumIwae = 0,
    nIwae = 0;
  for (let start = 0, b = 0; start < data.n; start += batchSize, b++) {
    const rows = Math.min(batchSize, data.n - start);
    const x = tf.tensor2d(data.x.subarray(start * data.dim, (start + rows) * data.dim), [rows, data.dim]);
    const r = elbo(model, x, { seed, step: b });
    const sums = tf.tidy(() => tf.stack([r.elboB.sum(), r.klB.sum(), r.logLikB.sum()]));
    const [e, k, l] = await sums.data();
    sumElbo += e;
    sumKl += k;
    sumLogLik += l;
    tf.dispose([sums, r.elboB, r.klB, r.logLikB, r.loss]);
    if (iwaeK > 0 && start < iwaeExamples) {
      const keep = Math.min(rows, iwaeExamples - start);
      const xi = keep === rows ? x : x.slice([0, 0], [keep, data.dim]);
      const bound = iwaeBound(model, xi, iwaeK, { seed: seed + 1, step: b });
      const s = tf.tidy(() => bound.sum());
      sumIwae += (await s.data())[0];
      nIwae += keep;
      tf.dispose([bound, s]);
      if (xi !== x) xi.dispose();
    }
    x.dispose();
    onProgress?.(start + rows, data.n);
  }
  return {
    negElbo: -sumElbo / data.n,
    negIwae: nIwae > 0 ? -sumIwae / nIwae : NaN,
    kl: sumKl / data.n,
    recon: -sumLogLik / data.n,
    n: data.n,
    iwaeK,
  };
}
