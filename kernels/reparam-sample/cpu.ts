/**
 * Fused reparameterized sampling on cpu and wasm (plain JS); equals reference.ts.
 *   forward:  z_i = mu_i + exp(0.5 logVar_i) * eps_i, eps_i drawn here from (seed, step, i),
 *             and eps itself as a second output (one pass, nothing uploaded)
 *   backward: dlogVar = ((dy * eps) * exp(0.5 logVar)) * 0.5 from the saved eps (index.ts), the
 *             composite's own backward
 * Why eps is kept here: regenerating eps in the backward (log, sqrt, sin, cos per element in
 * scalar JS) made forward + backward slower than the composite on wasm (`npm run bench kernels`);
 * storing it costs one [B,Z] array and the forward stays fused.
 * (The WebGL/WebGPU kernels regenerate eps: there memory traffic, not arithmetic, is the cost.)
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerJsKernel, runJs } from '../shared/js-kernel';
import { fillCounterNormal } from './counter-rng';

/** z = mu + exp(0.5 logVar) eps(seed, step), and eps. */
export function reparamSampleEpsJs(
  mu: Float32Array,
  logVar: Float32Array,
  z: Float32Array,
  eps: Float32Array,
  seed: number,
  step: number,
): void {
  fillCounterNormal(eps, seed, step);
  for (let i = 0; i < z.length; i++) z[i] = mu[i] + Math.fround(Math.exp(0.5 * logVar[i])) * eps[i];
}

registerJsKernel(K.reparamSampleEps, ({ inputs, backend, attrs }) => {
  const { mu, logVar } = inputs as Record<string, tf.TensorInfo>;
  const { seed, step } = attrs as { seed: number; step: number };
  const out = { shape: mu.shape, dtype: 'float32' as const };
  return runJs(backend, [mu, logVar], [out, out], ([m, lv], [z, eps]) =>
    reparamSampleEpsJs(m as Float32Array, lv as Float32Array, z as Float32Array, eps as Float32Array, seed, step),
  );
});
