/**
 * Fused reparameterized sampling on cpu and wasm (plain JS); equals reference.ts.
 *   forward:  z_i = mu_i + exp(0.5 logVar_i) * eps_i, eps_i drawn here from (seed, step, i)
 *   backward: dlogVar_i = 0.5 * dy_i * exp(0.5 logVar_i) * eps_i, eps regenerated, never stored
 * One pass over the inputs each way; no eps tensor is built or uploaded.
 */
import * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerJsKernel, runJs } from '../shared/js-kernel';
import { forEachCounterNormal } from './counter-rng';

type Arr = ArrayLike<number>;

/** z = mu + exp(0.5 logVar) eps(seed, step). */
export function reparamSampleJs(mu: Arr, logVar: Arr, z: Float32Array, seed: number, step: number): void {
  forEachCounterNormal(z.length, seed, step, (i, eps) => { z[i] = mu[i] + Math.exp(0.5 * logVar[i]) * eps; });
}

/** dlogVar = 0.5 dy exp(0.5 logVar) eps(seed, step). */
export function reparamSampleGradJs(dy: Arr, logVar: Arr, dLogVar: Float32Array, seed: number, step: number): void {
  forEachCounterNormal(dLogVar.length, seed, step, (i, eps) => { dLogVar[i] = 0.5 * dy[i] * Math.exp(0.5 * logVar[i]) * eps; });
}

registerJsKernel(K.reparamSample, ({ inputs, backend, attrs }) => {
  const { mu, logVar } = inputs as Record<string, tf.TensorInfo>;
  const { seed, step } = attrs as { seed: number; step: number };
  return runJs(backend, [mu, logVar], [{ shape: mu.shape, dtype: 'float32' }], ([m, lv], [z]) =>
    reparamSampleJs(m, lv, z as Float32Array, seed, step))[0];
});

registerJsKernel(K.reparamSampleGrad, ({ inputs, backend, attrs }) => {
  const { dy, logVar } = inputs as Record<string, tf.TensorInfo>;
  const { seed, step } = attrs as { seed: number; step: number };
  return runJs(backend, [dy, logVar], [{ shape: logVar.shape, dtype: 'float32' }], ([g, lv], [out]) =>
    reparamSampleGradJs(g, lv, out as Float32Array, seed, step))[0];
});
