/**
 * Lesson 9's experiment, shared by the page (in its training worker) and the Node script: the
 * shipped character transformer (src/data/lm, 2 blocks of width 128) reads its training text,
 * and a TopK SAE (Gao et al. 2024, arXiv:2406.04093) trains live on its residual stream after
 * block 1, streamed (as SAE training on a language model does): the model reads 64 random
 * windows of text at a time (src/data/block-source.ts) and each step feeds the SAE the
 * activations of 8 of them.
 *
 * Probes, on held-out text (the same characters every time): splicing (the model's loss with the
 * residual replaced by the SAE's reconstruction, zero-ablated, and the fraction of loss recovered;
 * src/sae/eval/splice.ts), which also feeds the feature dashboards (src/sae/eval/dashboards.ts),
 * the latents' firing densities, and opposing decoder directions against the count expected for
 * random directions (src/analysis/opposing.ts).
 *
 * `query` answers the page's widgets: `search` (the latents that fire on each character of a
 * text), `dashboard` (one latent's page) and `steer` (text sampled with and without the latent's
 * decoder direction added to the residual stream, same seed).
 */
import * as tf from '@tensorflow/tfjs';
import { countBelow, expectedOpposingCount, minOtherCosines } from '../../src/analysis/opposing';
import type { ChartSpec } from '../../src/charts/spec';
import { CHART_COLORS, histogramPoints } from '../../src/charts/spec';
import { ConfigError, InputError, checkInt, checkNumber } from '../../src/base/errors';
import type { Rng } from '../../src/core/random';
import type { StepResult } from '../../src/core/train';
import { type CharLm, sampleWindows } from '../../src/data/lm/char-lm';
import { BlockSource } from '../../src/data/block-source';
import { CharVocab } from '../../src/data/lm/vocab';
import { defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';
import { spliceLossChart } from '../../src/lesson/splice-figures';
import { SaeTrainer, type TopKSae, createSae } from '../../src/sae';
import { DashboardCollector, type FeatureDashboard, logitEffects } from '../../src/sae/eval/dashboards';
import { decoderDirections, latentRowsOf } from '../../src/sae/eval/latent-rows';
import { type SpliceMetrics, disposeLatents, spliceEvaluate } from '../../src/sae/eval/splice';
import { generateSteered } from '../../src/sae/eval/steering';

/** The run's fixed sizes (the settings pick the SAE's width, k and seed). */
export const LM = {
  /** Residual stream after this many blocks (of 2): between the two blocks. */
  layer: 1,
  /** Windows of T = 64 characters whose activations make one training batch. */
  windowsPerStep: 8,
  /** Windows the model reads per run (8 batches): its fixed per-op cost paid once for 8 steps. */
  windowsPerRefill: 64,
  /** Each window keeps positions with at least this many characters before them (as CharLmActivations). */
  minContext: 16,
  /** Windows whose activations set b_dec and the input scale before the first step. */
  initWindows: 32,
  /** Held-out characters of every splice evaluation and dashboard pass (64 windows of 64). */
  spliceChars: 4096,
  lr: 2e-3,
  steps: 600,
  /** Characters the steering widget samples (one model pass each, with and without steering). */
  steerChars: 48,
  /** Latents listed per character by the search widget. */
  searchTop: 3,
} as const;

/** Opposing-direction thresholds on the most negative decoder cosine (Gao et al. 2024 use -0.9 and -0.7). */
export const OPPOSING = [0.9, 0.7, 0.5] as const;

/** One splice evaluation, at a training step. */
export interface SplicePoint extends SpliceMetrics {
  step: number;
  /** Held-out FVU of the reconstruction. */
  fvu: number;
  /** Held-out mean active latents per character. */
  l0: number;
  /** Fraction of latents that fired on no held-out character. */
  deadFraction: number;
}

/** What the last probe measured (the script reads these). */
export interface LmNumbers {
  splice: SplicePoint;
  /** Per latent, the fraction of held-out characters it fires on [N]. */
  density: number[];
  /** Latents with another latent below -t (t in OPPOSING), and the count expected for random directions. */
  opposing: Array<{ threshold: number; trained: number; random: number }>;
  /** The most negative decoder cosine between two latents. */
  minCosine: number;
  minPair: [number, number];
}

/** The search widget's answer: per character, every latent that fires on it, largest first. */
export interface SearchResult {
  text: string;
  chars: string[];
  latents: Array<Array<{ latent: number; value: number }>>;
  step: number;
}

/** The steering widget's answer. */
export interface SteerResult {
  latent: number;
  prompt: string;
  /** Coefficient of the decoder direction: strength x the latent's largest held-out activation. */
  alpha: number;
  plain: string;
  steered: string;
  seed: number;
}

export interface LmRun {
  oneStep(i: number): Promise<StepResult>;
  probes(): Promise<Record<string, ChartSpec>>;
  query(name: string, args: Record<string, unknown>): Promise<unknown>;
  diagram(): Array<{ label: string; shape: number[]; role: 'data' | 'map' | 'latent' | 'loss' }>;
  dispose(): void;
  /** Training step reached. */
  readonly step: number;
  last: LmNumbers | null;
  /** Every splice evaluation so far, in step order. */
  readonly history: SplicePoint[];
  /** The dashboards of the last probe's held-out pass (for `latents`, default all). */
  dashboards(latents?: number[]): Promise<FeatureDashboard[]>;
  /** Text sampled with and without `strength` x max activation x the latent's decoder direction. */
  steer(latent: number, strength: number, prompt: string, seed: number, chars?: number): Promise<SteerResult>;
  search(text: string): Promise<SearchResult>;
  readonly model: CharLm;
  readonly sae: TopKSae;
}

/**
 * The residual stream after `layer` blocks on windows `ids` [W, T], keeping positions
 * minContext..T-1 of each window (each with at least minContext characters before it): [W (T - minContext), D].
 */
export async function windowActivations(
  model: CharLm,
  ids: Int32Array,
  W: number,
  layer: number,
  minContext: number,
): Promise<Float32Array> {
  const T = model.config.contextLength;
  const D = model.dModel;
  const kept = tf.tidy(() => {
    const residWTD = model.residualStream(tf.tensor2d(ids, [W, T], 'int32'), layer);
    return residWTD.slice([0, minContext, 0], [W, T - minContext, D]).reshape([W * (T - minContext), D]);
  });
  const rows = (await kept.data()) as Float32Array;
  kept.dispose();
  return rows;
}

/**
 * The residual stream (after LM.layer blocks, positions LM.minContext..T-1) of random windows of
 * `tokens`, `windowsPerBlock` windows per model run, served in batches (src/data/block-source.ts).
 */
export function residualBlockSource(model: CharLm, tokens: Int32Array, windowsPerBlock: number, rng: Rng): BlockSource {
  const T = model.config.contextLength;
  return new BlockSource(model.dModel, async () => ({
    inputs: await windowActivations(
      model,
      sampleWindows(tokens, windowsPerBlock, T, rng).ids,
      windowsPerBlock,
      LM.layer,
      LM.minContext,
    ),
  }));
}

export default defineExperiment({
  title: 'A TopK SAE on the character model’s residual stream',
  settings: {
    nLatents: {
      kind: 'int',
      label: 'latents N',
      default: 512,
      min: 128,
      max: 2048,
      slider: 'log',
      help: 'the dictionary size (the residual stream has D = 128 dimensions)',
    },
    k: { kind: 'int', label: 'active latents k', default: 8, min: 1, max: 32, slider: 'linear' },
    seed: seedSetting(1),
  },
  metrics: {
    chart: ['fvu'],
    yTitle: 'FVU (training batch)',
    log: true,
    readout: ['fvu', 'l0', 'deadFraction'],
    names: { fvu: 'FVU (training batch)', l0: 'L0', deadFraction: 'dead fraction' },
  },
  figures: {
    splice: {
      title: 'Splicing: the model’s loss with the SAE in its residual stream',
      caption:
        'Held-out cross-entropy: the model as trained, with x replaced by the reconstruction, and with x zeroed.',
    },
    recovered: {
      title: 'Fraction of loss recovered, held-out FVU',
      caption: '(L_zero − L_spliced) / (L_zero − L_clean) rises towards 1 as the SAE learns.',
      size: 'half',
    },
    density: {
      title: 'Latent density',
      caption: 'log10 of the fraction of held-out characters each latent fires on.',
      size: 'half',
    },
    opposing: {
      title: 'Opposing decoder directions',
      caption: 'Latents with another latent below a cosine, against random directions in D = 128.',
      size: 'half',
    },
  },
  logEvery: 10,
  maxSteps: LM.steps,
  check(s) {
    return s.k > s.nLatents ? [`k: must be at most N = ${s.nLatents}, got ${s.k}`] : [];
  },
  async create(ctx): Promise<LmRun> {
    const { nLatents: N, k, seed } = ctx.settings;
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
    const heldOutChars = vocab.decode(heldOutTokens);
    const T = model.config.contextLength;
    const D = model.dModel;
    const rowsPerStep = LM.windowsPerStep * (T - LM.minContext);
    // The trainer reads rows the model computed ahead, LM.windowsPerRefill windows at a time.
    const stream = residualBlockSource(model, trainTokens, LM.windowsPerRefill, ctx.rng);
    let builtSae: TopKSae | null = null;
    let builtTrainer: SaeTrainer | null = null;
    try {
      builtSae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k, seed });
      builtTrainer = new SaeTrainer(builtSae, stream, {
        steps: LM.steps,
        batchSize: rowsPerStep,
        lr: LM.lr,
        normalizeInput: true,
        initSamples: LM.initWindows * (T - LM.minContext),
      });
      await stream.fill(LM.initWindows * (T - LM.minContext));
      await builtTrainer.initialise();
    } catch (e) {
      // Nothing is left allocated when building fails.
      builtTrainer?.dispose();
      builtSae?.dispose();
      model.dispose();
      throw e;
    }
    const sae = builtSae;
    const trainer = builtTrainer;
    ctx.note(
      `TopK SAE, N = ${N}, k = ${k}, on the residual stream after block ${LM.layer} (D = ${D}); ${rowsPerStep} characters per step`,
    );

    let step = 0;
    let collector: DashboardCollector | null = null;
    const history: SplicePoint[] = [];

    const run: LmRun = {
      last: null,
      history,
      model,
      sae,
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
        const c = new DashboardCollector(N, heldOutChars, { topK: 8, left: 24, right: 6 });
        const res = await spliceEvaluate(model, sae, heldOutTokens, {
          layer: LM.layer,
          maxChars: LM.spliceChars,
          onBatch: (b) => c.add(b),
        });
        collector = c;
        const point: SplicePoint = {
          ...res.splice,
          step,
          fvu: res.reconstruction.fvu,
          l0: res.reconstruction.l0,
          deadFraction: res.density.filter((d) => d === 0).length / N,
        };
        if (history.length && history[history.length - 1].step === step) history.pop();
        history.push(point);
        const { minCos, partner } = await minOtherCosines(sae.wDecND as tf.Tensor2D);
        let at = 0;
        for (let i = 1; i < N; i++) if (minCos[i] < minCos[at]) at = i;
        const opposing = OPPOSING.map((t) => ({
          threshold: -t,
          trained: countBelow(minCos, -t),
          random: expectedOpposingCount(N, D, t),
        }));
        run.last = {
          splice: point,
          density: res.density,
          opposing,
          minCosine: minCos[at],
          minPair: [at, partner[at]],
        };
        return figures(run.last, history, N);
      },

      async dashboards(latents) {
        if (!collector) throw new InputError('dashboards', 'no held-out pass yet (probes have not run)');
        const effects = await logitEffects(model, await decoderDirections(sae), 8);
        return collector.dashboards(effects, latents);
      },

      async search(text) {
        const ids = vocab.encode(text).slice(-T);
        if (ids.length === 0) throw new InputError('text', 'needs at least one character');
        const latents = tf.tidy(() => {
          const x = model.residualStream(tf.tensor2d(ids, [1, ids.length], 'int32'), LM.layer);
          return sae.encode(x.reshape([ids.length, D]) as tf.Tensor2D);
        });
        const rows = await latentRowsOf(latents, N);
        disposeLatents(latents);
        const chars = Array.from(vocab.decode(ids));
        const found = chars.map((_, r) => {
          const list: Array<{ latent: number; value: number }> = [];
          for (let e = rows.rowStart[r]; e < rows.rowStart[r + 1]; e++)
            list.push({ latent: rows.idx[e], value: rows.val[e] });
          return list.sort((a, b) => b.value - a.value);
        });
        return { text: chars.join(''), chars, latents: found, step };
      },

      async steer(latent, strength, prompt, samplerSeed, chars = LM.steerChars) {
        checkInt('latent', latent, 0, N - 1);
        checkNumber('strength', strength, { min: -50, max: 50 });
        const dirs = await decoderDirections(sae);
        const direction = dirs.slice(latent * D, (latent + 1) * D);
        // In units of the latent's own scale: its largest activation on the held-out text.
        const top = collector ? collector.dashboards(null, [latent])[0].maxActivation : 0;
        const alpha = strength * (top > 0 ? top : 1);
        const common = { layer: LM.layer, prompt, steps: chars, temperature: 0.7, seed: samplerSeed };
        const plain = await generateSteered(model, { ...common, direction: null });
        const steered = await generateSteered(model, { ...common, direction, alpha });
        return { latent, prompt, alpha, plain: plain.completion, steered: steered.completion, seed: samplerSeed };
      },

      async query(name, args) {
        if (name === 'search') return run.search(String(args.text ?? ''));
        if (name === 'dashboard') {
          const j = checkInt('latent', Number(args.latent), 0, N - 1);
          return {
            dashboard: (await run.dashboards([j]))[0],
            step: history[history.length - 1]?.step ?? 0,
            nLatents: N,
          };
        }
        if (name === 'steer') {
          return run.steer(
            checkInt('latent', Number(args.latent), 0, N - 1),
            Number(args.strength),
            String(args.prompt ?? ''),
            checkInt('seed', Number(args.seed ?? 0), 0, 2 ** 31 - 1),
          );
        }
        throw new InputError('name', `must be search, dashboard or steer, got '${name}'`);
      },

      diagram() {
        return [
          { label: 'text windows', shape: [LM.windowsPerStep, T], role: 'data' },
          { label: `char model, block ${LM.layer}`, shape: [rowsPerStep, D], role: 'map' },
          { label: 'TopK encoder', shape: [rowsPerStep, k], role: 'latent' },
          { label: 'decoder', shape: [N, D], role: 'map' },
          { label: 'FVU', shape: [1], role: 'loss' },
        ];
      },

      dispose() {
        trainer.dispose();
        sae.dispose();
        model.dispose();
      },
    };
    return run;
  },
});

/** The probe figures from the last measurement and the splice history. */
function figures(n: LmNumbers, history: SplicePoint[], N: number): Record<string, ChartSpec> {
  const s = n.splice;
  const pts = (f: (p: SplicePoint) => number): Array<[number, number]> => history.map((p) => [p.step, f(p)]);
  const splice = spliceLossChart(
    history,
    `step ${s.step}: clean ${s.cleanLoss.toFixed(3)}, spliced ${s.splicedLoss.toFixed(3)}, zero-ablated ${s.zeroAblatedLoss.toFixed(2)} nats/char`,
    {
      spliced: 'spliced (x → SAE reconstruction)',
      meanAblated: 'mean-ablated (x → its mean)',
      zeroAblated: 'zero-ablated (x → 0)',
    },
  );
  const recovered: ChartSpec = {
    title: `${(100 * s.lossRecovered).toFixed(1)}% of loss recovered, FVU ${s.fvu.toFixed(3)}`,
    kind: 'line',
    x: { title: 'training step' },
    y: { title: 'fraction' },
    series: [
      { name: 'fraction of loss recovered', points: pts((p) => p.lossRecovered), color: CHART_COLORS[2] },
      { name: 'held-out FVU', points: pts((p) => p.fvu), color: CHART_COLORS[0] },
    ],
  };
  const alive = n.density.filter((d) => d > 0).map((d) => Math.log10(d));
  const density: ChartSpec = {
    title: `${N - alive.length} of ${N} latents never fire on ${s.chars} held-out characters`,
    kind: 'bar',
    x: { title: 'log10 firing density' },
    y: { title: 'latents' },
    series: [{ name: 'latents', points: histogramPoints(alive, 24, [-4, 0]), color: CHART_COLORS[0] }],
  };
  const opposing: ChartSpec = {
    title: `most negative decoder cosine ${n.minCosine.toFixed(2)}`,
    subtitle: `random directions, expected: ${n.opposing.map((o) => o.random.toExponential(1)).join(', ')}`,
    kind: 'bar',
    x: { title: 'a partner below cosine', categories: n.opposing.map((o) => `< ${o.threshold}`) },
    // At least one latent tall, so an expectation of 1e-4 does not fill the frame.
    y: { title: 'latents', min: 0, max: Math.max(1, ...n.opposing.map((o) => Math.max(o.trained, o.random))) },
    series: [
      { name: 'this SAE', kind: 'bar', color: CHART_COLORS[1], points: n.opposing.map((o, i) => [i, o.trained]) },
      {
        name: 'random directions (expected)',
        kind: 'bar',
        color: CHART_COLORS[5],
        points: n.opposing.map((o, i) => [i, o.random]),
      },
    ],
  };
  return { splice, recovered, density, opposing };
}
