/**
 * The Adam update on cpu and wasm in one pass (equals reference.ts): each element of p, m, v
 * and the gradient is read once and p', m', v' written once, instead of the ten elementwise
 * passes (and nine temporaries) of the composite (`npm run bench core` times both on an SAE's
 * 8M parameters). On the wasm backend the loop is WebAssembly
 * SIMD (wasm.ts), four parameters at a time; the JS loop serves cpu.
 */
import type * as tf from '@tensorflow/tfjs';
import { registerJsKernel, runJs } from '../shared/js-kernel';
import { adamSimd } from './wasm';

export const ADAM_UPDATE = 'GensparseAdamUpdate';

/** The loop itself, on typed arrays (see reference.ts for the formula). */
export function adamUpdateJs(
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  scale: number,
  pOut: Float32Array,
  mOut: Float32Array,
  vOut: Float32Array,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  t: number,
): void {
  const c1 = 1 / (1 - beta1 ** t);
  const c2 = 1 / (1 - beta2 ** t);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] * scale;
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = p[i] - (lr * mi * c1) / (Math.sqrt(vi * c2) + eps);
  }
}

registerJsKernel(ADAM_UPDATE, ({ inputs, backend, attrs }) => {
  const { p, m, v, g, scale } = inputs as Record<string, tf.TensorInfo>;
  const { lr, beta1, beta2, eps, t } = attrs as unknown as {
    lr: number;
    beta1: number;
    beta2: number;
    eps: number;
    t: number;
  };
  const out = { shape: p.shape, dtype: 'float32' as const };
  const simd = adamSimd(backend);
  if (simd) {
    return runJs(backend, [p, m, v, g, scale], [out, out, out], ([ps, ms, vs, gs, s], [po, mo, vo]) =>
      simd.adam(
        ...([ps, ms, vs, gs, po, mo, vo].map((a) => a.byteOffset) as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ]),
        ps.length,
        s[0],
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        lr / (1 - beta1 ** t),
        1 / (1 - beta2 ** t),
        eps,
      ),
    );
  }
  return runJs(backend, [p, m, v, g, scale], [out, out, out], ([ps, ms, vs, gs, s], [po, mo, vo]) =>
    adamUpdateJs(
      ps as Float32Array,
      ms as Float32Array,
      vs as Float32Array,
      gs as Float32Array,
      s[0],
      po as Float32Array,
      mo as Float32Array,
      vo as Float32Array,
      lr,
      beta1,
      beta2,
      eps,
      t,
    ),
  );
});
