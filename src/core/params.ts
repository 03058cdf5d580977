/**
 * Named parameter containers and seeded initialisers.
 *
 * A `Params` maps short local names (`W_enc`, `b_dec`) to `tf.Variable`s. tfjs keeps one
 * global registry of variable names, so each container prefixes its own unique id:
 * two SAEs can both have a `W_enc`.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, checkInt } from '../base/errors';
import type { Rng } from './random';

let nextContainerId = 0;

export class Params {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly prefix: string;

  constructor(scope = 'params') {
    this.prefix = `${scope}#${nextContainerId++}/`;
  }

  /** Adds a trainable variable holding `initial` (which this container takes ownership of). */
  add(name: string, initial: tf.Tensor, trainable = true): tf.Variable {
    if (this.vars.has(name)) throw new ConfigError('name', `parameter '${name}' already exists`);
    const v = tf.variable(initial, trainable, this.prefix + name);
    initial.dispose();
    this.vars.set(name, v);
    return v;
  }

  /** The variable called `name`; throws with the known names if there is none. */
  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new ConfigError('name', `no parameter '${name}'; have ${[...this.vars.keys()].join(', ')}`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** The parameter names that `values` lacks (check before `assign` when loading a whole model). */
  missingFrom(values: Record<string, unknown>): string[] {
    return this.names().filter((n) => !(n in values));
  }

  /** Trainable variables by local name. */
  trainable(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [k, v] of this.vars) if (v.trainable) out[k] = v;
    return out;
  }

  /** Total number of scalars held. */
  size(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /**
   * Evaluates `lossFn` and its gradients with respect to every trainable variable.
   * Returns the loss and the gradients keyed by local name; the caller disposes both.
   */
  gradients(lossFn: () => tf.Scalar): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    const list = Object.values(this.trainable());
    const { value, grads } = tf.variableGrads(lossFn, list);
    const local: Record<string, tf.Tensor> = {};
    for (const [k, v] of this.vars) if (grads[v.name]) local[k] = grads[v.name];
    return { loss: value, grads: local };
  }

  /** Copies the current values into new tensors (for saving); the caller disposes them. */
  snapshot(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of this.vars) out[k] = v.clone();
    return out;
  }

  /** Assigns values by name; every name must exist and every shape must match. */
  assign(values: Record<string, tf.Tensor>): void {
    for (const [k, t] of Object.entries(values)) {
      const v = this.get(k);
      if (v.shape.join() !== t.shape.join()) {
        throw new ConfigError(k, `shape [${t.shape}] does not match parameter shape [${v.shape}]`);
      }
      v.assign(t.dtype === v.dtype ? t : t.cast(v.dtype));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/**
 * Seeded initialisers. Each returns a new tensor; `Params.add` takes ownership.
 * Kaiming: He et al. 2015 (ReLU nets), U(-b, b) with b = sqrt(6 / fanIn).
 * Xavier/Glorot: Glorot & Bengio 2010, U(-b, b) with b = sqrt(6 / (fanIn + fanOut)).
 */
export const init = {
  zeros: (shape: number[]): tf.Tensor => tf.zeros(shape),
  constant: (shape: number[], value: number): tf.Tensor => tf.fill(shape, value),
  normal: (rng: Rng, shape: number[], std: number): tf.Tensor => rng.randomNormal(shape, 0, std),
  kaimingUniform(rng: Rng, shape: [number, number]): tf.Tensor {
    const [fanIn] = shape;
    checkInt('fanIn', fanIn, 1);
    const bound = Math.sqrt(6 / fanIn);
    return rng.randomUniform(shape, -bound, bound);
  },
  xavierUniform(rng: Rng, shape: [number, number]): tf.Tensor {
    const [fanIn, fanOut] = shape;
    checkInt('fanIn', fanIn, 1);
    checkInt('fanOut', fanOut, 1);
    const bound = Math.sqrt(6 / (fanIn + fanOut));
    return rng.randomUniform(shape, -bound, bound);
  },
};
