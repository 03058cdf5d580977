/**
 * Adam (Kingma & Ba 2015, Algorithm 1) with optional global-norm gradient clipping
 * and learning-rate schedules (linear warm-up, then constant, linear or cosine decay).
 *
 *   m <- b1 m + (1 - b1) g          v <- b2 v + (1 - b2) g^2
 *   mhat = m / (1 - b1^t)           vhat = v / (1 - b2^t)
 *   p <- p - lr * mhat / (sqrt(vhat) + eps)
 *
 * Written out (rather than tf.train.adam) so that models can edit gradients between
 * `gradients()` and `step()` (the SAE decoder-norm projection) and so a lesson can show it.
 * The per-parameter update is `kernels/adam-update` (one pass on cpu/wasm; composite elsewhere).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, checkInt, checkNumber, checkOneOf } from '../base/errors';
import { adamUpdate } from '../../kernels/adam-update';

/** A learning rate as a function of the (0-based) step number. */
export type Schedule = (step: number) => number;

export interface ScheduleConfig {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  /** Steps of linear warm-up from 0 to `lr` (0: none). */
  warmupSteps?: number;
  /** Total steps of the run; needed when `decay` is not 'none'. */
  totalSteps?: number;
  /** Shape of the decay after `decayStart` (a fraction of totalSteps). */
  decay?: 'none' | 'linear' | 'cosine';
  /** Fraction of the run after which decay begins (0.8 = the last 20%, as in Gao et al. 2024's linear decay). */
  decayStart?: number;
  /** Learning rate at the very end, as a fraction of `lr`. */
  finalFraction?: number;
}

export function makeSchedule(config: ScheduleConfig): Schedule {
  const { lr, warmupSteps = 0, totalSteps = 0, decay = 'none', decayStart = 0, finalFraction = 0 } = config;
  checkNumber('lr', lr, { min: 0, minOpen: true });
  checkInt('warmupSteps', warmupSteps, 0);
  checkOneOf('decay', decay, ['none', 'linear', 'cosine'] as const);
  checkNumber('decayStart', decayStart, { min: 0, max: 1 });
  checkNumber('finalFraction', finalFraction, { min: 0, max: 1 });
  if (decay !== 'none') checkInt('totalSteps', totalSteps, 1);
  const start = Math.max(warmupSteps, Math.floor(decayStart * totalSteps));
  return (step: number) => {
    if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
    if (decay === 'none' || step < start) return lr;
    const progress = Math.min(1, (step - start) / Math.max(1, totalSteps - start));
    const shape = decay === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
    return lr * (finalFraction + (1 - finalFraction) * shape);
  };
}

export interface AdamConfig {
  /** A constant learning rate or a schedule. */
  lr: number | Schedule;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Rescale the gradients so their global L2 norm is at most this (undefined: no clipping). */
  clipNorm?: number;
}

export class Adam {
  /** Number of steps taken so far. */
  t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly schedule: Schedule;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly clipNorm?: number;

  constructor(
    private readonly params: Record<string, tf.Variable>,
    config: AdamConfig,
  ) {
    this.schedule = typeof config.lr === 'number' ? constant(checkNumber('lr', config.lr, { min: 0 })) : config.lr;
    this.beta1 = checkNumber('beta1', config.beta1 ?? 0.9, { min: 0, max: 1, maxOpen: true });
    this.beta2 = checkNumber('beta2', config.beta2 ?? 0.999, { min: 0, max: 1, maxOpen: true });
    this.eps = checkNumber('eps', config.eps ?? 1e-8, { min: 0, minOpen: true });
    if (config.clipNorm !== undefined)
      this.clipNorm = checkNumber('clipNorm', config.clipNorm, { min: 0, minOpen: true });
    for (const [name, p] of Object.entries(params)) {
      this.m.set(name, zeroState(p));
      this.v.set(name, zeroState(p));
    }
  }

  /** The learning rate the next step will use. */
  get lr(): number {
    return this.schedule(this.t);
  }

  /**
   * Applies one update from `grads` (keyed like the params). Does not dispose `grads`.
   * Each parameter's update is one fused pass on cpu and wasm (kernels/adam-update).
   */
  step(grads: Record<string, tf.Tensor>): void {
    const lr = this.schedule(this.t);
    this.t += 1;
    const hyper = { lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, t: this.t };
    tf.tidy(() => {
      const scale = this.clipNorm === undefined ? tf.scalar(1) : clipScale(Object.values(grads), this.clipNorm);
      for (const [name, g] of Object.entries(grads)) {
        const p = this.params[name];
        if (!p) throw new ConfigError('grads', `no parameter named '${name}'`);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const [p1, m1, v1] = adamUpdate(p, m, v, g, scale, hyper);
        p.assign(p1);
        m.assign(m1);
        v.assign(v1);
      }
    });
  }

  /** The moments (copies, keyed `m/<name>` and `v/<name>`) and the step count t, to save and resume. */
  getState(): { t: number; tensors: Record<string, tf.Tensor> } {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, m] of this.m) tensors[`m/${name}`] = m.clone();
    for (const [name, v] of this.v) tensors[`v/${name}`] = v.clone();
    return { t: this.t, tensors };
  }

  /** Restores moments and t from `getState()` (every moment must be present with its shape). */
  setState(state: { t: number; tensors: Record<string, tf.Tensor> }): void {
    const t = checkInt('state.t', state.t, 0);
    for (const [kind, map] of [
      ['m', this.m],
      ['v', this.v],
    ] as const) {
      for (const [name, variable] of map) {
        const saved = state.tensors[`${kind}/${name}`];
        if (!saved) throw new ConfigError('state', `has no optimiser moment '${kind}/${name}'`);
        if (saved.shape.join(',') !== variable.shape.join(',')) {
          throw new ConfigError(`${kind}/${name}`, `has shape [${saved.shape}], the parameter [${variable.shape}]`);
        }
      }
    }
    for (const [name, m] of this.m) m.assign(state.tensors[`m/${name}`]);
    for (const [name, v] of this.v) v.assign(state.tensors[`v/${name}`]);
    this.t = t;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}

/** min(1, maxNorm / ||g||) over all gradients together, as a scalar tensor. */
export function clipScale(grads: tf.Tensor[], maxNorm: number): tf.Scalar {
  return tf.tidy(() => {
    const sq = tf.addN(grads.map((g) => g.square().sum()));
    return tf.minimum(1, tf.div(maxNorm, sq.sqrt().add(1e-12))) as tf.Scalar;
  });
}

/** A non-trainable variable of zeros shaped like `p` (the zeros tensor itself is freed). */
function zeroState(p: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(p);
  const state = tf.variable(zeros, false);
  zeros.dispose();
  return state;
}

function constant(lr: number): Schedule {
  return () => lr;
}
