/**
 * Reparameterized sampling z = mu + exp(0.5 logVar) * eps with eps from a counter-based generator
 * keyed by (seed, step, element index): the fused kernel where the active backend has one
 * (cpu/wasm: cpu.ts, forward fused, eps kept for the backward; webgl/webgpu: the backward
 * regenerates eps from the same key instead of storing it), reference.ts elsewhere (or with the
 * kernels switched off: `useKernels`).
 */
import * as tf from '@tensorflow/tfjs';
import './cpu';
import './webgl';
import './webgpu';
import { K } from '../shared/kernel-names';
import { checkFloat2D, checkSameShape, checkSeedStep } from '../shared/checks';
import { hasKernel, kernelActive, runKernel } from '../shared/js-kernel';
import { counterNormal, sampleReparamReference } from './reference';

export { counterNormal, sampleReparamReference } from './reference';

tf.registerGradient({
  kernelName: K.reparamSample,
  inputsToSave: ['logVar'],
  gradFunc: (dy, saved, attrs) => {
    const g = dy as tf.Tensor;
    const [logVar] = saved;
    const { seed, step } = attrs as unknown as { seed: number; step: number };
    return {
      mu: () => g.clone(),
      logVar: () =>
        hasKernel(K.reparamSampleGrad)
          ? runKernel<tf.Tensor>(K.reparamSampleGrad, { dy: g, logVar }, { seed, step })
          : g
              .mul(logVar.mul(0.5).exp())
              .mul(counterNormal(logVar.shape, seed, step))
              .mul(0.5),
    };
  },
});

// cpu/wasm: the fused forward also returns eps; the backward is the composite's, from the saved eps.
tf.registerGradient({
  kernelName: K.reparamSampleEps,
  inputsToSave: ['logVar'],
  outputsToSave: [false, true],
  gradFunc: (dys, saved) => {
    const [dz] = dys as tf.Tensor[];
    const [logVar, eps] = saved;
    return {
      mu: () => dz.clone(),
      logVar: () => dz.mul(eps).mul(logVar.mul(0.5).exp()).mul(0.5),
    };
  },
});

/**
 * z = mu + exp(0.5 * logVar) * eps, eps ~ N(0, 1) a pure function of (seed, step, flat index).
 * The fastest form on the active backend: cpu/wasm the fused forward keeping eps (cpu.ts),
 * webgl/webgpu the fused kernel regenerating eps in its backward, reference.ts elsewhere.
 * @param muBZ [B,Z]  @param logVarBZ [B,Z]  @param seed integer in [0, 2^32)  @param step integer in [0, 2^32)
 * @returns z [B,Z]; gradients to mu and logVar
 */
export function sampleReparam(muBZ: tf.Tensor2D, logVarBZ: tf.Tensor2D, seed: number, step: number): tf.Tensor2D {
  const withEps = kernelActive(K.reparamSampleEps);
  if (!withEps && !kernelActive(K.reparamSample)) return sampleReparamReference(muBZ, logVarBZ, seed, step);
  checkFloat2D('mu', muBZ);
  checkFloat2D('logVar', logVarBZ);
  checkSameShape('logVar', logVarBZ, muBZ.shape);
  checkSeedStep(seed, step);
  if (withEps) {
    const [z, eps] = runKernel<tf.Tensor2D[]>(K.reparamSampleEps, { mu: muBZ, logVar: logVarBZ }, { seed, step });
    eps.dispose(); // the tape keeps its own copy for the backward
    return z;
  }
  return runKernel<tf.Tensor2D>(K.reparamSample, { mu: muBZ, logVar: logVarBZ }, { seed, step });
}
