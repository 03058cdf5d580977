/**
 * Splicing an SAE into the character model (the "core" metrics of SAEBench, Karvonen et al.
 * 2025, arXiv:2503.09532, and of SAELens's evals): run the model on held-out text with the
 * residual stream after `layer` blocks replaced, and compare next-character predictions.
 *
 *   L_clean    the model as trained
 *   L_spliced  x_l replaced by the SAE's reconstruction xhat = decode(encode(x_l))
 *   L_zero     x_l replaced by 0 (zero ablation; SAEBench's `ce_loss_with_ablation`)
 *   L_mean     x_l replaced by its mean over the evaluation set (mean ablation)
 *   fraction of loss recovered = (L_ablated - L_spliced) / (L_ablated - L_clean)
 *   KL(clean || spliced) = (1/P) sum_positions sum_v p_clean(v) (log p_clean(v) - log p_spliced(v))
 *   KL score = (KL_ablated - KL_spliced) / KL_ablated   (SAEBench's `kl_div_score`)
 * Losses are mean cross-entropy in nats per predicted character. The text is read as in
 * `evaluateCharLm`: consecutive windows of T = contextLength characters, every position
 * predicting the next character, so L_clean equals `evaluateCharLm` on the same characters.
 *
 * The same pass feeds the reconstruction metrics (`ReconstructionStats`) and, through `onBatch`,
 * any other streaming consumer (feature dashboards), so the model and the SAE run once.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError, checkInt } from '../../core/errors';
import type { CharLm } from '../../data/lm/char-lm';
import type { SparseAutoencoder } from '../base';
import { type LatentRows, latentRowsOf } from './latent-rows';
import { type ReconstructionMetrics, ReconstructionStats } from './reconstruction';

/** Options of `spliceEvaluate`. */
export interface SpliceOptions {
  /** The SAE's layer: residual stream after this many blocks (1 for the shipped SAEs). */
  layer: number;
  /** Held-out characters predicted (rounded down to whole windows). Default 65,536. */
  maxChars?: number;
  /** Windows per forward pass. Default 32. */
  batchWindows?: number;
  /** Mean residual [D] for the mean ablation. Default: estimated over the same windows first. */
  meanActivation?: Float32Array;
  /** Called after every batch with windows done and the total. */
  onProgress?(done: number, total: number): void;
  /** Called with every batch's latents (for dashboards); row b*T + t is text position windowStarts[b] + t. */
  onBatch?(batch: SpliceBatch): void;
}

/** One batch of the pass, as given to `onBatch`. */
export interface SpliceBatch {
  /** Text position of each window's first character [B]. */
  windowStarts: Int32Array;
  /** Window length T. */
  T: number;
  /** Latents of the B*T positions, row b*T + t. */
  latents: LatentRows;
}

/** The model-side core metrics (JSON-able). */
export interface SpliceMetrics {
  layer: number;
  /** Characters predicted (windows x T). */
  chars: number;
  cleanLoss: number;
  splicedLoss: number;
  zeroAblatedLoss: number;
  meanAblatedLoss: number;
  /** (L_zero - L_spliced) / (L_zero - L_clean). */
  lossRecovered: number;
  /** (L_mean - L_spliced) / (L_mean - L_clean). */
  lossRecoveredMeanAblation: number;
  klSpliced: number;
  klZeroAblated: number;
  klMeanAblated: number;
  /** (KL_zero - KL_spliced) / KL_zero. */
  klScore: number;
  /** (KL_mean - KL_spliced) / KL_mean. */
  klScoreMeanAblation: number;
}

/** What `spliceEvaluate` returns. */
export interface SpliceResult {
  splice: SpliceMetrics;
  reconstruction: ReconstructionMetrics;
  /** Fraction of positions each latent fires on [N]. */
  density: number[];
}

/** Window starts of the held-out pass: floor(min(len - 1, maxChars) / T) windows of T. */
export function spliceWindows(tokens: Int32Array, T: number, maxChars: number): Int32Array {
  const windows = Math.floor(Math.min(tokens.length - 1, maxChars) / T);
  if (windows < 1) throw new InputError('tokens', `need at least ${T + 1} tokens, got ${tokens.length}`);
  return Int32Array.from({ length: windows }, (_, w) => w * T);
}

/** Mean residual stream [D] at `layer` over the given windows (the mean-ablation vector). */
export async function meanResidual(
  model: CharLm,
  tokens: Int32Array,
  starts: Int32Array,
  layer: number,
  batchWindows = 32,
): Promise<Float32Array> {
  const T = model.config.contextLength;
  const D = model.dModel;
  const sum = new Float64Array(D);
  for (let w0 = 0; w0 < starts.length; w0 += batchWindows) {
    const B = Math.min(batchWindows, starts.length - w0);
    const ids = windowIds(tokens, starts.subarray(w0, w0 + B), T, 0);
    const s = tf.tidy(() => model.residualStream(tf.tensor2d(ids, [B, T], 'int32'), layer).sum([0, 1]));
    const data = await s.data();
    s.dispose();
    for (let j = 0; j < D; j++) sum[j] += data[j];
  }
  return Float32Array.from(sum, (v) => v / (starts.length * T));
}

/** Runs the held-out pass: model-side and reconstruction-side core metrics in one go. */
export async function spliceEvaluate(
  model: CharLm,
  sae: SparseAutoencoder,
  tokens: Int32Array,
  options: SpliceOptions,
): Promise<SpliceResult> {
  const T = model.config.contextLength;
  const D = model.dModel;
  const V = model.config.vocabSize;
  const layer = checkInt('layer', options.layer, 0, model.config.nLayers);
  const batchWindows = checkInt('batchWindows', options.batchWindows ?? 32, 1);
  if (sae.dIn !== D) throw new ConfigError('sae', `dIn ${sae.dIn} does not match the model's width ${D}`);
  const starts = spliceWindows(tokens, T, checkInt('maxChars', options.maxChars ?? 65536, 1));
  const meanD = options.meanActivation ?? (await meanResidual(model, tokens, starts, layer, batchWindows));
  if (meanD.length !== D) throw new InputError('meanActivation', `needs ${D} values, got ${meanD.length}`);
  // A constant stream (zeros, or the mean at every position) gives the same logits at every
  // position: causal attention over identical value vectors returns that vector, and LayerNorm
  // and the MLP act per position. So each ablation's log-probabilities are one [V] row.
  const ablatedLogProbs2V = tf.tidy(() => {
    const constant = tf.stack([tf.zeros([D]), tf.tensor1d(meanD)]).reshape([2, 1, D]) as tf.Tensor3D;
    return tf.logSoftmax(model.logitsFromResidual(constant, layer).reshape([2, V]));
  });
  const recon = new ReconstructionStats(D, sae.nLatents);
  // Sums over positions: NLL clean, spliced, zero, mean; KL spliced, zero, mean.
  const totals = new Float64Array(7);
  try {
    for (let w0 = 0; w0 < starts.length; w0 += batchWindows) {
      const B = Math.min(batchWindows, starts.length - w0);
      const windowStarts = starts.slice(w0, w0 + B);
      const idsT = tf.tensor2d(windowIds(tokens, windowStarts, T, 0), [B, T], 'int32');
      const targetsT = tf.tensor1d(windowIds(tokens, windowStarts, T, 1), 'int32');
      const residBTD = model.residualStream(idsT, layer);
      const xBD = residBTD.reshape([B * T, D]) as tf.Tensor2D;
      const latents = sae.encode(xBD);
      const xhatBD = sae.decode(latents);
      const sumsT = tf.tidy(() => {
        const logProbs = (r: tf.Tensor) =>
          tf.logSoftmax(model.logitsFromResidual(r.reshape([B, T, D]) as tf.Tensor3D, layer).reshape([B * T, V]));
        const clean = logProbs(residBTD);
        const [zero, mean] = tf.unstack(ablatedLogProbs2V).map((row) => row.reshape([1, V]));
        const variants = [logProbs(xhatBD), zero, mean];
        const targetsOneHot = tf.oneHot(targetsT, V);
        const nll = (lp: tf.Tensor) => lp.mul(targetsOneHot).sum().neg();
        const pClean = clean.exp();
        const kl = (lp: tf.Tensor) => pClean.mul(clean.sub(lp)).sum();
        return tf.stack([nll(clean), ...variants.map(nll), ...variants.map(kl)]);
      });
      const [sums, x, xhat, rows] = await Promise.all([
        sumsT.data(),
        xBD.data(),
        xhatBD.data(),
        latentRowsOf(latents, sae.nLatents),
      ]);
      tf.dispose([idsT, targetsT, residBTD, xBD, xhatBD, sumsT]);
      disposeLatents(latents);
      for (let i = 0; i < 7; i++) totals[i] += sums[i];
      recon.add(x, xhat, rows);
      options.onBatch?.({ windowStarts, T, latents: rows });
      options.onProgress?.(w0 + B, starts.length);
    }
  } finally {
    ablatedLogProbs2V.dispose();
  }
  const P = starts.length * T;
  const [clean, spliced, zero, mean, klSpliced, klZero, klMean] = Array.from(totals, (v) => v / P);
  return {
    splice: {
      layer,
      chars: P,
      cleanLoss: clean,
      splicedLoss: spliced,
      zeroAblatedLoss: zero,
      meanAblatedLoss: mean,
      lossRecovered: (zero - spliced) / (zero - clean),
      lossRecoveredMeanAblation: (mean - spliced) / (mean - clean),
      klSpliced,
      klZeroAblated: klZero,
      klMeanAblated: klMean,
      klScore: (klZero - klSpliced) / klZero,
      klScoreMeanAblation: (klMean - klSpliced) / klMean,
    },
    reconstruction: recon.result(),
    density: Array.from(recon.density()),
  };
}

/** Token ids of the windows, shifted by `offset` (0: inputs, 1: targets), row-major [B, T]. */
export function windowIds(tokens: Int32Array, starts: ArrayLike<number>, T: number, offset: number): Int32Array {
  const out = new Int32Array(starts.length * T);
  for (let b = 0; b < starts.length; b++) out.set(tokens.subarray(starts[b] + offset, starts[b] + offset + T), b * T);
  return out;
}

/** Disposes the tensors of a `Latents` record. */
export function disposeLatents(latents: { kind: string } & Record<string, unknown>): void {
  for (const v of Object.values(latents)) if (v instanceof tf.Tensor && !v.isDisposed) v.dispose();
}
