/**
 * Every evaluation of an SAE on the character model in one call, with progress: the successor of
 * `evaluateSae` for language-model SAEs. One streaming pass over the held-out text feeds the
 * splicing and reconstruction metrics, the SAEBench record and the feature dashboards; then the
 * absorption task, steered generations and (given a second SAE) seed stability.
 * The known-truth benchmark needs synthetic data, not the model: `evaluateKnownTruth`.
 */
import { checkInt } from '../../base/errors';
import { MetricHistory, type TrainCallbacks } from '../../core/train';
import type { CharLm } from '../../data/lm/char-lm';
import { CharVocab } from '../../data/lm/vocab';
import type { SparseAutoencoder } from '../base';
import { type SaeConfig, saeConfigOf } from '../create';
import { type CharAbsorption, type CharAbsorptionOptions, charAbsorption } from './absorption';
import { DashboardCollector, type DashboardOptions, type FeatureDashboard, logitEffects } from './dashboards';
import { decoderDirections } from './latent-rows';
import { type SaeBenchCoreOutput, saeBenchCore } from './saebench';
import { type SpliceResult, spliceEvaluate } from './splice';
import { type SeedStability, seedStability } from './stability';
import { type SteeringResult, generateSteered } from './steering';

/** Options of `evaluateSaeFull`. */
export interface FullEvaluationOptions {
  /** The SAE's layer (residual stream after this many blocks). */
  layer: number;
  /** Held-out text as token ids (`heldOutEvalTokens`). */
  heldOutTokens: Int32Array;
  /** Characters predicted in the splicing pass. Default 65,536. */
  maxChars?: number;
  /** Windows per forward pass. Default 32. */
  batchWindows?: number;
  /** Latents given a dashboard (default: the `dashboardCount` most frequent). */
  dashboardLatents?: number[];
  /** Default 16. */
  dashboardCount?: number;
  dashboardOptions?: DashboardOptions;
  /** Absorption task options, or false to skip it. Default: vowels over 16,384 characters. */
  absorption?: Omit<CharAbsorptionOptions, 'layer'> | false;
  /** Steered generations: each latent with `alpha` (default: the first 4 dashboard latents, alpha 8). */
  steering?: {
    latents?: number[];
    alpha?: number;
    prompt?: string;
    steps?: number;
    seed?: number;
    temperature?: number;
  };
  /** A second SAE (same config, another seed) for seed stability. */
  compareWith?: SparseAutoencoder;
  /** Progress (e.g. `progressBar` in Node). */
  callbacks?: TrainCallbacks | TrainCallbacks[];
  /** Names recorded in the SAEBench record. */
  modelName?: string;
  datasetName?: string;
}

/** Everything `evaluateSaeFull` measures (JSON-able). */
export interface FullEvaluation {
  sae: SaeConfig;
  layer: number;
  core: Omit<SpliceResult, 'density'>;
  saebench: SaeBenchCoreOutput;
  absorption: CharAbsorption | null;
  dashboards: FeatureDashboard[];
  steering: (SteeringResult & { latent: number })[];
  stability: SeedStability | null;
  /** Wall-clock seconds per stage. */
  seconds: Record<string, number>;
}

/** Progress steps `evaluateSaeFull` reports: one per window of the pass, then one per later stage. */
export function fullEvaluationSteps(model: CharLm, heldOutTokens: Int32Array, maxChars = 65536): number {
  return Math.floor(Math.min(heldOutTokens.length - 1, maxChars) / model.config.contextLength) + 5;
}

/** Runs every evaluation of `sae` on `model` (see the module comment). */
export async function evaluateSaeFull(
  model: CharLm,
  sae: SparseAutoencoder,
  options: FullEvaluationOptions,
): Promise<FullEvaluation> {
  const started = Date.now();
  const seconds: Record<string, number> = {};
  const lap = (stage: string, since: number) => {
    seconds[stage] = (Date.now() - since) / 1000;
    return Date.now();
  };
  const T = model.config.contextLength;
  const maxChars = checkInt('maxChars', options.maxChars ?? 65536, T);
  const batchWindows = checkInt('batchWindows', options.batchWindows ?? 32, 1);
  const windows = Math.floor(Math.min(options.heldOutTokens.length - 1, maxChars) / T);
  const extraStages = 4;
  const callbacks = options.callbacks ? [options.callbacks].flat() : [];
  const history = new MetricHistory();
  const report = async (step: number, stage: number) => {
    const metrics = { stage };
    history.push(step, metrics);
    for (const c of callbacks) await c.onLog?.(step, metrics, history);
  };
  const vocab = new CharVocab();
  const chars = vocab.decode(options.heldOutTokens);
  const collector = new DashboardCollector(sae.nLatents, chars, options.dashboardOptions);
  const windowsFired = new Float64Array(sae.nLatents);
  const seenInWindow = new Int32Array(sae.nLatents).fill(-1);
  let windowCounter = 0;

  let t = Date.now();
  const pass = await spliceEvaluate(model, sae, options.heldOutTokens, {
    layer: options.layer,
    maxChars,
    batchWindows,
    onBatch: (batch) => {
      collector.add(batch);
      const { latents } = batch;
      for (let b = 0; b < batch.windowStarts.length; b++, windowCounter++) {
        for (let e = latents.rowStart[b * T]; e < latents.rowStart[(b + 1) * T]; e++) {
          const j = latents.idx[e];
          if (seenInWindow[j] !== windowCounter) {
            seenInWindow[j] = windowCounter;
            windowsFired[j]++;
          }
        }
      }
    },
    onProgress: (done) => report(done - 1, 0),
  });
  t = lap('splice', t);

  const decoder = await decoderDirections(sae);
  const saebench = await saeBenchCore({
    sae,
    splice: pass.splice,
    reconstruction: pass.reconstruction,
    density: pass.density,
    windowsFired,
    decoder,
    modelName: options.modelName ?? 'gensparse-char-lm',
    hookName: `residual.${options.layer}`,
    datasetName: options.datasetName ?? 'held-out text',
    contextSize: T,
    batchSizePrompts: batchWindows,
  });
  t = lap('saebench', t);
  await report(windows, 1);

  const absorption =
    options.absorption === false
      ? null
      : await charAbsorption(model, sae, chars, { layer: options.layer, ...(options.absorption ?? {}) });
  t = lap('absorption', t);
  await report(windows + 1, 2);

  const count = checkInt('dashboardCount', options.dashboardCount ?? 16, 0, sae.nLatents);
  const chosen =
    options.dashboardLatents ??
    Array.from({ length: sae.nLatents }, (_, j) => j)
      .sort((a, b) => pass.density[b] - pass.density[a] || a - b)
      .slice(0, count);
  const effects = await logitEffects(model, decoder, options.dashboardOptions?.logitTop ?? 8);
  const dashboards = collector.dashboards(effects, chosen);
  t = lap('dashboards', t);
  await report(windows + 2, 3);

  const steer = options.steering ?? {};
  const steering: (SteeringResult & { latent: number })[] = [];
  const D = sae.dIn;
  for (const j of steer.latents ?? chosen.slice(0, 4)) {
    checkInt('steering.latents', j, 0, sae.nLatents - 1);
    const result = await generateSteered(model, {
      layer: options.layer,
      direction: decoder.slice(j * D, (j + 1) * D),
      alpha: steer.alpha ?? 8,
      prompt: steer.prompt ?? 'the ',
      steps: steer.steps ?? 48,
      seed: steer.seed ?? 0,
      temperature: steer.temperature ?? 0.7,
    });
    steering.push({ latent: j, ...result });
  }
  t = lap('steering', t);
  await report(windows + 3, 4);

  const stability = options.compareWith
    ? await seedStability(decoder, await decoderDirections(options.compareWith), D)
    : null;
  lap('stability', t);
  await report(windows + extraStages, 5);
  seconds.total = (Date.now() - started) / 1000;
  for (const c of callbacks) await c.onEnd?.(history);
  const { density: _density, ...core } = pass;
  return {
    sae: saeConfigOf(sae),
    layer: options.layer,
    core,
    saebench,
    absorption,
    dashboards,
    steering,
    stability,
    seconds,
  };
}
