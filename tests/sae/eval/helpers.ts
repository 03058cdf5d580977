/** Shared fixtures of the evaluation tests: a tiny random char model, random tokens, a lossless SAE. */
import * as tf from '@tensorflow/tfjs';
import { CharLm, type CharLmConfig } from '../../../src/data/lm/char-lm';
import { Rng } from '../../../src/core/random';
import { createSae } from '../../../src/sae/create';
import type { SparseAutoencoder } from '../../../src/sae/base';

export const TINY_LM: CharLmConfig = {
  vocabSize: 70,
  contextLength: 8,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  mlpRatio: 2,
  seed: 5,
};

/** A tiny char model whose weights are perturbed away from the init (LayerNorm gains/biases included). */
export function tinyLm(seed = 5): CharLm {
  const model = new CharLm({ ...TINY_LM, seed });
  const rng = new Rng(seed + 100);
  tf.tidy(() => {
    for (const [name, v] of Object.entries(model.params.trainable())) {
      v.assign(v.add(rng.randomNormal(v.shape, 0, name.endsWith('.g') ? 0.3 : 0.2)));
    }
  });
  return model;
}

/** Random token ids in [1, V). */
export function randomTokens(rng: Rng, n: number, V = 70): Int32Array {
  return Int32Array.from({ length: n }, () => 1 + rng.int(V - 1));
}

/**
 * A ReLU SAE with N = 2D that reconstructs exactly: W_enc = [I, -I], W_dec = [I; -I], biases 0,
 * so f = [relu(x), relu(-x)] and xhat = relu(x) - relu(-x) = x.
 */
export function losslessSae(D: number): SparseAutoencoder {
  const sae = createSae({ architecture: 'relu-l1', dIn: D, nLatents: 2 * D, seed: 1 });
  tf.tidy(() => {
    const eye = tf.eye(D);
    sae.params.assign({
      W_enc: tf.concat([eye, eye.neg()], 1),
      b_enc: tf.zeros([2 * D]),
      W_dec: tf.concat([eye, eye.neg()], 0),
      b_dec: tf.zeros([D]),
    });
  });
  return sae;
}

/** log softmax of one row in float64. */
export function logSoftmaxRow(row: ArrayLike<number>): number[] {
  const xs = Array.from(row);
  const max = Math.max(...xs);
  const lse = max + Math.log(xs.reduce((s, x) => s + Math.exp(x - max), 0));
  return xs.map((x) => x - lse);
}
