import { createSae } from '../../../src/sae/create';
import { decoderDirections } from '../../../src/sae/eval/latent-rows';
import type { ReconstructionMetrics } from '../../../src/sae/eval/reconstruction';
import { encoderDecoderStats, saeBenchCore } from '../../../src/sae/eval/saebench';
import type { SpliceMetrics } from '../../../src/sae/eval/splice';

describe('SAEBench core layout', () => {
  test('encoder/decoder statistics equal naive loops', async () => {
    const sae = createSae({ architecture: 'relu-l1', dIn: 5, nLatents: 7, tiedInit: false, seed: 3 });
    const decoder = await decoderDirections(sae);
    const s = await encoderDecoderStats(sae, decoder);
    const wEnc = (await sae.params.get('W_enc').array()) as number[][];
    const row = (j: number) => Array.from(decoder.subarray(j * 5, (j + 1) * 5));
    const norm = (v: number[]) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
    let sumMax = 0;
    for (let j = 0; j < 7; j++) {
      const enc = wEnc.map((r) => r[j]);
      expect(s.encoderNorm[j]).toBeCloseTo(norm(enc), 5);
      const dot = enc.reduce((a, e, k) => a + e * row(j)[k], 0);
      expect(s.encDecCos[j]).toBeCloseTo(dot / (norm(enc) * norm(row(j))), 5);
      let best = -Infinity;
      for (let i = 0; i < 7; i++) {
        if (i === j) continue;
        const c = row(i).reduce((a, v, k) => a + v * row(j)[k], 0) / (norm(row(i)) * norm(row(j)));
        best = Math.max(best, c);
      }
      sumMax += best;
    }
    expect(s.avgMaxDecoderCos).toBeCloseTo(sumMax / 7, 5);
    sae.dispose();
  });

  test('metrics land in the documented fields; per-latent details and frequencies are consistent', async () => {
    const sae = createSae({ architecture: 'topk', dIn: 4, nLatents: 6, k: 2, seed: 1 });
    const splice: SpliceMetrics = {
      layer: 1,
      chars: 640,
      cleanLoss: 1.9,
      splicedLoss: 2.1,
      zeroAblatedLoss: 8,
      meanAblatedLoss: 3.4,
      lossRecovered: (8 - 2.1) / (8 - 1.9),
      lossRecoveredMeanAblation: (3.4 - 2.1) / (3.4 - 1.9),
      klSpliced: 0.2,
      klZeroAblated: 6,
      klMeanAblated: 1.5,
      klScore: (6 - 0.2) / 6,
      klScoreMeanAblation: (1.5 - 0.2) / 1.5,
    };
    const reconstruction: ReconstructionMetrics = {
      inputs: 640,
      explainedVariance: 0.8,
      fvu: 0.2,
      mse: 0.1,
      cosine: 0.9,
      l2NormIn: 10,
      l2NormOut: 9,
      l2Ratio: 0.9,
      relativeReconstructionBias: 0.95,
      l0: 2,
      l1: 5,
      fractionAlive: 5 / 6,
    };
    const density = [0.5, 0.2, 0.05, 0.005, 0.245, 0];
    const windowsFired = [10, 8, 4, 2, 9, 0];
    const out = await saeBenchCore({
      sae,
      splice,
      reconstruction,
      density,
      windowsFired,
      decoder: await decoderDirections(sae),
      modelName: 'gensparse-char-lm',
      hookName: 'resid_post.1',
      datasetName: 'held-out',
      contextSize: 64,
      batchSizePrompts: 32,
      datetimeEpochMillis: 1,
    });
    const m = out.eval_result_metrics;
    expect(out.eval_type_id).toBe('core');
    expect(m.model_performance_preservation).toEqual({
      ce_loss_score: splice.lossRecovered,
      ce_loss_with_ablation: 8,
      ce_loss_with_sae: 2.1,
      ce_loss_without_sae: 1.9,
    });
    expect(m.model_behavior_preservation).toEqual({
      kl_div_score: splice.klScore,
      kl_div_with_ablation: 6,
      kl_div_with_sae: 0.2,
    });
    expect(m.reconstruction_quality).toEqual({ explained_variance: 0.8, mse: 0.1, cossim: 0.9 });
    expect(m.shrinkage).toEqual({ l2_norm_in: 10, l2_norm_out: 9, l2_ratio: 0.9, relative_reconstruction_bias: 0.95 });
    expect(m.sparsity).toEqual({ l0: 2, l1: 5 });
    expect(m.misc_metrics.freq_over_1_percent).toBeCloseTo(4 / 6, 12);
    expect(m.misc_metrics.freq_over_10_percent).toBeCloseTo(3 / 6, 12);
    expect(m.misc_metrics.frac_alive).toBeCloseTo(5 / 6, 12);
    expect(out.eval_result_details[0].consistent_activation_heuristic).toBeCloseTo((0.5 * 640) / 10, 10);
    expect(out.eval_result_details[5].consistent_activation_heuristic).toBe(0);
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
    sae.dispose();
  });
});
