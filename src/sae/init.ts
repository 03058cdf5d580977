/**
 * Data-dependent initialisation of an SAE: the input scale and b_dec from a sample.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt, checkOneOf, checkShape } from '../base/errors';
import { geometricMedian } from './geometry';

/** Options of `initFromData`. */
export interface DataInitOptions {
  /** How to set b_dec: geometric median of the sample (default), its mean, or zeros (SAELens). */
  bDecInit?: 'geometric-median' | 'mean' | 'zeros';
  /** Scale inputs so E||s x||^2 = D (SAELens `expected_average_only_in`), estimated from the sample. Default false. */
  normalizeInput?: boolean;
  /** Weiszfeld iterations. Default 100. */
  medianIterations?: number;
}

/** What data initialisation sets: b_dec and the input scale of an SAE of input width dIn. */
export interface DataInitTarget {
  readonly dIn: number;
  readonly bDecD: tf.Variable;
  inputScale: number;
}

/**
 * The scale s with E||s x||^2 = D over a sample [M,D] (SAELens `expected_average_only_in`):
 * s = sqrt(D / mean_m ||x_m||^2). Reads the device.
 */
export async function expectedNormScale(sampleMD: tf.Tensor2D): Promise<number> {
  const meanSqT = tf.tidy(() => sampleMD.square().sum(1).mean());
  const meanSq = (await meanSqT.data())[0];
  meanSqT.dispose();
  if (!(meanSq > 0)) throw new InputError('sample', 'has zero mean squared norm: cannot normalise');
  return Math.sqrt(sampleMD.shape[1] / meanSq);
}

/**
 * Sets b_dec (and the input scale s) from a sample of inputs [M,D], before training: s so that
 * E||s x||^2 = D when `normalizeInput` (SAELens `expected_average_only_in`), b_dec the geometric
 * median of the sample (Weiszfeld 1937; openai/sparse_autoencoder, dictionary_learning), its mean
 * (sparsify) or zeros (SAELens).
 */
export async function initFromData(
  sae: DataInitTarget,
  sampleMD: tf.Tensor2D,
  options: DataInitOptions = {},
): Promise<void> {
  checkShape('sample', sampleMD, [null, sae.dIn]);
  const methods = ['geometric-median', 'mean', 'zeros'] as const;
  const method = checkOneOf('bDecInit', options.bDecInit ?? 'geometric-median', methods);
  const iterations = checkInt('medianIterations', options.medianIterations ?? 100, 1);
  if (options.normalizeInput) sae.inputScale = await expectedNormScale(sampleMD);
  tf.tidy(() => {
    const xn = sae.inputScale === 1 ? sampleMD : (sampleMD.mul(sae.inputScale) as tf.Tensor2D);
    const bDec =
      method === 'zeros' ? tf.zeros([sae.dIn]) : method === 'mean' ? xn.mean(0) : geometricMedian(xn, iterations);
    sae.bDecD.assign(bDec);
  });
}
