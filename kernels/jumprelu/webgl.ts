/**
 * JumpReLU on WebGL (GLSL ES 3.00); equals reference.ts. Forward: one fragment per element.
 * Backward: dz one fragment per element; dtheta one fragment per latent summing the rectangle
 * window over the batch (scale -theta/eps, or -1/eps for the step).
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { runGL, zerosLike } from '../shared/gpu';

for (const [name, step] of [
  [K.jumpRelu, false],
  [K.jumpReluStep, true],
] as const) {
  registerOnce(name, 'webgl', ({ inputs, backend }) => {
    const { z, theta } = inputs as Record<string, tf.TensorInfo>;
    return runGL(
      backend,
      {
        variableNames: ['Z', 'Theta'],
        outputShape: z.shape,
        userCode: `
        void main() {
          ivec2 rc = getOutputCoords();
          float v = getZAtOutCoords();
          setOutput(v > getTheta(rc.y) ? ${step ? '1.0' : 'v'} : 0.0);
        }`,
      },
      [z, theta],
    );
  });
}

registerOnce(K.jumpReluGrad, 'webgl', ({ inputs, backend, attrs }) => {
  const { dy, z, theta } = inputs as Record<string, tf.TensorInfo>;
  const { bandwidth, step } = attrs as { bandwidth: number; step: boolean };
  const [b] = z.shape;
  // the step's dz is exactly zero: tfjs's own ZerosLike (a shader that reads none of its inputs
  // would be rejected on WebGPU, whose bind groups drop unused bindings)
  const dz = step
    ? zerosLike(z, backend)
    : runGL(
        backend,
        {
          variableNames: ['Dy', 'Z', 'Theta'],
          outputShape: z.shape,
          userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        setOutput(getZAtOutCoords() > getTheta(rc.y) ? getDyAtOutCoords() : 0.0);
      }`,
        },
        [dy, z, theta],
      );
  const dTheta = runGL(
    backend,
    {
      variableNames: ['Dy', 'Z', 'Theta'],
      outputShape: theta.shape,
      customUniforms: [{ name: 'band', type: 'float' }],
      userCode: `
      void main() {
        int c = getOutputCoords();
        float t = getTheta(c);
        float s = 0.0;
        for (int r = 0; r < ${b}; r++) {
          float u = getZ(r, c) - t;
          if (abs(u) < 0.5 * band) s += getDy(r, c);
        }
        setOutput(${step ? '-1.0' : '-t'} / band * s);
      }`,
    },
    [dy, z, theta],
    [[bandwidth]],
  );
  return [dz, dTheta];
});
