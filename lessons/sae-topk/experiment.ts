/**
 * Lesson 5's experiment, shared by the page and the script: TopK SAEs (Gao et al. 2024, "Scaling
 * and evaluating sparse autoencoders", arXiv:2406.04093) on the running example of lesson 4. Two
 * SAEs train side by side on the same data and seed, one with tied initialisation
 * (W_enc = W_dec^T) and one without, with AuxK on or off for both; probes count dead latents over
 * a window, compare the recovered directions, and measure the unit-norm decoder step. The frontier
 * of lesson 4 gains the tied run's point when a run finishes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ChartSpec } from '../../src/charts/spec';
import { CHART_COLORS } from '../../src/charts/spec';
import type { MetricHistory } from '../../src/core/train';
import { defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';
import { removeParallelGrad } from '../../src/sae';
import { FrontierRuns, currentRunPoint, frontierChart } from '../../src/lesson/sae-frontier';
import { type Probe, TOY, ToyRun, topkRun } from '../../src/lesson/sae-toy';

/** Steps of one run: the page's run and the script's full run (as lesson 4's). */
export const STEPS = 1000;

/** Two TopK SAEs, tied and untied initialisation, on the same data stream and weight seed. */
export class TiedPair {
  private constructor(
    readonly tied: ToyRun,
    readonly untied: ToyRun,
  ) {}

  static async create(k: number, steps: number, seed: number, auxK: boolean): Promise<TiedPair> {
    const tied = await ToyRun.create(topkRun(k, steps, seed, true, auxK));
    try {
      return new TiedPair(tied, await ToyRun.create(topkRun(k, steps, seed, false, auxK)));
    } catch (e) {
      tied.dispose();
      throw e;
    }
  }

  /** One step of each; metrics prefixed `tied.` and `untied.`. */
  async oneStep(): Promise<Record<string, tf.Scalar | number>> {
    const out: Record<string, tf.Scalar | number> = {};
    for (const [name, exp] of [
      ['tied', this.tied],
      ['untied', this.untied],
    ] as const) {
      const r = (await exp.oneStep()) ?? {};
      for (const [k, v] of Object.entries(r)) out[`${name}.${k}`] = v;
    }
    return out;
  }

  async probe(): Promise<{ tied: Probe; untied: Probe }> {
    return { tied: await this.tied.probe(), untied: await this.untied.probe() };
  }

  dispose(): void {
    this.tied.dispose();
    this.untied.dispose();
  }
}

/**
 * The unit-norm decoder step on one batch (Bricken et al. 2023; Gao et al. 2024):
 * the share of the W_dec gradient that points along the rows d_i (radial) before and after
 * g_i <- g_i - (g_i . d_i) d_i, and the largest | ||d_i|| - 1 | of the current decoder.
 */
export async function decoderStepProbe(
  exp: ToyRun,
): Promise<{ radialBefore: number; radialAfter: number; maxNormError: number }> {
  const sae = exp.sae;
  const B = TOY.batchSize;
  const x = tf.tensor2d(exp.heldOut.x.subarray(0, B * TOY.dim), [B, TOY.dim]);
  const { loss, grads } = sae.params.gradients(() => {
    const out = sae.forward(x);
    return out.loss;
  });
  const vals = tf.tidy(() => {
    const w = sae.wDecND as tf.Tensor2D;
    const g = grads.W_dec as tf.Tensor2D;
    const radialShare = (gr: tf.Tensor2D) => w.mul(gr.mul(w).sum(1, true)).norm().div(gr.norm().add(1e-30));
    const norms = w.square().sum(1).sqrt();
    return tf.stack([radialShare(g), radialShare(removeParallelGrad(g, w)), norms.sub(1).abs().max()]);
  });
  const v = await vals.data();
  tf.dispose([x, loss, vals, ...Object.values(grads)]);
  return { radialBefore: v[0], radialAfter: v[1], maxNormError: v[2] };
}

/** Best decoder cosine of each true feature, sorted, for both runs of the pair. */
export function pairRecoveryChart(tied: ArrayLike<number>, untied: ArrayLike<number>, title: string): ChartSpec {
  const sorted = (c: ArrayLike<number>) =>
    Array.from(c)
      .sort((a, b) => b - a)
      .map((v, i) => [i, v] as [number, number]);
  return {
    title,
    kind: 'line',
    x: { title: 'true feature (sorted by best cosine)' },
    y: { title: 'best cosine with a decoder row', max: 1 },
    series: [
      { name: 'tied init', color: CHART_COLORS[1], points: sorted(tied) },
      { name: 'untied init', color: CHART_COLORS[0], points: sorted(untied) },
      {
        name: 'cos = 0.9 (recovered)',
        dashed: true,
        color: CHART_COLORS[6],
        points: [
          [0, 0.9],
          [TOY.numFeatures - 1, 0.9],
        ],
      },
    ],
  };
}

/** The dead fraction over training of the pair (from the trainers' windowed counts). */
export function deadChart(history: MetricHistory, title: string, ghosts: ChartSpec['series'] = []): ChartSpec {
  const series = (name: string, key: string, color: string) => ({
    name,
    kind: 'line' as const,
    color,
    points: history.series(key).map((p) => [p.step + 1, p.value] as [number, number]),
  });
  return {
    title,
    kind: 'line',
    x: { title: 'training step' },
    y: { title: `dead fraction (no firing in ${TOY.deadWindow} inputs)`, min: 0, max: 1 },
    series: [
      ...ghosts,
      series('tied init', 'tied.deadFraction', CHART_COLORS[1]),
      series('untied init', 'untied.deadFraction', CHART_COLORS[0]),
    ],
  };
}

/** Lesson 5's experiment, recording its finished runs in `frontier`. */
export function saeTopkExperiment(frontier: FrontierRuns) {
  return defineExperiment({
    title: 'TopK SAEs side by side: tied against untied initialisation',
    settings: {
      k: { kind: 'int', label: 'k (active latents per input)', default: 4, min: 1, max: 32, slider: 'log' },
      auxK: { kind: 'bool', label: 'AuxK (dead latents reconstruct the residual)', default: true },
      seed: seedSetting(1),
    },
    metrics: {
      chart: ['tied.loss', 'untied.loss'],
      yTitle: 'loss: FVU of the batch (+ AuxK / 32)',
      log: true,
      readout: [
        'tied.fvu',
        'untied.fvu',
        'tied.deadFraction',
        'untied.deadFraction',
        'tiedRecovered',
        'untiedRecovered',
      ],
      names: {
        'tied.loss': 'loss, tied init',
        'untied.loss': 'loss, untied init',
        'tied.fvu': 'FVU, tied',
        'untied.fvu': 'FVU, untied',
        'tied.deadFraction': 'dead, tied',
        'untied.deadFraction': 'dead, untied',
        tiedRecovered: 'recovered, tied',
        untiedRecovered: 'recovered, untied',
      },
    },
    figures: {
      dead: {
        title: 'Dead latents over training',
        caption: `A latent is dead when it fired on none of the last ${TOY.deadWindow} inputs (10 batches).`,
      },
      recovery: {
        title: 'Recovered directions, tied against untied',
        caption: 'Best cosine of each of the 64 true directions with any decoder row.',
      },
      frontier: {
        title: 'The MSE/L0 frontier with TopK (runs kept across lessons 4-6)',
        caption: 'A finished run adds its tied SAE as a TopK point beside your ReLU + L1 runs of lesson 4.',
      },
    },
    logEvery: 10,
    maxSteps: STEPS,
    async create(ctx) {
      const s = ctx.settings;
      const pair = await TiedPair.create(s.k, STEPS, s.seed, s.auxK);
      ctx.note(
        `Two TopK SAEs (k = ${s.k}) on the same ${TOY.numFeatures}-feature toy and seed; only the encoder's ` +
          `initialisation differs. AuxK ${s.auxK ? 'on' : 'off'}.`,
      );
      let probe: { tied: Probe; untied: Probe } | null = null;
      let recorded = false;
      return {
        pair,
        async oneStep(i) {
          const r = await pair.oneStep();
          if ((i + 1) % 100 !== 0 && i + 1 < STEPS) return r;
          probe = await pair.probe();
          return { ...r, tiedRecovered: probe.tied.recovered, untiedRecovered: probe.untied.recovered };
        },
        async probes(history) {
          probe = await pair.probe();
          if (pair.tied.step >= STEPS && !recorded) {
            recorded = true;
            frontier.record({ l0: probe.tied.l0, fvu: probe.tied.fvu, architecture: 'topk', label: `k=${s.k}` });
          }
          return {
            dead: deadChart(history, `k = ${s.k}, AuxK ${s.auxK ? 'on' : 'off'}`),
            recovery: pairRecoveryChart(
              probe.tied.maxCosine,
              probe.untied.maxCosine,
              `recovered at cos >= 0.9: tied ${probe.tied.recovered}, untied ${probe.untied.recovered} of ${TOY.numFeatures}`,
            ),
            frontier: frontierChart(
              frontier.points(),
              recorded ? [] : [currentRunPoint(`this run, tied (step ${pair.tied.step})`, probe.tied)],
            ),
          };
        },
        diagram: () => [
          { label: 'x', shape: [TOY.batchSize, TOY.dim], role: 'data' as const },
          { label: 'W_enc (= W_dec^T at init, or not)', shape: [TOY.dim, TOY.nLatents], role: 'map' as const },
          { label: 'f = ReLU(topk(z, k))', shape: [TOY.batchSize, s.k], role: 'latent' as const },
          { label: 'W_dec (unit rows)', shape: [TOY.nLatents, TOY.dim], role: 'map' as const },
          { label: 'FVU + AuxK / 32', shape: [], role: 'loss' as const },
        ],
        dispose: () => pair.dispose(),
      };
    },
  });
}

/** The experiment with its runs kept in memory (the script, the tests); the page gives it the browser's store (panel.ts). */
export default saeTopkExperiment(new FrontierRuns());
