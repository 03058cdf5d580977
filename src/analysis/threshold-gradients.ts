/**
 * JumpReLU's threshold pseudo-gradient as a random variable (Rajamanoharan et al. 2024,
 * arXiv:2407.14435, Eqs. 11-12): averaged over a batch, the L0 term's theta-gradient is
 * -lambda times a rectangle-kernel density estimate of p(z_i = theta_i) from B samples, so its
 * variance falls like 1/B. The persistent KDE (`kdeWindow` W, src/sae/jumprelu.ts) pools the
 * estimate over the last W steps: at fixed parameters it should cut that variance towards
 * 1/(W+1) of the single-batch one, at the price of lagging behind a moving theta.
 *
 * Measured here at FIXED parameters: per latent, the mean and variance over batches of
 * dL/dtheta_i (the stored parameter: theta or log theta), with the buffer first filled by
 * `warmup` forward passes so every measured gradient pools a full window. Consecutive pooled
 * gradients share W - 1 of their batches, so their sample variance underestimates the variance
 * of one pooled gradient; `stride` = W + 1 keeps one gradient every W + 1 steps, whose windows
 * do not overlap (independent samples).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt } from '../base/errors';
import type { ActivationSource } from '../data/source';
import type { JumpReluSae } from '../sae';

/**
 * The threshold-parameter gradient of the training loss on `batches` batches of `batchSize`
 * from `source`, parameters unchanged (no optimiser step). The first `warmup` batches only
 * fill the persistent-KDE buffer and are not returned.
 * @returns one Float32Array [N] per measured batch
 */
export async function thresholdGradients(
  sae: JumpReluSae,
  source: ActivationSource,
  options: { batches: number; batchSize: number; warmup?: number; stride?: number },
): Promise<Float32Array[]> {
  const batches = checkInt('batches', options.batches, 1);
  const B = checkInt('batchSize', options.batchSize, 1);
  const warmup = checkInt('warmup', options.warmup ?? 0, 0);
  const stride = checkInt('stride', options.stride ?? 1, 1);
  const name = sae.thresholdParam === 'theta' ? 'threshold' : 'log_threshold';
  const out: Float32Array[] = [];
  for (let t = 0; t < warmup + batches * stride; t++) {
    const xBD = tf.tensor2d(source.nextBatch(B), [B, sae.dIn]);
    const { loss, grads } = sae.params.gradients(() => {
      const o = sae.forward(xBD, { training: true });
      const kept = o.loss;
      for (const v of [o.recon, ...Object.values(o.losses), ...Object.values(o.metrics)]) if (v !== kept) v.dispose();
      if (o.latents.kind === 'dense') o.latents.denseBN.dispose();
      else tf.dispose([o.latents.valuesBK, o.latents.indicesBK]);
      return kept;
    });
    const g = grads[name];
    if (!g) throw new InputError('sae', `has no gradient for '${name}'`);
    if (t >= warmup && (t - warmup) % stride === stride - 1) out.push((await g.data()) as Float32Array);
    tf.dispose([loss, xBD, ...Object.values(grads)]);
  }
  return out;
}

/** Per coordinate, the mean and the unbiased variance over samples (Welford's update, float64). */
export function perCoordinateMoments(samples: Float32Array[]): { mean: Float64Array; variance: Float64Array } {
  if (samples.length < 2) throw new InputError('samples', `need at least 2 samples, got ${samples.length}`);
  const n = samples[0].length;
  const mean = new Float64Array(n);
  const m2 = new Float64Array(n);
  samples.forEach((s, t) => {
    if (s.length !== n) throw new InputError('samples', `sample ${t} has length ${s.length}, not ${n}`);
    for (let i = 0; i < n; i++) {
      const delta = s[i] - mean[i];
      mean[i] += delta / (t + 1);
      m2[i] += delta * (s[i] - mean[i]);
    }
  });
  const variance = m2.map((v) => v / (samples.length - 1));
  return { mean, variance };
}
