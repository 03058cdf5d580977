/**
 * One trainer for the whole SAE family: batches from an activation source, Adam with warm-up
 * and decay, the unit-norm decoder step, dead-latent tracking feeding AuxK, checkpoints and
 * progress callbacks (through the core `trainLoop`; the same shape as the VAE's trainer).
 *
 * One step (Gao et al. 2024, arXiv:2406.04093, Sec. 2 and A; Bricken et al. 2023):
 *   1. x ~ source, [B,D];  dead = latents that fired on none of the last `deadWindow` inputs
 *   2. L, grads = d/dparams sae.forward(x, {training, deadLatents}).loss
 *   3. g_W_dec,i <- g_W_dec,i - (g_W_dec,i . d_i) d_i        (no radial component)
 *   4. Adam step with lr(t): linear warm-up, then constant, then (default) linear decay over
 *      the last 20% (Gao et al. 2024, Sec. A.1)
 *   5. d_i <- d_i / ||d_i||
 * Reference learning rate: 2e-4 / sqrt(N / 2^14) (Gao et al. 2024 Sec. A.1; sparsify; dictionary_learning).
 *
 * Firing statistics stay on the device: per latent, the inputs seen since it last fired (float32,
 * exact below 2^24 inputs, monotone beyond). They are read back only every `logEvery` steps, next
 * to the metric read-back, to refresh the dead set that AuxK uses; a step never waits on the device.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError, checkInt, checkNumber, checkOneOf } from '../core/errors';
import { Adam, makeSchedule } from '../core/optim';
import {
  type MetricHistory,
  type RunOptions,
  type ScheduleOptions,
  type StepResult,
  type TrainCallbacks,
  type TrainState,
  isResumable,
  trainLoop,
} from '../core/train';
import { type ActivationSource, isPaired } from '../data/source';
import { withKernels } from '../../kernels/shared/js-kernel';
import type { DataInitOptions, SparseAutoencoder } from './base';
import { saeConfigOf } from './create';
import { firedCounts } from './latents';

/** Options of the trainer. */
export interface SaeTrainerConfig extends DataInitOptions, ScheduleOptions {
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
  /**
   * A latent is dead if it has not fired in this many inputs. Default min(10,000,000 (Gao et al. 2024;
   * sparsify), steps * batchSize / 5): the long-run window, scaled down so a short run measures it too.
   * Until that many inputs have passed, deadFraction reads NaN (not yet measured) and AuxK is off.
   */
  deadWindow?: number;
  /** Inputs drawn to initialise b_dec (and the input scale). Default 4096. 0 skips data initialisation. */
  initSamples?: number;
  /**
   * Read metrics (and refresh the dead set) every this many steps. Default 10. The metric record:
   * loss, l0 (mean active latents per input of the training latents: BatchTopK's is k by
   * construction, its `inferenceL0` metric counts ReLU(z) > theta, what evaluation sees), deadFraction
   * (NaN until `deadWindow` inputs), lr, every loss term of the SAE (mse, fvu, ...) and its metrics.
   */
  logEvery?: number;
  /** Progress callbacks (a progress bar, charts); `train({callbacks})` adds more. */
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

/** The trainer's own metrics; an architecture's loss term of the same name is reported as `<name>Term`. */
const OWN_METRICS = ['loss', 'l0', 'deadFraction', 'lr'];

/** Trains any SAE of the family on an activation source. */
export class SaeTrainer {
  readonly adam: Adam;
  readonly batchSize: number;
  readonly deadWindow: number;
  readonly logEvery: number;
  /** Inputs seen so far. */
  inputsSeen = 0;
  /** Steps taken so far. */
  stepsTaken = 0;
  /** Per latent, the inputs seen since it last fired [N] (on the device). */
  readonly idleN: tf.Variable;
  /** The dead set AuxK uses, as of the last refresh (every `logEvery` steps). */
  private deadM: Int32Array = new Int32Array(0);
  private initialised = false;

  constructor(
    readonly sae: SparseAutoencoder,
    readonly source: ActivationSource,
    readonly config: SaeTrainerConfig,
  ) {
    if (source.dim !== sae.dIn)
      throw new ConfigError('source', `dim ${source.dim} does not match the SAE's dIn ${sae.dIn}`);
    if (sae.predictsTarget && !isPaired(source)) {
      throw new ConfigError(
        'source',
        `a '${sae.architecture}' predicts a target: give (input, target) pairs (PairedActivationSource)`,
      );
    }
    const steps = checkInt('steps', config.steps, 0);
    this.batchSize = checkInt('batchSize', config.batchSize ?? 1024, 1);
    const scaledWindow = Math.max(this.batchSize, Math.floor((steps * this.batchSize) / 5));
    this.deadWindow = checkInt('deadWindow', config.deadWindow ?? Math.min(10_000_000, scaledWindow), 1);
    this.logEvery = checkInt('logEvery', config.logEvery ?? 10, 1);
    checkInt('initSamples', config.initSamples ?? 4096, 0);
    checkInt('checkpointEvery', config.checkpointEvery ?? 0, 0);
    const lr = checkNumber('lr', config.lr ?? referenceLearningRate(sae.nLatents), { min: 0, minOpen: true });
    const schedule = makeSchedule({
      lr,
      warmupSteps: config.warmupSteps ?? Math.min(1000, Math.floor(steps / 20)),
      totalSteps: Math.max(1, steps),
      decay: checkOneOf('decay', config.decay ?? 'linear', ['none', 'linear', 'cosine'] as const),
      decayStart: config.decayStart ?? 0.8,
      finalFraction: config.finalFraction ?? 0,
    });
    this.adam = new Adam(sae.params.trainable(), { lr: schedule });
    const zerosN = tf.zeros([sae.nLatents]);
    this.idleN = tf.variable(zerosN, false);
    zerosN.dispose();
  }

  /** Sets b_dec (and the input scale) from `initSamples` inputs; `train` calls it once. */
  async initialise(): Promise<void> {
    if (this.initialised) return;
    this.initialised = true;
    const m = this.config.initSamples ?? 4096;
    if (m === 0) return;
    const { inputs, targets } = this.nextRows(m);
    const sample = tf.tensor2d(inputs, [m, this.sae.dIn]);
    const targetSample = targets && tf.tensor2d(targets, [m, this.sae.dIn]);
    try {
      await this.sae.initFromData(sample, this.config, targetSample ?? undefined);
    } finally {
      tf.dispose([sample, ...(targetSample ? [targetSample] : [])]);
    }
  }

  /** Latents that fired on none of the last `deadWindow` inputs (none before that many inputs); reads the device. */
  async deadLatents(): Promise<Int32Array> {
    if (this.inputsSeen < this.deadWindow) return new Int32Array(0);
    const idle = await this.idleN.data();
    const out: number[] = [];
    for (let i = 0; i < idle.length; i++) if (idle[i] >= this.deadWindow) out.push(i);
    return Int32Array.from(out);
  }

  /** One optimisation step; returns the metric record as scalars (read back by the loop on log steps). */
  async step(): Promise<StepResult & Record<string, tf.Scalar | number>> {
    const { sae, batchSize: B } = this;
    if (this.stepsTaken % this.logEvery === 0 && sae.usesDeadLatents) this.deadM = await this.deadLatents();
    const dead = this.deadM;
    const { inputs, targets } = this.nextRows(B);
    const what = targets ? 'source.nextPairs' : 'source.nextBatch';
    const [xRows, yRows] = [this.checkedRows(what, inputs, B), targets && this.checkedRows(what, targets, B)];
    const xBD = tf.tensor2d(xRows, [B, sae.dIn]);
    // A transcoder's target (the MLP's output); an SAE's target is its input.
    const yBD = yRows && tf.tensor2d(yRows, [B, sae.dIn]);
    let firedN: tf.Tensor1D | null = null;
    const terms: Record<string, tf.Scalar> = {};
    const { loss, grads } = sae.params.gradients(() => {
      const out = sae.forward(xBD, { training: true, deadLatents: dead, ...(yBD ? { target: yBD } : {}) });
      firedN = tf.keep(firedCounts(out.latents, sae.nLatents));
      for (const [name, t] of Object.entries(out.losses)) {
        terms[OWN_METRICS.includes(name) ? `${name}Term` : name] = tf.keep(t);
      }
      for (const [name, t] of Object.entries(out.metrics)) terms[name] = tf.keep(t);
      return out.loss;
    });
    sae.constrainDecoderGrad(grads);
    withKernels(sae.useKernels, () => this.adam.step(grads)); // the SAE's switch covers its optimiser too
    for (const g of Object.values(grads)) g.dispose();
    sae.renormaliseDecoder();
    xBD.dispose();
    yBD?.dispose();
    const fired = firedN as unknown as tf.Tensor1D;
    // Firing statistics on the device: idle <- 0 where the latent fired, idle + B elsewhere.
    tf.tidy(() => this.idleN.assign(tf.where(fired.greater(0), tf.zerosLike(fired), this.idleN.add(B))));
    const l0 = tf.tidy(() => fired.sum().div(B) as tf.Scalar);
    fired.dispose();
    this.inputsSeen += B;
    this.stepsTaken += 1;
    return { loss, l0, ...terms, deadFraction: this.deadFraction(), lr: this.adam.lr };
  }

  /** The next B inputs, and their targets when the SAE predicts one (a transcoder: a paired source). */
  private nextRows(B: number): { inputs: Float32Array; targets: Float32Array | null } {
    if (!this.sae.predictsTarget) return { inputs: this.source.nextBatch(B), targets: null };
    if (!isPaired(this.source)) throw new ConfigError('source', 'must give (input, target) pairs');
    return this.source.nextPairs(B);
  }

  /**
   * Rows from the source, checked on the host before they are uploaded (no device sync):
   * a Float32Array of exactly B * D values, all finite. `what` names the source call.
   */
  private checkedRows(what: string, rows: Float32Array, B: number): Float32Array {
    const D = this.sae.dIn;
    if (!(rows instanceof Float32Array) || rows.length !== B * D) {
      const got = rows instanceof Float32Array ? `${rows.length} values` : String(rows);
      throw new InputError(what, `must return a Float32Array of ${B} x ${D} values, got ${got}`);
    }
    for (let i = 0; i < rows.length; i++) {
      if (!Number.isFinite(rows[i])) {
        throw new InputError(
          what,
          `returned ${rows[i]} at row ${Math.floor(i / D)}, column ${i % D} of step ${this.stepsTaken}'s batch`,
        );
      }
    }
    return rows;
  }

  /**
   * Fraction of latents idle for at least `deadWindow` inputs, on the device; NaN (not yet measured)
   * before that many inputs have been seen.
   */
  deadFraction(): tf.Scalar | number {
    if (this.inputsSeen < this.deadWindow) return Number.NaN;
    return tf.tidy(() => this.idleN.greaterEqual(this.deadWindow).cast('float32').mean() as tf.Scalar);
  }

  /**
   * The full training state: parameters (`param/<name>`), Adam's moments (`adam/m/<name>`,
   * `adam/v/<name>`), the firing statistics (`idle`), the architecture's state, and as JSON the
   * step, Adam's t (the schedule's position), inputs seen, the dead set, the data position and
   * the model's config. The caller disposes the tensors (copies). Save it with `saveCheckpoint`.
   */
  getState(): TrainState {
    if (!isResumable(this.source)) {
      throw new ConfigError('source', 'cannot report its position (getState/setState): this run cannot be resumed');
    }
    const tensors: Record<string, tf.Tensor> = {};
    for (const name of this.sae.params.names()) tensors[`param/${name}`] = this.sae.params.get(name).clone();
    const adam = this.adam.getState();
    for (const [name, t] of Object.entries(adam.tensors)) tensors[`adam/${name}`] = t;
    tensors.idle = this.idleN.clone();
    const model = this.sae.trainingState();
    for (const [name, t] of Object.entries(model.tensors)) tensors[`model/${name}`] = t;
    const config = {
      kind: 'sae-trainer',
      sae: saeConfigOf(this.sae),
      steps: this.config.steps,
      batchSize: this.batchSize,
      stepsTaken: this.stepsTaken,
      inputsSeen: this.inputsSeen,
      adamT: adam.t,
      deadLatents: Array.from(this.deadM),
      model: model.json,
      source: this.source.getState(),
    };
    return { config, tensors };
  }

  /**
   * Restores `getState()` into this trainer, its SAE and its source (built with the same configs):
   * the run then continues exactly where it stopped. Data initialisation does not run again.
   */
  loadState(state: TrainState): void {
    const c = state.config;
    if (c.kind !== 'sae-trainer') throw new InputError('state.kind', `must be 'sae-trainer', got ${String(c.kind)}`);
    if (!isResumable(this.source)) throw new ConfigError('source', 'cannot restore its position (getState/setState)');
    if (JSON.stringify(c.sae) !== JSON.stringify(saeConfigOf(this.sae))) {
      throw new InputError(
        'state.sae',
        `was saved from ${JSON.stringify(c.sae)}, this SAE is ${JSON.stringify(saeConfigOf(this.sae))}`,
      );
    }
    if (c.batchSize !== this.batchSize)
      throw new InputError('state.batchSize', `is ${c.batchSize}, the trainer's ${this.batchSize}`);
    const params: Record<string, tf.Tensor> = {};
    for (const name of this.sae.params.names()) {
      const t = state.tensors[`param/${name}`];
      if (!t) throw new InputError('state', `has no parameter '${name}'`);
      params[name] = t;
    }
    const adam: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(state.tensors)) if (name.startsWith('adam/')) adam[name.slice(5)] = t;
    const model: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(state.tensors)) if (name.startsWith('model/')) model[name.slice(6)] = t;
    if (!state.tensors.idle) throw new InputError('state', 'has no firing statistics (idle)');
    this.sae.params.assign(params);
    this.adam.setState({ t: c.adamT as number, tensors: adam });
    this.idleN.assign(state.tensors.idle);
    this.sae.loadTrainingState(c.model as Record<string, unknown>, model);
    this.source.setState(c.source);
    this.stepsTaken = checkInt('state.stepsTaken', c.stepsTaken as number, 0);
    this.inputsSeen = checkInt('state.inputsSeen', c.inputsSeen as number, 0);
    this.deadM = Int32Array.from(c.deadLatents as number[]);
    this.initialised = true; // b_dec from data would change the loaded weights
  }

  /** Runs the steps left until `config.steps` with progress callbacks and checkpoints; returns the metric history. */
  async train(options: RunOptions = {}): Promise<MetricHistory> {
    await this.initialise();
    const every = this.config.checkpointEvery ?? 0;
    const callbacks = ([] as TrainCallbacks[]).concat(this.config.callbacks ?? [], options.callbacks ?? []);
    return trainLoop({
      steps: Math.max(0, this.config.steps - this.stepsTaken),
      startStep: this.stepsTaken,
      logEvery: this.logEvery,
      callbacks,
      shouldStop: options.shouldStop ?? this.config.shouldStop,
      step: async () => {
        const metrics = await this.step();
        if (every > 0 && this.stepsTaken % every === 0) await this.config.onCheckpoint?.(this.stepsTaken, this.sae);
        return metrics;
      },
    });
  }

  /** Frees the optimiser state and the firing statistics (not the SAE). */
  dispose(): void {
    this.adam.dispose();
    this.idleN.dispose();
  }
}
