import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/core/random';
import { createSae } from '../../../src/sae/create';
import { evaluateSaeFull, fullEvaluationSteps } from '../../../src/sae/eval/full';
import { spliceEvaluate } from '../../../src/sae/eval/splice';
import { TINY_LM, randomTokens, tinyLm } from './helpers';

describe('evaluateSaeFull', () => {
  test('one call: the parts agree with the separate functions, progress covers every step, no leaks', async () => {
    const model = tinyLm();
    const sae = createSae({ architecture: 'topk', dIn: TINY_LM.dModel, nLatents: 32, k: 4, seed: 1 });
    const twin = createSae({ architecture: 'topk', dIn: TINY_LM.dModel, nLatents: 32, k: 4, seed: 2 });
    const tokens = randomTokens(new Rng(3), 40 * TINY_LM.contextLength + 1);
    const steps: number[] = [];
    const before = tf.memory().numTensors;
    const r = await evaluateSaeFull(model, sae, {
      layer: 1,
      heldOutTokens: tokens,
      maxChars: 20 * TINY_LM.contextLength,
      batchWindows: 8,
      dashboardCount: 3,
      absorption: { maxChars: 300, probeSteps: 20 },
      steering: { alpha: 2, steps: 5 },
      compareWith: twin,
      callbacks: { onLog: (step) => void steps.push(step) },
    });
    expect(tf.memory().numTensors).toBe(before);
    const direct = await spliceEvaluate(model, sae, tokens, { layer: 1, maxChars: 20 * TINY_LM.contextLength });
    expect(r.core.splice.splicedLoss).toBeCloseTo(direct.splice.splicedLoss, 5);
    expect(r.core.reconstruction.explainedVariance).toBeCloseTo(direct.reconstruction.explainedVariance, 5);
    expect(r.saebench.eval_result_metrics.model_performance_preservation.ce_loss_with_sae).toBe(
      r.core.splice.splicedLoss,
    );
    expect(r.saebench.eval_result_details).toHaveLength(32);
    // Dashboards: the 3 most frequent latents, most frequent first.
    expect(r.dashboards).toHaveLength(3);
    const densities = r.dashboards.map((d) => d.density);
    expect(densities).toEqual([...densities].sort((a, b) => b - a));
    expect(r.dashboards[0].density).toBeCloseTo(
      Math.max(...r.saebench.eval_result_details.map((d) => d.feature_density)),
      12,
    );
    expect(r.steering).toHaveLength(3);
    expect(r.steering[0].completion).toHaveLength(5);
    expect(r.stability?.nLatentsA).toBe(32);
    expect(r.absorption?.parent).toBe('aeiou');
    const total = fullEvaluationSteps(model, tokens, 20 * TINY_LM.contextLength);
    expect(Math.max(...steps)).toBe(total - 1);
    expect(JSON.parse(JSON.stringify(r)).core).toEqual(r.core);
    sae.dispose();
    twin.dispose();
    model.dispose();
  });
});
