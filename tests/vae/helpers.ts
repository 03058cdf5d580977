/** Plain-JS helpers for the VAE tests: independent of tfjs. */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/core';

/** n uniform numbers in [lo, hi) from a seeded Rng, as a plain array. */
export function uniformArray(rng: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

/** A [rows, cols] tensor of uniform values and the same values as a plain array. */
export function randomMatrix(
  rng: Rng,
  rows: number,
  cols: number,
  lo: number,
  hi: number,
): { t: tf.Tensor2D; a: number[] } {
  const a = uniformArray(rng, rows * cols, lo, hi);
  return { t: tf.tensor2d(a, [rows, cols]), a };
}

/** Mean and standard error of a list. */
export function meanAndSe(xs: ArrayLike<number>): { mean: number; se: number; sd: number } {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i] - mean) ** 2;
  const sd = Math.sqrt(v / (n - 1));
  return { mean, se: sd / Math.sqrt(n), sd };
}

/** Runs `fn` and returns how many tensors it left behind. */
export async function leakedBy(fn: () => unknown | Promise<unknown>): Promise<number> {
  const before = tf.memory().numTensors;
  await fn();
  return tf.memory().numTensors - before;
}
