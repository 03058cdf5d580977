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
  type BatchSource,
  ConfigError,
  type MetricHistory,
  InputError,
  type RunOptions,
  type TrainCallbacks,
  type TrainState,
  isResumable,
  checkInt,
  checkNumber,
  checkOneOf,
  makeSchedule,
  trainLoop,
} from '../core';
import { withKernels } from '../../kernels/shared/js-kernel';
import { type ArrayDataset, DatasetSource, checkDataset } from './dataset';
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
  /** Linear warm-up steps of the learning rate (default 0). */
  warmupSteps: number;
  /** Learning-rate decay after `decayStart` (default 'none'; the shared schedule, core/optim.ts). */
  decay: 'none' | 'linear' | 'cosine';
  /** Fraction of the run after which the decay starts (default 0.5: the last half). */
  decayStart: number;
  /** Learning rate at the end of the decay, as a fraction of lr (default 0.05). */
  finalFraction: number;
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
  /** The one switch: fused kernels (true) or every op's reference.ts (false); the same eps either way. */
  useKernels: boolean;
  /** Progress callbacks (a progress bar, charts); `train({callbacks})` adds more. */
  callbacks?: TrainCallbacks | TrainCallbacks[];
  /** Polled before every step; true stops the run. */
  shouldStop?(): boolean;
}

export const DEFAULT_TRAIN_CONFIG: VaeTrainConfig = {
  batchSize: 128,
  steps: 1000,
  lr: 1e-3,
  warmupSteps: 0,
  decay: 'none',
  decayStart: 0.5,
  finalFraction: 0.05,
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
  checkOneOf('decay', c.decay, ['none', 'linear', 'cosine'] as const);
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
 * Holds a model, its optimiser and its batch source; the same shape as `SaeTrainer`
 * (core/train.ts `Trainer`): `step()` is one update (usable from a browser panel's own loop),
 * `train()` drives it with the core `trainLoop`, `dispose()` frees the optimiser.
 */
export class VaeTrainer {
  readonly config: VaeTrainConfig;
  readonly optimizer: Adam;
  /** The batch source: the dataset shuffled (and binarised per batch) by `DatasetSource`, or the caller's. */
  readonly source: BatchSource;
  /** Steps taken so far (the step number of eps and the KL warm-up). */
  stepsTaken = 0;

  /** @param data an in-memory dataset (shuffled by `DatasetSource` with the config's seed) or any batch source */
  constructor(
    readonly model: Vae,
    data: ArrayDataset | BatchSource,
    config: Partial<VaeTrainConfig> = {},
  ) {
    this.config = resolveTrainConfig(config);
    const c = this.config;
    if ('nextBatch' in data) {
      checkInt('data.dim', data.dim, 1);
      this.source = data;
    } else {
      checkDataset('data', data);
      this.source = new DatasetSource(data, { seed: c.seed, binarize: c.binarize });
    }
    if (this.source.dim !== model.config.inputDim) {
      throw new ConfigError('data.dim', `is ${this.source.dim} but the model's inputDim is ${model.config.inputDim}`);
    }
    const lr =
      c.decay === 'none' && c.warmupSteps === 0
        ? c.lr
        : makeSchedule({
            lr: c.lr,
            warmupSteps: c.warmupSteps,
            totalSteps: Math.max(1, c.steps),
            decay: c.decay,
            decayStart: c.decayStart,
            finalFraction: c.finalFraction,
          });
    this.optimizer = new Adam(model.params.trainable(), { lr });
  }

  /** The next minibatch [B, D] from the source. */
  nextBatch(): tf.Tensor2D {
    const { batchSize } = this.config;
    return tf.tensor2d(this.source.nextBatch(batchSize), [batchSize, this.source.dim]);
  }

  /**
   * One Adam step (at step number `i`, default the next). Returns the metric record as scalar
   * tensors (the loop reads them back): loss (the objective), negElbo and kl (batch means, nats),
   * beta (the KL weight used), lr (the next step's learning rate).
   */
  step(i = this.stepsTaken): { loss: tf.Scalar; negElbo: tf.Scalar; kl: tf.Scalar; beta: number; lr: number } {
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
    withKernels(c.useKernels, () => this.optimizer.step(grads));
    tf.dispose([x, ...Object.values(grads)]);
    this.stepsTaken = i + 1;
    return { loss, negElbo: negElbo!, kl: kl!, beta, lr: this.optimizer.lr };
  }

  /**
   * The full training state: parameters (`param/<name>`), Adam's moments (`adam/m/<name>`,
   * `adam/v/<name>`), and as JSON the step, Adam's t (the schedule's position), the data position
   * (order, cursor and the generator that also binarises) and the model's config; eps is keyed by
   * (seed, step), so the step is its whole state. The caller disposes the tensors (copies).
   */
  getState(): TrainState {
    if (!isResumable(this.source)) {
      throw new ConfigError('source', 'cannot report its position (getState/setState): this run cannot be resumed');
    }
    const tensors: Record<string, tf.Tensor> = {};
    for (const name of this.model.params.names()) tensors[`param/${name}`] = this.model.params.get(name).clone();
    const adam = this.optimizer.getState();
    for (const [name, t] of Object.entries(adam.tensors)) tensors[`adam/${name}`] = t;
    const config = {
      kind: 'vae-trainer',
      model: this.model.config,
      seed: this.config.seed,
      batchSize: this.config.batchSize,
      stepsTaken: this.stepsTaken,
      adamT: adam.t,
      source: this.source.getState(),
    };
    return { config, tensors };
  }

  /** Restores `getState()` into this trainer, its model and its source (built with the same configs). */
  loadState(state: TrainState): void {
    const c = state.config;
    if (c.kind !== 'vae-trainer') throw new InputError('state.kind', `must be 'vae-trainer', got ${String(c.kind)}`);
    if (!isResumable(this.source)) throw new ConfigError('source', 'cannot restore its position (getState/setState)');
    if (JSON.stringify(c.model) !== JSON.stringify(this.model.config)) {
      throw new InputError('state.model', 'was saved from another model config');
    }
    for (const key of ['seed', 'batchSize'] as const) {
      if (c[key] !== this.config[key])
        throw new InputError(`state.${key}`, `is ${c[key]}, the trainer's ${this.config[key]}`);
    }
    const params: Record<string, tf.Tensor> = {};
    for (const name of this.model.params.names()) {
      const t = state.tensors[`param/${name}`];
      if (!t) throw new InputError('state', `has no parameter '${name}'`);
      params[name] = t;
    }
    const adam: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(state.tensors)) if (name.startsWith('adam/')) adam[name.slice(5)] = t;
    this.model.params.assign(params);
    this.optimizer.setState({ t: c.adamT as number, tensors: adam });
    this.source.setState(c.source);
    this.stepsTaken = checkInt('state.stepsTaken', c.stepsTaken as number, 0);
  }

  /** Runs the steps left until `config.steps` with the core training loop; returns the metric history. */
  train(options: RunOptions & { history?: MetricHistory } = {}): Promise<MetricHistory> {
    const callbacks = ([] as TrainCallbacks[]).concat(this.config.callbacks ?? [], options.callbacks ?? []);
    return trainLoop({
      steps: Math.max(0, this.config.steps - this.stepsTaken),
      step: (i) => this.step(i),
      logEvery: this.config.logEvery,
      yieldEvery: 10,
      callbacks,
      shouldStop: options.shouldStop ?? this.config.shouldStop,
      startStep: this.stepsTaken,
      history: options.history,
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
