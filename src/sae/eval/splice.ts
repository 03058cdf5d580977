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
import { ConfigError, InputError, checkInt } from '../../base/errors';
import { type CharLm, windowIds } from '../../data/lm/char-lm';

export { windowIds } from '../../data/lm/char-lm';
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

/**
 * The loss-side metrics of any splice (JSON-able): the model's loss with the original activation,
 * with the replacement, and with the two ablations, and what the replacement recovers.
 */
export interface SpliceLosses {
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

/** The model-side core metrics of a residual-stream splice (JSON-able). */
export interface SpliceMetrics extends SpliceLosses {
  layer: number;
}

/** The per-position means of a splice pass (mean NLLs, mean KLs to the clean model) as `SpliceLosses`. */
export function spliceLosses(m: {
  chars: number;
  clean: number;
  spliced: number;
  zero: number;
  mean: number;
  klSpliced: number;
  klZero: number;
  klMean: number;
}): SpliceLosses {
  return {
    chars: m.chars,
    cleanLoss: m.clean,
    splicedLoss: m.spliced,
    zeroAblatedLoss: m.zero,
    meanAblatedLoss: m.mean,
    lossRecovered: fractionRecovered(m.zero, m.spliced, m.clean),
    lossRecoveredMeanAblation: fractionRecovered(m.mean, m.spliced, m.clean),
    klSpliced: m.klSpliced,
    klZeroAblated: m.klZero,
    klMeanAblated: m.klMean,
    klScore: fractionRecovered(m.klZero, m.klSpliced, 0),
    klScoreMeanAblation: fractionRecovered(m.klMean, m.klSpliced, 0),
  };
}

/** What `spliceEvaluate` returns. */
export interface SpliceResult {
  splice: SpliceMetrics;
  reconstruction: ReconstructionMetrics;
  /** Fraction of positions each latent fires on [N]. */
  density: number[];
}

/**
 * The fraction of the ablation's damage a patch undoes: (L_ablated - L_patched) / (L_ablated - L_clean).
 * With L_clean = 0 and KLs for losses it is SAEBench's KL score, (KL_ablated - KL_patched) / KL_ablated.
 */
export function fractionRecovered(ablated: number, patched: number, clean: number): number {
  return (ablated - patched) / (ablated - clean);
}

/** Window starts of the held-out pass: floor(min(len - 1, maxChars) / T) windows of T. */
export function spliceWindows(tokens: Int32Array, T: number, maxChars: number): Int32Array {
  const windows = Math.floor(Math.min(tokens.length - 1, maxChars) / T);
  if (windows < 1) throw new InputError('tokens', `need at least ${T + 1} tokens, got ${tokens.length}`);
  return Int32Array.from({ length: windows }, (_, w) => w * T);
}

/**
 * The mean over every position of the windows starting at `starts` of a per-position activation
 * [B, T, D] or [B*T, D] that `read(ids [B, T])` computes: a mean-ablation vector [D].
 */
export async function meanOverWindows(
  model: CharLm,
  tokens: Int32Array,
  starts: Int32Array,
  batchWindows: number,
  read: (ids: tf.Tensor2D) => tf.Tensor,
): Promise<Float32Array> {
  checkInt('batchWindows', batchWindows, 1);
  if (starts.length === 0) throw new InputError('starts', 'need at least one window to average over');
  const T = model.config.contextLength;
  const D = model.dModel;
  const sum = new Float64Array(D);
  for (let w0 = 0; w0 < starts.length; w0 += batchWindows) {
    const B = Math.min(batchWindows, starts.length - w0);
    const ids = windowIds(tokens, starts.subarray(w0, w0 + B), T, 0);
    const s = tf.tidy(() =>
      read(tf.tensor2d(ids, [B, T], 'int32'))
        .reshape([-1, D])
        .sum(0),
    );
    const data = await s.data();
    s.dispose();
    for (let j = 0; j < D; j++) sum[j] += data[j];
  }
  return Float32Array.from(sum, (v) => v / (starts.length * T));
}

/** Mean residual stream [D] at `layer` over the given windows (the mean-ablation vector). */
export async function meanResidual(
  model: CharLm,
  tokens: Int32Array,
  starts: Int32Array,
  layer: number,
  batchWindows = 32,
): Promise<Float32Array> {
  checkInt('layer', layer, 0, model.config.nLayers);
  return meanOverWindows(model, tokens, starts, batchWindows, (ids) => model.residualStream(ids, layer));
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
  if (sae.predictsTarget) {
    throw new ConfigError(
      'sae',
      `a '${sae.architecture}' replaces an MLP, not the residual stream: use spliceMlpEvaluate`,
    );
  }
  const starts = spliceWindows(tokens, T, checkInt('maxChars', options.maxChars ?? 65536, 1));
  if (options.meanActivation && options.meanActivation.length !== D)
    throw new InputError('meanActivation', `needs ${D} values, got ${options.meanActivation.length}`);
  const recon = new ReconstructionStats(D, sae.nLatents);
  // Per-position sums: NLL clean, NLL spliced, KL(clean || spliced), sum_v p log p (clean).
  const totals = new Float64Array(4);
  // A constant stream (zeros, or the mean at every position) gives the same log-probabilities
  // lp_abl at every position: causal attention over identical values returns that value, and
  // LayerNorm and the MLP act per position. So the ablated metrics need only two [V] sums,
  // and the mean can be taken in this same pass:
  //   sum_t NLL_t = -sum_v count(target = v) lp_abl(v)
  //   sum_t KL_t  = sum_t sum_v p_t log p_t - sum_v (sum_t p_t(v)) lp_abl(v)
  const targetCounts = new Float64Array(V);
  const pCleanSum = new Float64Array(V);
  const residSum = new Float64Array(D);
  for (let w0 = 0; w0 < starts.length; w0 += batchWindows) {
    const B = Math.min(batchWindows, starts.length - w0);
    const windowStarts = starts.slice(w0, w0 + B);
    const idsT = tf.tensor2d(windowIds(tokens, windowStarts, T, 0), [B, T], 'int32');
    const targetsT = tf.tensor1d(windowIds(tokens, windowStarts, T, 1), 'int32');
    const residBTD = model.residualStream(idsT, layer);
    const xBD = residBTD.reshape([B * T, D]) as tf.Tensor2D;
    const latents = sae.encode(xBD);
    const xhatBD = sae.decode(latents);
    const [sumsT, countsT, pSumT] = tf.tidy(() => {
      const logProbs = (r: tf.Tensor) =>
        tf.logSoftmax(model.logitsFromResidual(r.reshape([B, T, D]) as tf.Tensor3D, layer).reshape([B * T, V]));
      const clean = logProbs(residBTD);
      const spliced = logProbs(xhatBD);
      const targetsOneHot = tf.oneHot(targetsT, V);
      const pClean = clean.exp();
      return [
        tf.stack([
          clean.mul(targetsOneHot).sum().neg(),
          spliced.mul(targetsOneHot).sum().neg(),
          pClean.mul(clean.sub(spliced)).sum(),
          pClean.mul(clean).sum(),
        ]),
        targetsOneHot.sum(0),
        pClean.sum(0),
      ];
    });
    const [sums, counts, pSum, x, xhat, rows] = await Promise.all([
      sumsT.data(),
      countsT.data(),
      pSumT.data(),
      xBD.data(),
      xhatBD.data(),
      latentRowsOf(latents, sae.nLatents),
    ]);
    tf.dispose([idsT, targetsT, residBTD, xBD, xhatBD, sumsT, countsT, pSumT]);
    disposeLatents(latents);
    for (let i = 0; i < 4; i++) totals[i] += sums[i];
    for (let v = 0; v < V; v++) {
      targetCounts[v] += counts[v];
      pCleanSum[v] += pSum[v];
    }
    for (let r = 0; r < B * T; r++) for (let j = 0; j < D; j++) residSum[j] += x[r * D + j];
    recon.add(x, xhat, rows);
    options.onBatch?.({ windowStarts, T, latents: rows });
    options.onProgress?.(w0 + B, starts.length);
  }
  const P = starts.length * T;
  const meanD = options.meanActivation ?? Float32Array.from(residSum, (v) => v / P);
  const ablatedT = tf.tidy(() => {
    const constant = tf.stack([tf.zeros([D]), tf.tensor1d(meanD)]).reshape([2, 1, D]) as tf.Tensor3D;
    return tf.logSoftmax(model.logitsFromResidual(constant, layer).reshape([2, V]));
  });
  const ablated = await ablatedT.data();
  ablatedT.dispose();
  const ablatedSums = [0, 1].map((a) => {
    let nll = 0;
    let cross = 0;
    for (let v = 0; v < V; v++) {
      nll -= targetCounts[v] * ablated[a * V + v];
      cross += pCleanSum[v] * ablated[a * V + v];
    }
    return { nll, kl: totals[3] - cross };
  });
  const [clean, spliced, klSpliced] = [totals[0] / P, totals[1] / P, totals[2] / P];
  const [zero, mean] = ablatedSums.map((s) => s.nll / P);
  const [klZero, klMean] = ablatedSums.map((s) => s.kl / P);
  return {
    splice: { layer, ...spliceLosses({ chars: P, clean, spliced, zero, mean, klSpliced, klZero, klMean }) },
    reconstruction: recon.result(),
    density: Array.from(recon.density()),
  };
}

/** Disposes the tensors of a `Latents` record. */
export function disposeLatents(latents: { kind: string } & Record<string, unknown>): void {
  for (const v of Object.values(latents)) if (v instanceof tf.Tensor && !v.isDisposed) v.dispose();
}
