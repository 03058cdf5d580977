/**
 * Steering the character model with an SAE latent (activation addition, Turner et al. 2023,
 * arXiv:2308.10248; with SAE decoder directions as in Templeton et al. 2024's feature steering):
 * while the model generates, the residual stream after `layer` blocks becomes
 *
 *   x_l[t] <- x_l[t] + alpha * d_j        at every position t of the context,
 *
 * d_j the latent's decoder direction in input units. Sampling is seeded (`Rng`), so a page and a
 * test reproduce the same text: next character ~ softmax(logits / temperature) by inverse CDF on
 * one uniform draw per step; temperature 0 takes the argmax (ties: lowest id).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt, checkNumber } from '../../base/errors';
import { Rng } from '../../core/random';
import type { CharLm } from '../../data/lm/char-lm';
import { CharVocab } from '../../data/lm/vocab';

/** Options of `generateSteered`. */
export interface SteeringOptions {
  /** Residual stream after this many blocks. */
  layer: number;
  /** Direction added [D] (null: no steering). */
  direction: Float32Array | null;
  /** Its coefficient. Default 0. */
  alpha?: number;
  /** Text the generation continues (at least one character). */
  prompt: string;
  /** Characters generated. */
  steps: number;
  /** Softmax temperature; 0 is greedy. Default 1. */
  temperature?: number;
  /** Seed of the sampler. Default 0. */
  seed?: number;
}

/** A steered generation (JSON-able). */
export interface SteeringResult {
  prompt: string;
  completion: string;
  layer: number;
  alpha: number;
  temperature: number;
  seed: number;
}

/** Index drawn from softmax(logits / temperature) with one uniform from `rng` (argmax at temperature 0). */
export function sampleNext(logits: ArrayLike<number>, temperature: number, rng: Rng): number {
  checkNumber('temperature', temperature, { min: 0 });
  let best = 0;
  for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
  if (temperature === 0) return best;
  const weights = Float64Array.from(logits as ArrayLike<number>, (l) => Math.exp((l - logits[best]) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.uniform() * total;
  for (let v = 0; v < weights.length; v++) {
    u -= weights[v];
    if (u < 0) return v;
  }
  return weights.length - 1;
}

/** Generates `steps` characters after `prompt` with alpha * direction added at `layer`. */
export async function generateSteered(model: CharLm, options: SteeringOptions): Promise<SteeringResult> {
  const D = model.dModel;
  const T = model.config.contextLength;
  const layer = checkInt('layer', options.layer, 0, model.config.nLayers);
  const steps = checkInt('steps', options.steps, 1);
  const alpha = checkNumber('alpha', options.alpha ?? 0, {});
  const temperature = checkNumber('temperature', options.temperature ?? 1, { min: 0 });
  const seed = checkInt('seed', options.seed ?? 0, 0, 2 ** 32 - 1);
  if (options.direction && options.direction.length !== D)
    throw new InputError('direction', `needs ${D} values, got ${options.direction.length}`);
  const vocab = new CharVocab();
  const ids = Array.from(vocab.encode(options.prompt));
  if (ids.length === 0) throw new InputError('prompt', 'needs at least one character');
  const rng = new Rng(seed);
  const direction = options.direction;
  const shift = direction && alpha !== 0 ? tf.tidy(() => tf.tensor1d(direction).mul(alpha)) : null;
  const out: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const context = ids.slice(-T);
      const lastT = tf.tidy(() => {
        const idsBT = tf.tensor2d(context, [1, context.length], 'int32');
        const resid = model.residualStream(idsBT, layer);
        const steered = (shift ? resid.add(shift) : resid) as tf.Tensor3D;
        return model.logitsFromResidual(steered, layer).slice([0, context.length - 1, 0], [1, 1, -1]);
      });
      const logits = await lastT.data();
      lastT.dispose();
      const next = sampleNext(logits, temperature, rng);
      ids.push(next);
      out.push(next);
    }
  } finally {
    shift?.dispose();
  }
  return { prompt: options.prompt, completion: vocab.decode(out), layer, alpha, temperature, seed };
}
