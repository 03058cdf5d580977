/**
 * One trainer for the whole SAE family: batches from an activation source, Adam with warm-up
 * and decay, the unit-norm decoder step, dead-latent tracking feeding AuxK, checkpoints and
 * progress callbacks (through the core `trainLoop`).
 *
 * One step (Gao et al. 2024, arXiv:2406.04093, Sec. 2 and A; Bricken et al. 2023):
 *   1. x ~ source, [B,D];  dead = latents that fired on none of the last `deadWindow` inputs
 *   2. L, grads = d/dparams sae.forward(x, {training, deadLatents}).loss
 *   3. g_W_dec,i <- g_W_dec,i - (g_W_dec,i . d_i) d_i        (no radial component)
 *   4. Adam step with lr(t): linear warm-up, then constant, then (default) linear decay over
 *      the last 20% (Gao et al. 2024, Sec. A.1)
 *   5. d_i <- d_i / ||d_i||
 * Reference learning rate: 2e-4 / sqrt(N / 2^14) (Gao et al. 2024 Sec. A.1; sparsify; dictionary_learning).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, checkInt, checkNumber } from '../core/errors';
import { Adam, makeSchedule } from '../core/optim';
import { type MetricHistory, type TrainCallbacks, trainLoop } from '../core/train';
import type { ActivationSource } from '../data/source';
import { type DataInitOptions, type SparseAutoencoder, firedCounts } from './base';

/** Options of the trainer. */
export interface SaeTrainerConfig extends DataInitOptions {
  /** Optimisation steps. */
  steps: number;
  /** Inputs per step. Default 1024. */
  batchSize?: number;
  /** Peak learning rate. Default 2e-4 / sqrt(N / 2^14) (Gao et al. 2024). */
  lr?: number;
  /** Linear warm-up steps. Default min(1000, steps / 20). */
  warmupSteps?: number;
  /** Learning-rate decay after `decayStart`. Default 'linear'. */
  decay?: 'none' | 'linear' | 'cosine';
  /** Fraction of the run after which the decay starts. Default 0.8 (Gao et al. 2024). */
  decayStart?: number;
  /** A latent is dead if it has not fired in this many inputs. Default 10,000,000 (Gao et al. 2024; sparsify). */
  deadWindow?: number;
  /** Inputs drawn to initialise b_dec (and the input scale). Default 4096. 0 skips data initialisation. */
  initSamples?: number;
  /** Read metrics every this many steps. Default 10. */
  logEvery?: number;
  /** Progress callbacks (a progress bar, charts). */
  callbacks?: TrainCallbacks | TrainCallbacks[];
  /** Polled before every step; true stops the run. */
  shouldStop?(): boolean;
  /** Call `onCheckpoint` every this many steps (0: never). Default 0. */
  checkpointEvery?: number;
  /** Saves a checkpoint (Node: `saveSaeLens` from `sae/node`). */
  onCheckpoint?(step: number, sae: SparseAutoencoder): void | Promise<void>;
}

/** The reference learning rate 2e-4 / sqrt(N / 2^14) for N latents. */
export function referenceLearningRate(nLatents: number): number {
  return 2e-4 / Math.sqrt(nLatents / 2 ** 14);
}

/** Trains any SAE of the family on an activation source. */
export class SaeTrainer {
  readonly adam: Adam;
  readonly batchSize: number;
  readonly deadWindow: number;
  /** Inputs seen so far. */
  inputsSeen = 0;
  /** Steps taken so far. */
  stepsTaken = 0;
  /** Per latent, the number of inputs seen when it last fired. */
  readonly lastFired: Float64Array;
  private initialised = false;

  constructor(
    readonly sae: SparseAutoencoder,
    readonly source: ActivationSource,
    readonly config: SaeTrainerConfig,
  ) {
    if (source.dim !== sae.dIn)
      throw new ConfigError('source', `dim ${source.dim} does not match the SAE's dIn ${sae.dIn}`);
    const steps = checkInt('steps', config.steps, 0);
    this.batchSize = checkInt('batchSize', config.batchSize ?? 1024, 1);
    this.deadWindow = checkInt('deadWindow', config.deadWindow ?? 10_000_000, 1);
    checkInt('initSamples', config.initSamples ?? 4096, 0);
    checkInt('checkpointEvery', config.checkpointEvery ?? 0, 0);
    const lr = checkNumber('lr', config.lr ?? referenceLearningRate(sae.nLatents), { min: 0, minOpen: true });
    const schedule = makeSchedule({
      lr,
      warmupSteps: config.warmupSteps ?? Math.min(1000, Math.floor(steps / 20)),
      totalSteps: Math.max(1, steps),
      decay: config.decay ?? 'linear',
      decayStart: config.decayStart ?? 0.8,
    });
    this.adam = new Adam(sae.params.trainable(), { lr: schedule });
    this.lastFired = new Float64Array(sae.nLatents);
  }

  /** Sets b_dec (and the input scale) from `initSamples` inputs; `train` calls it once. */
  async initialise(): Promise<void> {
    if (this.initialised) return;
    this.initialised = true;
    const m = this.config.initSamples ?? 4096;
    if (m === 0) return;
    const sample = tf.tensor2d(this.source.nextBatch(m), [m, this.sae.dIn]);
    await this.sae.initFromData(sample, this.config);
    sample.dispose();
  }

  /** Latents that fired on none of the last `deadWindow` inputs (none before that many inputs). */
  deadLatents(): Int32Array {
    const out: number[] = [];
    if (this.inputsSeen >= this.deadWindow) {
      for (let i = 0; i < this.lastFired.length; i++)
        if (this.inputsSeen - this.lastFired[i] >= this.deadWindow) out.push(i);
    }
    return Int32Array.from(out);
  }

  /** One optimisation step; returns the loss terms as scalars (read back by the loop on log steps). */
  async step(): Promise<Record<string, tf.Scalar | number>> {
    const { sae, batchSize: B } = this;
    const xBD = tf.tensor2d(this.source.nextBatch(B), [B, sae.dIn]);
    const dead = this.deadLatents();
    let firedN: tf.Tensor1D | null = null;
    const kept: Record<string, tf.Scalar> = {};
    const { loss, grads } = sae.params.gradients(() => {
      const out = sae.forward(xBD, { training: true, deadLatents: dead });
      firedN = tf.keep(firedCounts(out.latents, sae.nLatents));
      for (const [name, t] of Object.entries(out.losses)) kept[name] = tf.keep(t);
      return out.loss;
    });
    sae.constrainDecoderGrad(grads);
    this.adam.step(grads);
    for (const g of Object.values(grads)) g.dispose();
    sae.renormaliseDecoder();
    xBD.dispose();
    // Dead-latent bookkeeping in JS: one [N] read-back per step.
    const fired = await firedN!.data();
    let active = 0;
    this.inputsSeen += B;
    for (let i = 0; i < fired.length; i++) {
      if (fired[i] > 0) this.lastFired[i] = this.inputsSeen;
      active += fired[i];
    }
    firedN!.dispose();
    this.stepsTaken += 1;
    // JumpReLU reports its own `l0` loss term (the same count); the others get it from the read-back.
    return { loss, l0: active / B, ...kept, deadFraction: dead.length / sae.nLatents, lr: this.adam.lr };
  }

  /** Runs `config.steps` steps with progress callbacks and checkpoints; returns the metric history. */
  async train(): Promise<MetricHistory> {
    await this.initialise();
    const every = this.config.checkpointEvery ?? 0;
    return trainLoop({
      steps: this.config.steps,
      logEvery: this.config.logEvery ?? 10,
      callbacks: this.config.callbacks,
      shouldStop: this.config.shouldStop,
      step: async () => {
        const metrics = await this.step();
        if (every > 0 && this.stepsTaken % every === 0) await this.config.onCheckpoint?.(this.stepsTaken, this.sae);
        return metrics;
      },
    });
  }

  /** Frees the optimiser state (not the SAE). */
  dispose(): void {
    this.adam.dispose();
  }
}
