/**
 * Fused reparameterized sampling on cpu and wasm (plain JS); equals reference.ts.
 *   forward:  z_i = mu_i + exp(0.5 logVar_i) * eps_i, eps_i drawn here from (seed, step, i)
 *   backward: dlogVar_i = 0.5 * dy_i * exp(0.5 logVar_i) * eps_i, eps regenerated, never stored
 * One pass over the inputs each way; no eps tensor is built or uploaded.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerJsKernel, runJs } from '../shared/js-kernel';
import { fusedCounterNormal } from './counter-rng';

/** z = mu + exp(0.5 logVar) eps(seed, step). */
export function reparamSampleJs(
  mu: Float32Array,
  logVar: Float32Array,
  z: Float32Array,
  seed: number,
  step: number,
): void {
  fusedCounterNormal(z, mu, logVar, null, 1, seed, step);
}

/** dlogVar = 0.5 dy exp(0.5 logVar) eps(seed, step). */
export function reparamSampleGradJs(
  dy: Float32Array,
  logVar: Float32Array,
  dLogVar: Float32Array,
  seed: number,
  step: number,
): void {
  fusedCounterNormal(dLogVar, null, logVar, dy, 0.5, seed, step);
}

registerJsKernel(K.reparamSample, ({ inputs, backend, attrs }) => {
  const { mu, logVar } = inputs as Record<string, tf.TensorInfo>;
  const { seed, step } = attrs as { seed: number; step: number };
  return runJs(backend, [mu, logVar], [{ shape: mu.shape, dtype: 'float32' }], ([m, lv], [z]) =>
    reparamSampleJs(m as Float32Array, lv as Float32Array, z as Float32Array, seed, step),
  )[0];
});

registerJsKernel(K.reparamSampleGrad, ({ inputs, backend, attrs }) => {
  const { dy, logVar } = inputs as Record<string, tf.TensorInfo>;
  const { seed, step } = attrs as { seed: number; step: number };
  return runJs(backend, [dy, logVar], [{ shape: logVar.shape, dtype: 'float32' }], ([g, lv], [out]) =>
    reparamSampleGradJs(g as Float32Array, lv as Float32Array, out as Float32Array, seed, step),
  )[0];
});
