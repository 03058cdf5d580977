import * as tf from '@tensorflow/tfjs';
import { ToyRun, topkRun } from '../../src/lesson/sae-toy';
import { decoderStepProbe } from '../../lessons/sae-topk/experiment';
import { runQuickChecked } from './quick-run';

test('the decoder-step probe: rows unit norm, the projected gradient has no radial part', async () => {
  const run = await ToyRun.create(topkRun(4, 20, 2));
  try {
    for (let i = 0; i < 5; i++) {
      const r = await run.oneStep();
      tf.dispose(Object.values(r ?? {}).filter((v): v is tf.Scalar => typeof v !== 'number'));
    }
    const before = tf.memory().numTensors;
    const p = await decoderStepProbe(run);
    expect(tf.memory().numTensors).toBe(before);
    expect(p.radialBefore).toBeGreaterThan(1e-3); // the raw gradient has a radial part
    expect(p.radialAfter).toBeLessThan(1e-5);
    expect(p.maxNormError).toBeLessThan(1e-5);
    // Row norms by a naive loop over the decoder.
    const w = await run.decoder();
    let worst = 0;
    for (let i = 0; i < w.length / 32; i++) {
      let s = 0;
      for (let j = 0; j < 32; j++) s += w[i * 32 + j] ** 2;
      worst = Math.max(worst, Math.abs(Math.sqrt(s) - 1));
    }
    expect(p.maxNormError).toBeCloseTo(worst, 5);
  } finally {
    run.dispose();
  }
});

describe('the script (quick)', () => {
  let metrics: Record<string, number>;
  let files: string[];
  beforeAll(async () => {
    ({ metrics, files } = await runQuickChecked('sae-topk'));
  }, 600_000);

  test('prints every number the narration quotes, all finite', () => {
    const quoted = [
      'topkK4Fvu',
      'topkK4L0',
      'topkK4GapToRelu',
      'topkK4Recovered',
      'recoveredTiedAuxK',
      'recoveredUntiedAuxK',
      'fvuTiedAuxK',
      'fvuUntiedAuxK',
      'fvuTiedNoAuxK',
      'deadTrainTiedAuxK',
      'deadTrainUntiedAuxK',
      'deadTrainTiedNoAuxK',
      'deadTrainUntiedNoAuxK',
      'radialShareBefore',
      'radialShareAfter',
      'maxDecoderNormError',
    ];
    for (const k of quoted) {
      expect(metrics).toHaveProperty(k);
      expect(Number.isFinite(metrics[k])).toBe(true);
    }
    expect(files).toEqual(
      expect.arrayContaining(['frontier.png', 'dead-latents.png', 'curves.png', 'recovery.png', 'metrics.json']),
    );
  });

  test('the directions the narration states', () => {
    // TopK at the true L0 sits below the ReLU + L1 frontier.
    expect(metrics.topkK4GapToRelu).toBeLessThan(0);
    expect(metrics.topkK4L0).toBeLessThanOrEqual(4);
    // Tied init: more directions recovered, lower FVU (AuxK on).
    expect(metrics.recoveredTiedAuxK).toBeGreaterThanOrEqual(metrics.recoveredUntiedAuxK);
    expect(metrics.fvuTiedAuxK).toBeLessThan(metrics.fvuUntiedAuxK);
    // On this toy (twice as many latents as features) the dead fraction went the other way, with and without AuxK...
    expect(metrics.deadTrainTiedAuxK).toBeGreaterThan(metrics.deadTrainUntiedAuxK);
    expect(metrics.deadTrainTiedNoAuxK).toBeGreaterThan(metrics.deadTrainUntiedNoAuxK);
    // ...and AuxK did not lower it.
    expect(metrics.deadTrainTiedAuxK).toBeGreaterThanOrEqual(metrics.deadTrainTiedNoAuxK);
    // The unit-norm step: no radial component after the projection, rows of unit norm.
    expect(metrics.radialShareAfter).toBeLessThan(1e-5);
    expect(metrics.radialShareBefore).toBeGreaterThan(1e-3);
    expect(metrics.maxDecoderNormError).toBeLessThan(1e-5);
  });
});
