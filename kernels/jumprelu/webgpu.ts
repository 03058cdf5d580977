/**
 * JumpReLU on WebGPU (WGSL); equals reference.ts. Forward: one invocation per element.
 * Backward: dz one invocation per element; dtheta one invocation per latent summing the
 * rectangle window over the batch (scale -theta/eps, or -1/eps for the step).
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { gpuProgram, runGPU, zerosLike } from '../shared/gpu';

for (const [name, step] of [
  [K.jumpRelu, false],
  [K.jumpReluStep, true],
] as const) {
  registerOnce(name, 'webgpu', ({ inputs, backend }) => {
    const { z, theta } = inputs as Record<string, tf.TensorInfo>;
    const n = z.shape[1];
    const program = gpuProgram(
      `gensparseJumpRelu_${step}_${n}`,
      ['Z', 'Theta'],
      z.shape,
      `let v = getZByOutputIndex(index);
       setOutputAtIndex(index, select(0.0, ${step ? '1.0' : 'v'}, v > getTheta(index % ${n})));`,
    );
    return runGPU(backend, program, [z, theta]);
  });
}

registerOnce(K.jumpReluGrad, 'webgpu', ({ inputs, backend, attrs }) => {
  const { dy, z, theta } = inputs as Record<string, tf.TensorInfo>;
  const { bandwidth, step } = attrs as { bandwidth: number; step: boolean };
  const [b, n] = z.shape;
  // the step's dz is exactly zero: tfjs's own ZerosLike (a shader reading none of its inputs is
  // rejected: WebGPU bind groups drop unused bindings)
  const dz = step
    ? zerosLike(z, backend)
    : runGPU(
        backend,
        gpuProgram(
          `gensparseJumpReluDz_${n}`,
          ['Dy', 'Z', 'Theta'],
          z.shape,
          `setOutputAtIndex(index, select(0.0, getDyByOutputIndex(index), getZByOutputIndex(index) > getTheta(index % ${n})));`,
        ),
        [dy, z, theta],
      );
  const dThetaProgram = gpuProgram(
    `gensparseJumpReluDtheta_${step}_${b}_${n}`,
    ['Dy', 'Z', 'Theta'],
    theta.shape,
    `let t = getTheta(index);
     var s = 0.0;
     for (var r = 0; r < ${b}; r++) {
       let u = getZ(r, index) - t;
       if (abs(u) < 0.5 * uniforms.band) { s = s + getDy(r, index); }
     }
     setOutputAtIndex(index, ${step ? '-1.0' : '-t'} / uniforms.band * s);`,
    { uniforms: 'band : f32,' },
  );
  const dTheta = runGPU(backend, dThetaProgram, [dy, z, theta], [{ type: 'float32', data: [bandwidth] }]);
  return [dz, dTheta];
});
