/**
 * BatchTopK at inference (Bussmann, Leask & Nanda 2024, arXiv:2412.06410): training keeps the
 * top floor(k B) activations of the whole batch, so its output depends on the batch; inference
 * replaces that with thresholds, f_i = ReLU(z_i) * 1[ReLU(z_i) > theta_i]. Two choices:
 *
 * - global: one theta for every latent (the EMA of the smallest kept activation; the model's
 *   own `encode`, what SAELens saves as a JumpReLU);
 * - per latent, calibrated to the training firing rates: r_i = the fraction of calibration
 *   inputs on which BatchTopK selected latent i, and theta_i = the (c_i + 1)-th largest
 *   ReLU(z_i) over those inputs, c_i = round(r_i M), so latent i fires on exactly c_i of them
 *   (barring ties). theta_i = +inf (never fires) when c_i = 0.
 *
 * `thresholdedMetrics` reads L0 and FVU (numerator and denominator over the whole set, float64)
 * of any such thresholds, or of the batch selection itself (`thetaN` null).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt } from '../base/errors';
import { batchTopkActivation, thresholdActivation } from '../../kernels/topk';
import type { BatchTopKSae } from '../sae';

/** Per latent i, the fraction of rows with selectedMN[m, i] > 0. @param selectedMN row-major [M, N] */
export function firingRates(selectedMN: ArrayLike<number>, M: number, N: number): Float64Array {
  if (selectedMN.length !== M * N) throw new InputError('selectedMN', `length ${selectedMN.length} is not ${M} x ${N}`);
  const rates = new Float64Array(N);
  for (let m = 0; m < M; m++) for (let i = 0; i < N; i++) if (selectedMN[m * N + i] > 0) rates[i] += 1 / M;
  return rates;
}

/**
 * theta_i = the (c_i + 1)-th largest of column i of `reluMN` with c_i = round(rates_i M)
 * (0 when c_i = M; +Infinity when c_i = 0). See the module comment.
 * @param reluMN row-major [M, N], the ReLU'd pre-activations of the calibration rows
 */
export function calibrateThresholds(
  reluMN: ArrayLike<number>,
  M: number,
  N: number,
  rates: ArrayLike<number>,
): Float64Array {
  checkInt('M', M, 1);
  if (reluMN.length !== M * N) throw new InputError('reluMN', `length ${reluMN.length} is not ${M} x ${N}`);
  if (rates.length !== N) throw new InputError('rates', `needs ${N} entries, got ${rates.length}`);
  const theta = new Float64Array(N);
  const column = new Float64Array(M);
  for (let i = 0; i < N; i++) {
    for (let m = 0; m < M; m++) column[m] = reluMN[m * N + i];
    column.sort().reverse();
    const c = Math.round(rates[i] * M);
    theta[i] = c === 0 ? Number.POSITIVE_INFINITY : c >= M ? 0 : column[c];
  }
  return theta;
}

/** Inference latents with per-latent thresholds: f = ReLU(z) * 1[ReLU(z) > theta]. @returns [B, N] */
export function thresholdedLatents(sae: BatchTopKSae, xBD: tf.Tensor2D, thetaN: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => thresholdActivation(sae.preActivations(sae.normalise(xBD)), thetaN));
}

/** ReLU(z) of rows [M, D] and the BatchTopK selection over batches of `batchSize`, both [M, N] row-major. */
export async function batchSelection(
  sae: BatchTopKSae,
  rowsMD: Float32Array,
  batchSize: number,
): Promise<{ reluMN: Float32Array; selectedMN: Float32Array }> {
  const { dIn: D, nLatents: N } = sae;
  const M = rowsMD.length / D;
  const reluMN = new Float32Array(M * N);
  const selectedMN = new Float32Array(M * N);
  for (let start = 0; start < M; start += batchSize) {
    const rows = Math.min(batchSize, M - start);
    const [relu, selected] = tf.tidy(() => {
      const z = sae.preActivations(
        sae.normalise(tf.tensor2d(rowsMD.subarray(start * D, (start + rows) * D), [rows, D])),
      );
      return [z.relu(), batchTopkActivation(z, sae.k)];
    });
    reluMN.set(await relu.data(), start * N);
    selectedMN.set(await selected.data(), start * N);
    tf.dispose([relu, selected]);
  }
  return { reluMN, selectedMN };
}

/**
 * L0 and FVU on rows [M, D]: with thresholds `thetaN` (per latent, [N]), or with the batch
 * selection of BatchTopK over consecutive batches of `batchSize` when `thetaN` is null.
 */
export async function thresholdedMetrics(
  sae: BatchTopKSae,
  rowsMD: Float32Array,
  thetaN: ArrayLike<number> | null,
  batchSize = 512,
): Promise<{ l0: number; fvu: number }> {
  const D = sae.dIn;
  const M = rowsMD.length / D;
  const mean = new Float64Array(D);
  for (let r = 0; r < M; r++) for (let c = 0; c < D; c++) mean[c] += rowsMD[r * D + c] / M;
  // +Infinity as a float32 threshold: never exceeded.
  const theta = thetaN ? tf.tensor1d(Float32Array.from(thetaN)) : null;
  let err = 0;
  let total = 0;
  let active = 0;
  try {
    for (let start = 0; start < M; start += batchSize) {
      const rows = Math.min(batchSize, M - start);
      const x = rowsMD.subarray(start * D, (start + rows) * D);
      const [reconT, countT] = tf.tidy(() => {
        const xBD = tf.tensor2d(x, [rows, D]);
        const fBN = theta
          ? thresholdedLatents(sae, xBD, theta)
          : batchTopkActivation(sae.preActivations(sae.normalise(xBD)), sae.k);
        return [sae.decode({ kind: 'dense', denseBN: fBN }), fBN.greater(0).sum()];
      });
      const recon = await reconT.data();
      active += (await countT.data())[0];
      tf.dispose([reconT, countT]);
      for (let i = 0; i < x.length; i++) {
        err += (x[i] - recon[i]) ** 2;
        total += (x[i] - mean[i % D]) ** 2;
      }
    }
  } finally {
    theta?.dispose();
  }
  return { l0: active / M, fvu: err / total };
}

/**
 * One global threshold fitted afterwards to inference L0 = k on calibration rows: theta = the
 * (c + 1)-th largest entry of `reluMN` with c = floor(k M), so that c entries exceed it (barring
 * ties): the same selection as BatchTopK over the whole calibration set as one batch. The
 * like-for-like counterpart of the training-time EMA threshold (same rule, fitted on data).
 * @param reluMN row-major [M, N], the ReLU'd pre-activations of the calibration rows
 */
export function fitGlobalThreshold(reluMN: ArrayLike<number>, M: number, k: number): number {
  checkInt('M', M, 1);
  if (reluMN.length % M !== 0) throw new InputError('reluMN', `length ${reluMN.length} is not a multiple of M = ${M}`);
  const N = reluMN.length / M;
  if (!(k > 0 && k <= N)) throw new InputError('k', `must be in (0, ${N}], got ${k}`);
  const sorted = Float64Array.from(reluMN).sort().reverse();
  const c = Math.floor(k * M);
  return c >= sorted.length ? 0 : sorted[c];
}
