/**
 * JumpReLU kernels on cpu and wasm (plain JS); equal reference.ts. Forward: one pass writing
 * z * H(z - theta) (or H(z - theta) for the step). Backward, fused in one pass over [B,N]:
 *   dz = dy * H(z - theta) (zero for the step),
 *   dtheta[n] = scale(theta_n) * sum_b dy[b,n] * K((z[b,n] - theta_n) / eps),
 * scale = -theta/eps for JumpReLU, -1/eps for the step; K(u) = 1[|u| < 1/2].
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerJsKernel, runJs } from '../shared/js-kernel';

/** out = z * H(z - theta) (step: H(z - theta)), z [b,n], theta [n]. */
export function jumpReluJs(
  z: Float32Array,
  theta: Float32Array,
  out: Float32Array,
  b: number,
  n: number,
  step: boolean,
): void {
  for (let r = 0; r < b; r++) {
    const o = r * n;
    for (let c = 0; c < n; c++) {
      const v = z[o + c];
      const on = +(v > theta[c]); // a number, not a branch: z is often near theta, a 50/50 branch
      out[o + c] = step ? on : v * on;
    }
  }
}

/** Fused backward: dz [b,n] and dtheta [n] (see the file comment). */
export function jumpReluGradJs(
  dy: Float32Array,
  z: Float32Array,
  theta: Float32Array,
  dz: Float32Array,
  dTheta: Float32Array,
  b: number,
  n: number,
  bandwidth: number,
  step: boolean,
): void {
  const acc = new Float64Array(n);
  const half = bandwidth / 2;
  for (let r = 0; r < b; r++) {
    const o = r * n;
    for (let c = 0; c < n; c++) {
      const u = z[o + c] - theta[c];
      const g = dy[o + c];
      dz[o + c] = step ? 0 : g * +(u > 0);
      if (u < half && u > -half) acc[c] += g;
    }
  }
  for (let c = 0; c < n; c++) dTheta[c] = (step ? -1 / bandwidth : -theta[c] / bandwidth) * acc[c];
}

for (const [name, step] of [
  [K.jumpRelu, false],
  [K.jumpReluStep, true],
] as const) {
  registerJsKernel(name, ({ inputs, backend }) => {
    const { z, theta } = inputs as Record<string, tf.TensorInfo>;
    const [b, n] = z.shape;
    return runJs(backend, [z, theta], [{ shape: [b, n], dtype: 'float32' }], ([zs, th], [out]) =>
      jumpReluJs(zs as Float32Array, th as Float32Array, out as Float32Array, b, n, step),
    )[0];
  });
}

registerJsKernel(K.jumpReluGrad, ({ inputs, backend, attrs }) => {
  const { dy, z, theta } = inputs as Record<string, tf.TensorInfo>;
  const { bandwidth, step } = attrs as { bandwidth: number; step: boolean };
  const [b, n] = z.shape;
  return runJs(
    backend,
    [dy, z, theta],
    [
      { shape: [b, n], dtype: 'float32' },
      { shape: [n], dtype: 'float32' },
    ],
    ([g, zs, th], [dz, dth]) =>
      jumpReluGradJs(
        g as Float32Array,
        zs as Float32Array,
        th as Float32Array,
        dz as Float32Array,
        dth as Float32Array,
        b,
        n,
        bandwidth,
        step,
      ),
  );
});
