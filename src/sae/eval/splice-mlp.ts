/**
 * Splicing a transcoder in place of an MLP of the character model (Dunefsky et al. 2024,
 * arXiv:2406.11944, Sec. 4: a transcoder is judged by the loss of the model with its prediction
 * in place of the MLP's output; the "core" metrics of splice.ts, for an MLP instead of the
 * residual stream). Block l's MLP output MLP(h) is replaced at every position:
 *
 *   L_clean    the model as trained
 *   L_spliced  MLP(h) replaced by the transcoder's yhat(h)
 *   L_zero     MLP(h) replaced by 0 (zero ablation: the block adds only its attention)
 *   L_mean     MLP(h) replaced by its mean over the evaluation set (mean ablation)
 *   fraction of loss recovered = (L_ablated - L_spliced) / (L_ablated - L_clean)
 *   KL(clean || patched) per position, and KL score = (KL_ablated - KL_spliced) / KL_ablated
 *
 * Unlike the residual stream, an ablated MLP output does not make the rest of the model
 * constant (attention and the residual still differ by position), so each ablation runs the
 * model. The text is read as in splice.ts (consecutive windows of T). The reconstruction metrics
 * (explained variance = 1 - FVU of the MLP's output, L0, ...) compare yhat with MLP(h).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt } from '../../base/errors';
import { type CharLm, windowIds } from '../../data/lm/char-lm';
import type { TopKTranscoder } from '../transcoder';
import { latentRowsOf } from './latent-rows';
import { type ReconstructionMetrics, ReconstructionStats } from './reconstruction';
import { type SpliceLosses, disposeLatents, meanOverWindows, spliceLosses, spliceWindows } from './splice';

/** Options of `spliceMlpEvaluate`. */
export interface MlpSpliceOptions {
  /** The block whose MLP the transcoder replaces (0 .. nLayers - 1). */
  block: number;
  /** Characters predicted (rounded down to whole windows). Default 65,536. */
  maxChars?: number;
  /** Windows per forward pass. Default 32. */
  batchWindows?: number;
  /** Mean MLP output [D] for the mean ablation. Default: estimated over the same windows first. */
  meanOutput?: Float32Array;
  /** Called after every batch with windows done and the total. */
  onProgress?(done: number, total: number): void;
}

/** The model-side metrics of an MLP splice (JSON-able). */
export interface MlpSpliceMetrics extends SpliceLosses {
  block: number;
}

/** What `spliceMlpEvaluate` returns. */
export interface MlpSpliceResult {
  splice: MlpSpliceMetrics;
  /** yhat against the MLP's output (explainedVariance = 1 - FVU), and the latents' L0. */
  reconstruction: ReconstructionMetrics;
  /** Fraction of positions each latent fires on [N]. */
  density: number[];
}

/** Mean MLP output [D] of block `block` over the windows starting at `starts`. */
export async function meanMlpOutput(
  model: CharLm,
  tokens: Int32Array,
  starts: Int32Array,
  block: number,
  batchWindows = 32,
): Promise<Float32Array> {
  checkInt('block', block, 0, model.config.nLayers - 1);
  return meanOverWindows(model, tokens, starts, batchWindows, (ids) => model.mlpInputOutput(ids, block).outputND);
}

/** Runs the held-out pass with the transcoder in place of block `block`'s MLP. */
export async function spliceMlpEvaluate(
  model: CharLm,
  transcoder: TopKTranscoder,
  tokens: Int32Array,
  options: MlpSpliceOptions,
): Promise<MlpSpliceResult> {
  const T = model.config.contextLength;
  const D = model.dModel;
  const V = model.config.vocabSize;
  const block = checkInt('block', options.block, 0, model.config.nLayers - 1);
  const batchWindows = checkInt('batchWindows', options.batchWindows ?? 32, 1);
  if (transcoder.dIn !== D) throw new InputError('transcoder', `dIn ${transcoder.dIn} is not the model's width ${D}`);
  const starts = spliceWindows(tokens, T, checkInt('maxChars', options.maxChars ?? 65536, 1));
  if (options.meanOutput && options.meanOutput.length !== D)
    throw new InputError('meanOutput', `needs ${D} values, got ${options.meanOutput.length}`);
  const meanD = options.meanOutput ?? (await meanMlpOutput(model, tokens, starts, block, batchWindows));
  const recon = new ReconstructionStats(D, transcoder.nLatents);
  // NLL of clean, spliced, zero, mean; then KL(clean || .) of spliced, zero, mean.
  const totals = new Float64Array(7);
  for (let w0 = 0; w0 < starts.length; w0 += batchWindows) {
    const B = Math.min(batchWindows, starts.length - w0);
    const windowStarts = starts.subarray(w0, w0 + B);
    const idsT = tf.tensor2d(windowIds(tokens, windowStarts, T, 0), [B, T], 'int32');
    const { inputND, outputND } = model.mlpInputOutput(idsT, block);
    const latents = transcoder.encode(inputND);
    const yhatND = transcoder.transcode(inputND);
    const sumsT = tf.tidy(() => {
      const targetsOneHot = tf.oneHot(tf.tensor1d(windowIds(tokens, windowStarts, T, 1), 'int32'), V);
      const logProbs = (logits: tf.Tensor3D) => tf.logSoftmax(logits.reshape([B * T, V]));
      const clean = logProbs(model.logits(idsT));
      const patched = [
        logProbs(model.logitsWithMlp(idsT, block, () => yhatND)),
        logProbs(model.logitsWithMlp(idsT, block, (h) => tf.zerosLike(h))),
        logProbs(model.logitsWithMlp(idsT, block, (h) => tf.zerosLike(h).add(tf.tensor1d(meanD)))),
      ];
      const pClean = clean.exp();
      const nll = (lp: tf.Tensor) => lp.mul(targetsOneHot).sum().neg();
      const kl = (lp: tf.Tensor) => pClean.mul(clean.sub(lp)).sum();
      return tf.stack([nll(clean), ...patched.map(nll), ...patched.map(kl)]);
    });
    const [sums, y, yhat, rows] = await Promise.all([
      sumsT.data(),
      outputND.data(),
      yhatND.data(),
      latentRowsOf(latents, transcoder.nLatents),
    ]);
    tf.dispose([idsT, inputND, outputND, yhatND, sumsT]);
    disposeLatents(latents);
    for (let i = 0; i < totals.length; i++) totals[i] += sums[i];
    recon.add(y, yhat, rows);
    options.onProgress?.(w0 + B, starts.length);
  }
  const P = starts.length * T;
  const [clean, spliced, zero, mean, klSpliced, klZero, klMean] = Array.from(totals, (v) => v / P);
  return {
    splice: { block, ...spliceLosses({ chars: P, clean, spliced, zero, mean, klSpliced, klZero, klMean }) },
    reconstruction: recon.result(),
    density: Array.from(recon.density()),
  };
}
