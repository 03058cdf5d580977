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
 * A stack: the trainer takes one SAE or S of them (same architecture and shape; differing in what
 * their configs say: seed, k, ...). All of them see every batch, in one gradient tape over
 * sum_s L_s; since their parameters are disjoint, each member's gradients, Adam moments, dead set
 * and metrics are exactly those of a run of its own (tests/sae/stacked.test.ts). A stack of plain
 * TopK SAEs runs its forward and backward in one pass (topk-stack.ts: one encoder call, one decode
 * call and one set of loss reductions for all members); other architectures run the template
 * forward member by member inside the tape. Every stack shares the batch (drawn, checked and
 * uploaded once), the tape and the loop; the optimiser step and the firing statistics are per member.
 *
 * Firing statistics stay on the device: per latent, the inputs seen since it last fired (float32,
 * exact below 2^24 inputs, monotone beyond). They are read back only every `logEvery` steps, next
 * to the metric read-back, to refresh the dead set that AuxK uses; a step never waits on the device.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError, checkInt, checkNumber, checkOneOf } from '../base/errors';
import { Adam, type Schedule, makeSchedule } from '../core/optim';
import {
  type MetricHistory,
  type Metrics,
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
import { type MemberPass, topkStackForward, trainsInOnePass } from './topk-stack';

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
  /** Saves a checkpoint (Node: `saveSaeLens` from `sae/node`); called for each SAE of a stack, `member` its index. */
  onCheckpoint?(step: number, sae: SparseAutoencoder, member: number): void | Promise<void>;
}

/** The reference learning rate 2e-4 / sqrt(N / 2^14) for N latents. */
export function referenceLearningRate(nLatents: number): number {
  return 2e-4 / Math.sqrt(nLatents / 2 ** 14);
}

/** The trainer's own metrics; an architecture's loss term of the same name is reported as `<name>Term`. */
const OWN_METRICS = ['loss', 'l0', 'deadFraction', 'lr'];

/**
 * One SAE of the trained stack and what is its own: Adam's moments, the firing statistics
 * (per latent, the inputs seen since it last fired [N], on the device) and the dead set AuxK
 * uses (as of the last refresh, every `logEvery` steps).
 */
export class StackMember {
  readonly adam: Adam;
  readonly idleN: tf.Variable;
  deadM: Int32Array = new Int32Array(0);

  constructor(
    readonly sae: SparseAutoencoder,
    schedule: Schedule,
  ) {
    this.adam = new Adam(sae.params.trainable(), { lr: schedule });
    const zerosN = tf.zeros([sae.nLatents]);
    this.idleN = tf.variable(zerosN, false);
    zerosN.dispose();
  }

  dispose(): void {
    this.adam.dispose();
    this.idleN.dispose();
  }
}

/**
 * Member i's metric record out of a stack's (`loss/0`, `l0/0`, ... -> `loss`, `l0`, ...; `lr` is
 * shared). A single SAE's record is returned as it is.
 */
export function memberMetrics(metrics: Metrics, member: number): Metrics {
  const suffix = `/${member}`;
  const own = Object.entries(metrics).filter(([name]) => name.endsWith(suffix));
  if (own.length === 0) return { ...metrics };
  const out: Metrics = Object.fromEntries(own.map(([name, v]) => [name.slice(0, -suffix.length), v]));
  out.lr = metrics.lr;
  return out;
}

/** Trains any SAE of the family, or a stack of S SAEs of one architecture and shape, on an activation source. */
export class SaeTrainer {
  readonly batchSize: number;
  readonly deadWindow: number;
  readonly logEvery: number;
  /** The SAEs trained (one, or a stack), each with its own optimiser and statistics. */
  readonly members: readonly StackMember[];
  /** Inputs seen so far (by every member). */
  inputsSeen = 0;
  /** Steps taken so far. */
  stepsTaken = 0;
  private initialised = false;

  constructor(
    sae: SparseAutoencoder | readonly SparseAutoencoder[],
    readonly source: ActivationSource,
    readonly config: SaeTrainerConfig,
  ) {
    const saes = checkStack(sae);
    const { dIn, nLatents } = saes[0];
    if (source.dim !== dIn) throw new ConfigError('source', `dim ${source.dim} does not match the SAE's dIn ${dIn}`);
    if (saes[0].predictsTarget && !isPaired(source)) {
      throw new ConfigError(
        'source',
        `a '${saes[0].architecture}' predicts a target: give (input, target) pairs (PairedActivationSource)`,
      );
    }
    const steps = checkInt('steps', config.steps, 0);
    this.batchSize = checkInt('batchSize', config.batchSize ?? 1024, 1);
    const scaledWindow = Math.max(this.batchSize, Math.floor((steps * this.batchSize) / 5));
    this.deadWindow = checkInt('deadWindow', config.deadWindow ?? Math.min(10_000_000, scaledWindow), 1);
    this.logEvery = checkInt('logEvery', config.logEvery ?? 10, 1);
    checkInt('initSamples', config.initSamples ?? 4096, 0);
    checkInt('checkpointEvery', config.checkpointEvery ?? 0, 0);
    const lr = checkNumber('lr', config.lr ?? referenceLearningRate(nLatents), { min: 0, minOpen: true });
    const schedule = makeSchedule({
      lr,
      warmupSteps: config.warmupSteps ?? Math.min(1000, Math.floor(steps / 20)),
      totalSteps: Math.max(1, steps),
      decay: checkOneOf('decay', config.decay ?? 'linear', ['none', 'linear', 'cosine'] as const),
      decayStart: config.decayStart ?? 0.8,
      finalFraction: config.finalFraction ?? 0,
    });
    this.members = saes.map((s) => new StackMember(s, schedule));
  }

  /** The SAEs trained, in order. */
  get saes(): SparseAutoencoder[] {
    return this.members.map((m) => m.sae);
  }

  /** The one SAE of a single-SAE trainer (a stack: use `saes` or `members`). */
  get sae(): SparseAutoencoder {
    return this.single('sae').sae;
  }

  /** The one SAE's optimiser (a stack: `members[i].adam`). */
  get adam(): Adam {
    return this.single('adam').adam;
  }

  /** The one SAE's firing statistics [N] (a stack: `members[i].idleN`). */
  get idleN(): tf.Variable {
    return this.single('idleN').idleN;
  }

  private single(what: string): StackMember {
    if (this.members.length !== 1) {
      throw new ConfigError(what, `is per SAE and this trainer holds ${this.members.length}: use members[i].${what}`);
    }
    return this.members[0];
  }

  /** Member i (member 0 by default; a stack must say which). */
  private member(i: number | undefined, what: string): StackMember {
    if (i === undefined) return this.single(what);
    checkInt('member', i, 0, this.members.length - 1);
    return this.members[i];
  }

  /** Sets b_dec (and the input scale) of every SAE from the same `initSamples` inputs; `train` calls it once. */
  async initialise(): Promise<void> {
    if (this.initialised) return;
    this.initialised = true;
    const m = this.config.initSamples ?? 4096;
    if (m === 0) return;
    const { inputs, targets } = this.nextRows(m);
    const sample = tf.tensor2d(inputs, [m, this.members[0].sae.dIn]);
    const targetSample = targets && tf.tensor2d(targets, [m, this.members[0].sae.dIn]);
    try {
      for (const { sae } of this.members) await sae.initFromData(sample, this.config, targetSample ?? undefined);
    } finally {
      tf.dispose([sample, ...(targetSample ? [targetSample] : [])]);
    }
  }

  /**
   * Latents that fired on none of the last `deadWindow` inputs (none before that many inputs); reads
   * the device. `member`: which SAE of a stack.
   */
  async deadLatents(member?: number): Promise<Int32Array> {
    const { idleN } = this.member(member, 'deadLatents');
    if (this.inputsSeen < this.deadWindow) return new Int32Array(0);
    const idle = await idleN.data();
    const out: number[] = [];
    for (let i = 0; i < idle.length; i++) if (idle[i] >= this.deadWindow) out.push(i);
    return Int32Array.from(out);
  }

  /**
   * One optimisation step of every SAE on one batch; returns the metric record as scalars (read back
   * by the loop on log steps). A stack's record names each SAE's metrics `<name>/<i>` (`memberMetrics`
   * takes one out), its `loss` is the members' mean.
   */
  async step(): Promise<StepResult & Record<string, tf.Scalar | number>> {
    const { batchSize: B, members } = this;
    if (this.stepsTaken % this.logEvery === 0) {
      for (const [i, m] of members.entries()) if (m.sae.usesDeadLatents) m.deadM = await this.deadLatents(i);
    }
    const { inputs, targets } = this.nextRows(B);
    const what = targets ? 'source.nextPairs' : 'source.nextBatch';
    const [xRows, yRows] = [this.checkedRows(what, inputs, B), targets && this.checkedRows(what, targets, B)];
    const xBD = tf.tensor2d(xRows, [B, members[0].sae.dIn]);
    // A transcoder's target (the MLP's output); an SAE's target is its input.
    const yBD = yRows && tf.tensor2d(yRows, [B, members[0].sae.dIn]);
    const targetOption = yBD ? { target: yBD } : {};
    const passes: MemberPass[] = [];
    const variables = members.flatMap((m) => Object.values(m.sae.params.trainable()));
    const saes = members.map((m) => m.sae);
    // One tape over sum_s L_s: the members share no parameter, so each gets its own gradients.
    const tape = () =>
      tf.variableGrads(() => {
        if (trainsInOnePass(saes)) {
          const deads = members.map((m) => m.deadM);
          for (const pass of topkStackForward(saes, xBD, deads)) passes.push(keepPass(pass));
        } else {
          for (const { sae, deadM } of members) {
            const out = sae.forward(xBD, { training: true, deadLatents: deadM, ...targetOption });
            const terms = { ...out.losses, ...out.metrics };
            const firedN = firedCounts(out.latents, sae.nLatents);
            passes.push(keepPass({ loss: out.loss, terms, firedN }));
          }
        }
        const losses = passes.map((p) => p.loss);
        return losses.length === 1 ? losses[0] : (tf.addN(losses) as tf.Scalar);
      }, variables);
    let taped: ReturnType<typeof tape>;
    try {
      taped = tape();
    } catch (e) {
      for (const p of passes) tf.dispose([p.loss, p.firedN, ...Object.values(p.terms)]);
      tf.dispose([xBD, ...(yBD ? [yBD] : [])]);
      throw e;
    }
    const { value, grads } = taped;
    xBD.dispose();
    yBD?.dispose();
    this.inputsSeen += B;
    this.stepsTaken += 1;
    const record: Record<string, tf.Scalar | number> = {};
    const lr = members[0].adam.lr;
    for (const [i, m] of members.entries()) {
      const { sae } = m;
      const own: Record<string, tf.Tensor> = {};
      for (const [name, v] of Object.entries(sae.params.trainable())) if (grads[v.name]) own[name] = grads[v.name];
      sae.constrainDecoderGrad(own);
      withKernels(sae.useKernels, () => m.adam.step(own)); // the SAE's switch covers its optimiser too
      for (const g of Object.values(own)) g.dispose();
      sae.renormaliseDecoder();
      const { firedN: fired, terms, loss } = passes[i];
      // Firing statistics on the device: idle <- 0 where the latent fired, idle + B elsewhere.
      tf.tidy(() => m.idleN.assign(tf.where(fired.greater(0), tf.zerosLike(fired), m.idleN.add(B))));
      const l0 = tf.tidy(() => fired.sum().div(B) as tf.Scalar);
      fired.dispose();
      const named: Record<string, tf.Scalar> = {};
      for (const [name, t] of Object.entries(terms)) named[OWN_METRICS.includes(name) ? `${name}Term` : name] = t;
      const metrics = {
        loss: members.length === 1 ? value : loss, // one SAE: its loss is the tape's value
        l0,
        ...named,
        deadFraction: this.deadFractionOf(m),
      };
      const suffix = members.length === 1 ? '' : `/${i}`;
      for (const [name, t] of Object.entries(metrics)) record[name + suffix] = t;
    }
    if (members.length > 1) record.loss = tf.tidy(() => value.div(members.length) as tf.Scalar);
    if (members.length > 1) value.dispose();
    return { ...record, lr } as StepResult & Record<string, tf.Scalar | number>;
  }

  /** The next B inputs, and their targets when the SAEs predict one (transcoders: a paired source). */
  private nextRows(B: number): { inputs: Float32Array; targets: Float32Array | null } {
    if (!this.members[0].sae.predictsTarget) return { inputs: this.source.nextBatch(B), targets: null };
    if (!isPaired(this.source)) throw new ConfigError('source', 'must give (input, target) pairs');
    return this.source.nextPairs(B);
  }

  /**
   * Rows from the source, checked on the host before they are uploaded (no device sync):
   * a Float32Array of exactly B * D values, all finite. `what` names the source call.
   */
  private checkedRows(what: string, rows: Float32Array, B: number): Float32Array {
    const D = this.members[0].sae.dIn;
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
   * before that many inputs have been seen. `member`: which SAE of a stack.
   */
  deadFraction(member?: number): tf.Scalar | number {
    return this.deadFractionOf(this.member(member, 'deadFraction'));
  }

  private deadFractionOf({ idleN }: StackMember): tf.Scalar | number {
    if (this.inputsSeen < this.deadWindow) return Number.NaN;
    return tf.tidy(() => idleN.greaterEqual(this.deadWindow).cast('float32').mean() as tf.Scalar);
  }

  /**
   * The full training state of one SAE: parameters (`param/<name>`), Adam's moments (`adam/m/<name>`,
   * `adam/v/<name>`), the firing statistics (`idle`), the architecture's state, and as JSON the
   * step, Adam's t (the schedule's position), inputs seen, the dead set, the data position and
   * the model's config. The caller disposes the tensors (copies). Save it with `saveCheckpoint`.
   * `member`: which SAE of a stack; its state is the one a run of that SAE alone would have, and
   * resumes as one.
   */
  getState(member?: number): TrainState {
    const m = this.member(member, 'getState');
    if (!isResumable(this.source)) {
      throw new ConfigError('source', 'cannot report its position (getState/setState): this run cannot be resumed');
    }
    const { sae } = m;
    const tensors: Record<string, tf.Tensor> = {};
    for (const name of sae.params.names()) tensors[`param/${name}`] = sae.params.get(name).clone();
    const adam = m.adam.getState();
    for (const [name, t] of Object.entries(adam.tensors)) tensors[`adam/${name}`] = t;
    tensors.idle = m.idleN.clone();
    const model = sae.trainingState();
    for (const [name, t] of Object.entries(model.tensors)) tensors[`model/${name}`] = t;
    const config = {
      kind: 'sae-trainer',
      sae: saeConfigOf(sae),
      steps: this.config.steps,
      batchSize: this.batchSize,
      stepsTaken: this.stepsTaken,
      inputsSeen: this.inputsSeen,
      adamT: adam.t,
      deadLatents: Array.from(m.deadM),
      model: model.json,
      source: this.source.getState(),
    };
    return { config, tensors };
  }

  /**
   * Restores `getState()` into this trainer, its SAE and its source (built with the same configs):
   * the run then continues exactly where it stopped. Data initialisation does not run again.
   * A stack takes one state per SAE, in order, all saved at the same step from the same data position.
   * Every state is checked before anything is assigned.
   */
  loadState(state: TrainState | readonly TrainState[]): void {
    const states = Array.isArray(state) ? (state as readonly TrainState[]) : [state as TrainState];
    if (states.length !== this.members.length) {
      throw new InputError('state', `holds ${states.length} SAE state(s), the trainer ${this.members.length} SAE(s)`);
    }
    if (!isResumable(this.source)) throw new ConfigError('source', 'cannot restore its position (getState/setState)');
    const loaded = states.map((st, i) => this.checkedState(this.members[i], st, i));
    const first = states[0].config;
    for (const [i, st] of states.entries()) {
      for (const key of ['stepsTaken', 'inputsSeen', 'source'] as const) {
        if (JSON.stringify(st.config[key]) !== JSON.stringify(first[key])) {
          throw new InputError(`state[${i}].${key}`, `differs from state[0]'s: the states were not saved together`);
        }
      }
    }
    for (const [i, { params, adam, model }] of loaded.entries()) {
      const m = this.members[i];
      const c = states[i].config;
      m.sae.params.assign(params);
      m.adam.setState({ t: c.adamT as number, tensors: adam });
      m.idleN.assign(states[i].tensors.idle);
      m.sae.loadTrainingState(c.model as Record<string, unknown>, model);
      m.deadM = Int32Array.from(c.deadLatents as number[]);
    }
    this.source.setState(first.source);
    this.stepsTaken = checkInt('state.stepsTaken', first.stepsTaken as number, 0);
    this.inputsSeen = checkInt('state.inputsSeen', first.inputsSeen as number, 0);
    this.initialised = true; // b_dec from data would change the loaded weights
  }

  /** Checks one SAE's saved state against its member; returns its tensors by role (nothing assigned yet). */
  private checkedState(
    m: StackMember,
    state: TrainState,
    i: number,
  ): { params: Record<string, tf.Tensor>; adam: Record<string, tf.Tensor>; model: Record<string, tf.Tensor> } {
    const c = state.config;
    const where = this.members.length === 1 ? 'state' : `state[${i}]`;
    if (c.kind !== 'sae-trainer') throw new InputError(`${where}.kind`, `must be 'sae-trainer', got ${String(c.kind)}`);
    const own = saeConfigOf(m.sae);
    if (JSON.stringify(c.sae) !== JSON.stringify(own)) {
      throw new InputError(
        `${where}.sae`,
        `was saved from ${JSON.stringify(c.sae)}, this SAE is ${JSON.stringify(own)}`,
      );
    }
    if (c.batchSize !== this.batchSize)
      throw new InputError(`${where}.batchSize`, `is ${c.batchSize}, the trainer's ${this.batchSize}`);
    const params: Record<string, tf.Tensor> = {};
    for (const name of m.sae.params.names()) {
      const t = state.tensors[`param/${name}`];
      if (!t) throw new InputError(where, `has no parameter '${name}'`);
      params[name] = t;
    }
    const adam: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(state.tensors)) if (name.startsWith('adam/')) adam[name.slice(5)] = t;
    const model: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(state.tensors)) if (name.startsWith('model/')) model[name.slice(6)] = t;
    if (!state.tensors.idle) throw new InputError(where, 'has no firing statistics (idle)');
    return { params, adam, model };
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
        if (every > 0 && this.stepsTaken % every === 0) {
          for (const [i, { sae }] of this.members.entries()) await this.config.onCheckpoint?.(this.stepsTaken, sae, i);
        }
        return metrics;
      },
    });
  }

  /** Frees the optimisers' state and the firing statistics (not the SAEs). */
  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

/** A member's pass kept out of the tape's tidy (the trainer reads and disposes it after the step). */
function keepPass({ loss, terms, firedN }: MemberPass): MemberPass {
  const kept: Record<string, tf.Scalar> = {};
  for (const [name, t] of Object.entries(terms)) kept[name] = tf.keep(t);
  return { loss: tf.keep(loss), terms: kept, firedN: tf.keep(firedN) };
}

/**
 * The SAEs of a stack, checked: at least one, each once, all of one architecture and shape (they
 * read one batch [B,D] and are compared latent for latent).
 */
function checkStack(sae: SparseAutoencoder | readonly SparseAutoencoder[]): readonly SparseAutoencoder[] {
  const saes: readonly SparseAutoencoder[] = Array.isArray(sae) ? sae : [sae as SparseAutoencoder];
  if (saes.length === 0) throw new ConfigError('sae', 'must be an SAE or a non-empty list of SAEs');
  const [first] = saes;
  for (const [i, s] of saes.entries()) {
    if (saes.indexOf(s) !== i) throw new ConfigError(`sae[${i}]`, `is the same SAE as sae[${saes.indexOf(s)}]`);
    const what = (x: SparseAutoencoder) => `${x.architecture} ${x.dIn} -> ${x.nLatents}`;
    if (what(s) !== what(first))
      throw new ConfigError(
        `sae[${i}]`,
        `is ${what(s)}; a stack's SAEs share sae[0]'s architecture and shape, ${what(first)}`,
      );
  }
  return saes;
}
