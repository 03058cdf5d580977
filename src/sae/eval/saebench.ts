/**
 * The core metrics in SAEBench's result layout (adamkarvonen/SAEBench,
 * `sae_bench/evals/core/eval_output.py` and `evals/base_eval_output.py`; the TypeScript types in
 * `sae_bench/evals_outputs_typescript_types/` mirror them), so results from this package sit
 * beside published ones. Fields:
 *
 *   eval_type_id "core", eval_config, eval_id, datetime_epoch_millis,
 *   eval_result_metrics:
 *     model_behavior_preservation     kl_div_score, kl_div_with_ablation, kl_div_with_sae
 *     model_performance_preservation  ce_loss_score, ce_loss_with_ablation, ce_loss_with_sae, ce_loss_without_sae
 *     reconstruction_quality          explained_variance, mse, cossim
 *     shrinkage                       l2_norm_in, l2_norm_out, l2_ratio, relative_reconstruction_bias
 *     sparsity                        l0, l1
 *     token_stats                     total_tokens_eval_reconstruction, total_tokens_eval_sparsity_variance
 *     misc_metrics                    freq_over_1_percent, freq_over_10_percent, average_max_decoder_cosine_sim,
 *                                     frac_alive (the subset of later SAEBench versions' misc metrics we compute)
 *   eval_result_details: per latent index, feature_density, consistent_activation_heuristic,
 *     encoder_bias, encoder_norm, encoder_decoder_cosine_sim
 *   sae_bench_commit_hash, sae_lens_id, sae_lens_release_id, sae_lens_version (null: not run by
 *   SAEBench), sae_cfg_dict, eval_result_unstructured.
 *
 * Mapping: the ablation is the zero ablation (SAEBench's), tokens are characters, "prompts" are
 * the held-out windows; consistent_activation_heuristic = (positions a latent fires on) / (windows
 * in which it fires at least once), SAEBench's "average number of tokens per prompt that activate".
 */
import * as tf from '@tensorflow/tfjs';
import type { SparseAutoencoder } from '../base';
import { saeConfigOf } from '../create';
import type { ReconstructionMetrics } from './reconstruction';
import type { SpliceMetrics } from './splice';

/** Per-latent detail of SAEBench's core output. */
export interface SaeBenchFeatureDetail {
  index: number;
  feature_density: number;
  consistent_activation_heuristic: number;
  encoder_bias: number;
  encoder_norm: number;
  encoder_decoder_cosine_sim: number;
}

/** SAEBench's core result file (`CoreEvalOutput`). */
export interface SaeBenchCoreOutput {
  eval_type_id: 'core';
  eval_config: Record<string, string | number | boolean>;
  eval_id: string;
  datetime_epoch_millis: number;
  eval_result_metrics: {
    model_behavior_preservation: { kl_div_score: number; kl_div_with_ablation: number; kl_div_with_sae: number };
    model_performance_preservation: {
      ce_loss_score: number;
      ce_loss_with_ablation: number;
      ce_loss_with_sae: number;
      ce_loss_without_sae: number;
    };
    reconstruction_quality: { explained_variance: number; mse: number; cossim: number };
    shrinkage: { l2_norm_in: number; l2_norm_out: number; l2_ratio: number; relative_reconstruction_bias: number };
    sparsity: { l0: number; l1: number };
    token_stats: { total_tokens_eval_reconstruction: number; total_tokens_eval_sparsity_variance: number };
    misc_metrics: {
      freq_over_1_percent: number;
      freq_over_10_percent: number;
      average_max_decoder_cosine_sim: number;
      frac_alive: number;
    };
  };
  eval_result_details: SaeBenchFeatureDetail[];
  sae_bench_commit_hash: string;
  sae_lens_id: string | null;
  sae_lens_release_id: string | null;
  sae_lens_version: string | null;
  sae_cfg_dict: Record<string, unknown>;
  eval_result_unstructured: null;
}

/** Inputs of `saeBenchCore`. */
export interface SaeBenchInput {
  sae: SparseAutoencoder;
  splice: SpliceMetrics;
  reconstruction: ReconstructionMetrics;
  /** Fraction of positions each latent fires on [N]. */
  density: ArrayLike<number>;
  /** Windows in which each latent fired at least once [N]. */
  windowsFired: ArrayLike<number>;
  /** Decoder rows in input units [N, D]. */
  decoder: Float32Array;
  modelName: string;
  hookName: string;
  datasetName: string;
  contextSize: number;
  batchSizePrompts: number;
  datetimeEpochMillis?: number;
  evalId?: string;
}

/** Per-latent encoder norm, bias and encoder/decoder cosine, and the mean max decoder cosine to another latent. */
export async function encoderDecoderStats(
  sae: SparseAutoencoder,
  decoder: Float32Array,
): Promise<{
  encoderNorm: Float32Array;
  encoderBias: Float32Array;
  encDecCos: Float32Array;
  avgMaxDecoderCos: number;
}> {
  const N = sae.nLatents;
  const D = sae.dIn;
  const [normT, cosT, biasT] = tf.tidy(() => {
    const wEncND = sae.params.get('W_enc').transpose();
    const dec = tf.tensor2d(decoder, [N, D]);
    const encNorm = wEncND.square().sum(1).sqrt();
    const decNorm = dec.square().sum(1).sqrt();
    const cos = wEncND.mul(dec).sum(1).div(encNorm.mul(decNorm).add(1e-12));
    return [encNorm, cos, sae.params.get('b_enc').clone()];
  });
  // Max cosine of each decoder row with any other row, 512 rows at a time.
  let sumMax = 0;
  const unit = tf.tidy(() => {
    const dec = tf.tensor2d(decoder, [N, D]);
    return dec.div(dec.square().sum(1, true).sqrt().add(1e-12));
  });
  const unitT = tf.tidy(() => unit.transpose());
  for (let start = 0; start < N; start += 512) {
    const n = Math.min(512, N - start);
    const maxT = tf.tidy(() => {
      const sim = unit.slice([start, 0], [n, D]).matMul(unitT);
      const self = tf.oneHot(tf.range(start, start + n, 1, 'int32'), N).mul(4); // exclude the latent itself
      return sim.sub(self).max(1).sum();
    });
    sumMax += (await maxT.data())[0];
    maxT.dispose();
  }
  tf.dispose([unit, unitT]);
  const [encoderNorm, encDecCos, encoderBias] = (await Promise.all([
    normT.data(),
    cosT.data(),
    biasT.data(),
  ])) as Float32Array[];
  tf.dispose([normT, cosT, biasT]);
  return { encoderNorm, encoderBias, encDecCos, avgMaxDecoderCos: N > 1 ? sumMax / N : 0 };
}

/** The core record in SAEBench's layout. */
export async function saeBenchCore(input: SaeBenchInput): Promise<SaeBenchCoreOutput> {
  const { sae, splice, reconstruction: r, density, windowsFired } = input;
  const N = sae.nLatents;
  const stats = await encoderDecoderStats(sae, input.decoder);
  let over1 = 0;
  let over10 = 0;
  for (let j = 0; j < N; j++) {
    if (density[j] > 0.01) over1++;
    if (density[j] > 0.1) over10++;
  }
  const details: SaeBenchFeatureDetail[] = Array.from({ length: N }, (_, j) => ({
    index: j,
    feature_density: density[j],
    consistent_activation_heuristic: windowsFired[j] > 0 ? (density[j] * r.inputs) / windowsFired[j] : 0,
    encoder_bias: stats.encoderBias[j],
    encoder_norm: stats.encoderNorm[j],
    encoder_decoder_cosine_sim: stats.encDecCos[j],
  }));
  const datetime = input.datetimeEpochMillis ?? Date.now();
  return {
    eval_type_id: 'core',
    eval_config: {
      model_name: input.modelName,
      llm_dtype: 'float32',
      batch_size_prompts: input.batchSizePrompts,
      n_eval_reconstruction_batches: Math.ceil(splice.chars / input.contextSize / input.batchSizePrompts),
      n_eval_sparsity_variance_batches: Math.ceil(splice.chars / input.contextSize / input.batchSizePrompts),
      dataset: input.datasetName,
      context_size: input.contextSize,
      compute_kl: true,
      compute_ce_loss: true,
      compute_l2_norms: true,
      compute_sparsity_metrics: true,
      compute_variance_metrics: true,
      compute_featurewise_density_statistics: true,
      compute_featurewise_weight_based_metrics: true,
      exclude_special_tokens_from_reconstruction: false,
      verbose: false,
    },
    eval_id: input.evalId ?? `gensparse-core-${datetime}`,
    datetime_epoch_millis: datetime,
    eval_result_metrics: {
      model_behavior_preservation: {
        kl_div_score: splice.klScore,
        kl_div_with_ablation: splice.klZeroAblated,
        kl_div_with_sae: splice.klSpliced,
      },
      model_performance_preservation: {
        ce_loss_score: splice.lossRecovered,
        ce_loss_with_ablation: splice.zeroAblatedLoss,
        ce_loss_with_sae: splice.splicedLoss,
        ce_loss_without_sae: splice.cleanLoss,
      },
      reconstruction_quality: { explained_variance: r.explainedVariance, mse: r.mse, cossim: r.cosine },
      shrinkage: {
        l2_norm_in: r.l2NormIn,
        l2_norm_out: r.l2NormOut,
        l2_ratio: r.l2Ratio,
        relative_reconstruction_bias: r.relativeReconstructionBias,
      },
      sparsity: { l0: r.l0, l1: r.l1 },
      token_stats: { total_tokens_eval_reconstruction: splice.chars, total_tokens_eval_sparsity_variance: r.inputs },
      misc_metrics: {
        freq_over_1_percent: over1 / N,
        freq_over_10_percent: over10 / N,
        average_max_decoder_cosine_sim: stats.avgMaxDecoderCos,
        frac_alive: r.fractionAlive,
      },
    },
    eval_result_details: details,
    sae_bench_commit_hash: 'none: written by gensparse',
    sae_lens_id: null,
    sae_lens_release_id: null,
    sae_lens_version: null,
    sae_cfg_dict: {
      architecture: sae.architecture,
      d_in: sae.dIn,
      d_sae: N,
      hook_name: input.hookName,
      model_name: input.modelName,
      context_size: input.contextSize,
      gensparse: saeConfigOf(sae),
    },
    eval_result_unstructured: null,
  };
}
