/**
 * Lesson 10's experiment, shared by the page (in its training worker) and the Node script: a
 * TopK transcoder (Dunefsky, Chlenski & Nanda 2024, arXiv:2406.11944; src/sae/transcoder.ts)
 * trains live on the MLP of the shipped character model's second block. The model reads 64
 * random windows of the training text at a time (src/data/block-source.ts) and each step feeds
 * the transcoder the MLP's (input, output) pairs at every position of 8 of them: x = LN2(x_1'),
 * y = MLP(x).
 *
 * Probes, on held-out text (the same characters every time): the transcoder spliced in place of
 * the MLP (src/sae/eval/splice-mlp.ts): the model's loss as trained, with the MLP replaced by the
 * transcoder, by zero and by the MLP's mean output, the fractions of loss recovered, the FVU of
 * the MLP's output and the L0 of the transcoder's latents. The `skip` setting trains a skip
 * transcoder (Paulo, Shabalin & Belrose 2025, arXiv:2501.18823) instead.
 */
import * as tf from '@tensorflow/tfjs';
import type { ChartSpec } from '../../src/charts/spec';
import { CHART_COLORS } from '../../src/charts/spec';
import { ConfigError } from '../../src/base/errors';
import type { Rng } from '../../src/core/random';
import type { StepResult } from '../../src/core/train';
import { BlockSource } from '../../src/data/block-source';
import { type CharLm, sampleWindows } from '../../src/data/lm/char-lm';
import { CharVocab } from '../../src/data/lm/vocab';
import { defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';
import { spliceLossChart } from '../../src/lesson/splice-figures';
import { SaeTrainer, createSae } from '../../src/sae';
import { spliceWindows } from '../../src/sae/eval/splice';
import { type MlpSpliceMetrics, meanMlpOutput, spliceMlpEvaluate } from '../../src/sae/eval/splice-mlp';
import type { TopKTranscoder } from '../../src/sae/transcoder';

/** The run's fixed sizes (the settings pick the width, k, skip and the seed). */
export const TC = {
  /** The block (of 2, counting from 0) whose MLP the transcoder learns: the second. */
  block: 1,
  /** Windows of T = 64 characters whose pairs make one training batch (every position kept). */
  windowsPerStep: 8,
  /** Windows the model reads per run (8 batches): its fixed per-op cost paid once for 8 steps. */
  windowsPerRefill: 64,
  /** Windows whose pairs set b_dec and the input scale before the first step. */
  initWindows: 32,
  /** Held-out characters of every splice evaluation (64 windows of 64). */
  spliceChars: 4096,
  lr: 2e-3,
  steps: 600,
} as const;

/** One splice evaluation, at a training step. */
export interface TranscoderPoint extends MlpSpliceMetrics {
  step: number;
  /** Held-out FVU of the MLP's output: sum ||y - yhat||^2 / sum ||y - mean y||^2. */
  fvu: number;
  /** Held-out mean active latents per character. */
  l0: number;
  /** Fraction of latents that fired on no held-out character. */
  deadFraction: number;
}

export interface TranscoderRun {
  oneStep(i: number): Promise<StepResult>;
  probes(): Promise<Record<string, ChartSpec>>;
  diagram(): Array<{ label: string; shape: number[]; role: 'data' | 'map' | 'latent' | 'loss' }>;
  dispose(): void;
  /** Training step reached. */
  readonly step: number;
  /** Every splice evaluation so far, in step order. */
  readonly history: TranscoderPoint[];
  readonly model: CharLm;
  readonly transcoder: TopKTranscoder;
}

/** The MLP's (input, output) pairs at every position of `W` random windows of `tokens`: each [W T, D]. */
export async function mlpPairsOfWindows(
  model: CharLm,
  tokens: Int32Array,
  W: number,
  block: number,
  rng: Rng,
): Promise<{ inputs: Float32Array; targets: Float32Array }> {
  const T = model.config.contextLength;
  const idsBT = tf.tensor2d(sampleWindows(tokens, W, T, rng).ids, [W, T], 'int32');
  const { inputND, outputND } = model.mlpInputOutput(idsBT, block);
  const [inputs, targets] = (await Promise.all([inputND.data(), outputND.data()])) as Float32Array[];
  tf.dispose([idsBT, inputND, outputND]);
  return { inputs, targets };
}

export default defineExperiment({
  title: 'A TopK transcoder in place of the character model’s MLP',
  settings: {
    nLatents: {
      kind: 'int',
      label: 'latents N',
      default: 512,
      min: 128,
      max: 2048,
      slider: 'log',
      help: 'the dictionary size (the MLP maps D = 128 to 128 through 512 hidden units)',
    },
    k: { kind: 'int', label: 'active latents k', default: 8, min: 1, max: 32, slider: 'linear' },
    skip: {
      kind: 'bool',
      label: 'skip transcoder',
      default: false,
      help: 'add a learned linear term x W_skip^T to the prediction (Paulo et al. 2025)',
    },
    seed: seedSetting(1),
  },
  metrics: {
    chart: ['fvu'],
    yTitle: 'FVU of the MLP output (training batch)',
    log: true,
    readout: ['fvu', 'l0', 'deadFraction'],
    names: { fvu: 'FVU (training batch)', l0: 'L0', deadFraction: 'dead fraction' },
  },
  figures: {
    splice: {
      title: 'Splicing: the model’s loss with the transcoder in place of its MLP',
      caption:
        'Held-out cross-entropy: the model as trained, with the MLP replaced by the transcoder, by its mean output, and by zero.',
    },
    recovered: {
      title: 'Fraction of loss recovered, held-out FVU',
      caption: 'Against zero and against mean ablation; the FVU is of the MLP’s output on held-out text.',
      size: 'half',
    },
  },
  logEvery: 10,
  maxSteps: TC.steps,
  check(s) {
    return s.k > s.nLatents ? [`k: must be at most N = ${s.nLatents}, got ${s.k}`] : [];
  },
  async create(ctx): Promise<TranscoderRun> {
    const { nLatents: N, k, skip, seed } = ctx.settings;
    const data = ctx.data;
    if (!data.charLm || !data.charText) throw new ConfigError('data', 'this lesson needs the character model and text');
    const [model, trainText, heldOutText] = await Promise.all([
      data.charLm(),
      data.charText('train'),
      data.charText('heldOut'),
    ]);
    const vocab = new CharVocab();
    const trainTokens = vocab.encode(trainText);
    const heldOutTokens = vocab.encode(heldOutText);
    const T = model.config.contextLength;
    const D = model.dModel;
    const rowsPerStep = TC.windowsPerStep * T;
    // The trainer reads pairs the model computed ahead, TC.windowsPerRefill windows at a time.
    const stream = new BlockSource(D, () =>
      mlpPairsOfWindows(model, trainTokens, TC.windowsPerRefill, TC.block, ctx.rng),
    );
    let built: TopKTranscoder | null = null;
    let builtTrainer: SaeTrainer | null = null;
    let meanOutput: Float32Array;
    try {
      const architecture = skip ? 'skip-transcoder-topk' : 'transcoder-topk';
      built = createSae({ architecture, dIn: D, nLatents: N, k, seed }) as TopKTranscoder;
      builtTrainer = new SaeTrainer(built, stream, {
        steps: TC.steps,
        batchSize: rowsPerStep,
        lr: TC.lr,
        normalizeInput: true,
        initSamples: TC.initWindows * T,
      });
      await stream.fill(TC.initWindows * T);
      await builtTrainer.initialise();
      // The mean-ablation vector is the clean model's: computed once, not at every probe.
      meanOutput = await meanMlpOutput(model, heldOutTokens, spliceWindows(heldOutTokens, T, TC.spliceChars), TC.block);
    } catch (e) {
      // Nothing is left allocated when building fails.
      builtTrainer?.dispose();
      built?.dispose();
      model.dispose();
      throw e;
    }
    const transcoder = built;
    const trainer = builtTrainer;
    ctx.note(
      `${skip ? 'skip ' : ''}transcoder, N = ${N}, k = ${k}, on the MLP of block ${TC.block + 1} (D = ${D}); ${rowsPerStep} characters per step`,
    );

    let step = 0;
    const history: TranscoderPoint[] = [];
    const run: TranscoderRun = {
      history,
      model,
      transcoder,
      get step() {
        return step;
      },

      async oneStep(i) {
        await stream.fill(rowsPerStep);
        const out = await trainer.step();
        step = i + 1;
        return out;
      },

      async probes() {
        const res = await spliceMlpEvaluate(model, transcoder, heldOutTokens, {
          block: TC.block,
          maxChars: TC.spliceChars,
          meanOutput,
        });
        const point: TranscoderPoint = {
          ...res.splice,
          step,
          fvu: res.reconstruction.fvu,
          l0: res.reconstruction.l0,
          deadFraction: res.density.filter((d) => d === 0).length / N,
        };
        if (history.length && history[history.length - 1].step === step) history.pop();
        history.push(point);
        return figures(history);
      },

      diagram() {
        return [
          { label: 'text windows', shape: [TC.windowsPerStep, T], role: 'data' },
          { label: `MLP input LN2(x), block ${TC.block + 1}`, shape: [rowsPerStep, D], role: 'map' },
          { label: 'TopK encoder', shape: [rowsPerStep, k], role: 'latent' },
          { label: skip ? 'decoder + W_skip' : 'decoder', shape: [N, D], role: 'map' },
          { label: 'FVU of MLP(x)', shape: [1], role: 'loss' },
        ];
      },

      dispose() {
        trainer.dispose();
        transcoder.dispose();
        model.dispose();
      },
    };
    return run;
  },
});

/** The probe figures from the splice history. */
function figures(history: TranscoderPoint[]): Record<string, ChartSpec> {
  const s = history[history.length - 1];
  const pts = (f: (p: TranscoderPoint) => number): Array<[number, number]> => history.map((p) => [p.step, f(p)]);
  const splice = spliceLossChart(
    history,
    `step ${s.step}: clean ${s.cleanLoss.toFixed(3)}, spliced ${s.splicedLoss.toFixed(3)}, mean-ablated ${s.meanAblatedLoss.toFixed(3)} nats/char`,
    {
      spliced: 'spliced (MLP → transcoder)',
      meanAblated: 'mean-ablated (MLP → its mean output)',
      zeroAblated: 'zero-ablated (MLP → 0)',
    },
  );
  const recovered: ChartSpec = {
    title: `${(100 * s.lossRecoveredMeanAblation).toFixed(1)}% recovered (mean ablation), FVU ${s.fvu.toFixed(3)}`,
    kind: 'line',
    x: { title: 'training step' },
    y: { title: 'fraction' },
    series: [
      { name: 'recovered vs zero ablation', points: pts((p) => p.lossRecovered), color: CHART_COLORS[2] },
      { name: 'recovered vs mean ablation', points: pts((p) => p.lossRecoveredMeanAblation), color: CHART_COLORS[3] },
      { name: 'held-out FVU', points: pts((p) => p.fvu), color: CHART_COLORS[0] },
    ],
  };
  return { splice, recovered };
}
