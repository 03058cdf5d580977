/**
 * What several experiments share: the character model's residual stream (loaded once per
 * process), rows in a fixed random order, and one SAE training run with a progress bar.
 */
import * as tf from '@tensorflow/tfjs';
import type { MetricHistory, TrainCallbacks } from '../src/core/train';
import { Rng } from '../src/core/random';
import { type ActivationSource, ArraySource, teeSource } from '../src/data/source';
import { InputError, checkInt } from '../src/base/errors';
import { type MeanInterval, meanInterval } from '../src/analysis/stats';
import { CHART_COLORS, type SeriesSpec } from '../src/charts/spec';
import { loadCharLmActivations } from '../src/data/lm/node';
import type { CharLmActivations } from '../src/data/lm';
import {
  BatchTopKSae,
  type DataInitOptions,
  type SaeConfig,
  SaeTrainer,
  type SaeTrainerConfig,
  type SparseAutoencoder,
  createSae,
  denseLatents,
  disposeOutput,
} from '../src/sae';
import { type SaeEvaluation, evaluateSae } from '../src/sae/eval/reconstruction';
import type { SyntheticSample } from '../src/data/synthetic';
import type { KnownTruthSource } from '../src/sae/eval/truth';
import type { StudyContext } from './study';

const cache = new Map<string, Promise<CharLmActivations>>();

/**
 * The shipped character model's residual stream after block 1 (D = 128): `tokens` positions of
 * the training text or of the held-out text, with their contexts. Cached per process.
 */
export function charResiduals(split: 'train' | 'heldOut', tokens: number): Promise<CharLmActivations> {
  const key = `${split}:${tokens}`;
  let acts = cache.get(key);
  if (!acts) {
    acts = loadCharLmActivations({ split, maxTokens: tokens, layer: 1 });
    cache.set(key, acts);
  }
  return acts;
}

/** The rows of `data` [rows, dim] in one random order (seeded), as a wrapping source. */
export function shuffledRows(data: Float32Array, dim: number, seed: number): ArraySource {
  const rows = data.length / dim;
  const order = new Rng(seed).shuffle(Int32Array.from({ length: rows }, (_, i) => i)) as Int32Array;
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) out.set(data.subarray(order[i] * dim, order[i] * dim + dim), i * dim);
  return new ArraySource(out, dim);
}

/** Trains `sae` with a progress bar; returns the metric history (the trainer is freed). */
export async function trainWithProgress(
  ctx: StudyContext,
  label: string,
  sae: SparseAutoencoder,
  source: ConstructorParameters<typeof SaeTrainer>[1],
  config: SaeTrainerConfig,
): Promise<MetricHistory> {
  const logEvery = config.logEvery ?? 10;
  const trainer = new SaeTrainer(sae, source, {
    ...config,
    logEvery,
    callbacks: ([ctx.progress(label, config.steps)] as TrainCallbacks[]).concat(config.callbacks ?? []),
  });
  try {
    return await trainer.train();
  } finally {
    trainer.dispose();
  }
}

/** Held-out metrics on a fixed array of rows [M, D] in batches of 512. */
export function evaluateOn(sae: SparseAutoencoder, rowsMD: Float32Array): Promise<SaeEvaluation> {
  return evaluateSae(sae, rowsMD, { batchSize: 512 });
}

/** Mean of an array (NaN for an empty one). */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length ? s / values.length : Number.NaN;
}

/** Rounds to `digits` significant digits (for the summary text; numbers keep full precision). */
export function sig(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

/** A mean and its interval as the summaries print them: `mean [lo, hi]`, each by `sig`. */
export function sigInterval(m: { mean: number; lo: number; hi: number }): string {
  return `${sig(m.mean)} [${sig(m.lo)}, ${sig(m.hi)}]`;
}

/**
 * The activations of a few latents over rows [M, D] (inference encode, batches of 512):
 * one Float32Array of length M per requested latent.
 */
export async function latentColumns(
  sae: SparseAutoencoder,
  rowsMD: Float32Array,
  latents: number[],
): Promise<Float32Array[]> {
  const D = sae.dIn;
  const M = rowsMD.length / D;
  const out = latents.map(() => new Float32Array(M));
  if (latents.length === 0) return out;
  const idx = tf.tensor1d(latents, 'int32');
  try {
    for (let start = 0; start < M; start += 512) {
      const rows = Math.min(512, M - start);
      const colsBL = tf.tidy(() => {
        const latentsOut = sae.encode(tf.tensor2d(rowsMD.subarray(start * D, (start + rows) * D), [rows, D]));
        return tf.gather(denseLatents(latentsOut, sae.nLatents), idx, 1);
      });
      const values = await colsBL.data();
      colsBL.dispose();
      for (let b = 0; b < rows; b++)
        for (let l = 0; l < latents.length; l++) out[l][start + b] = values[b * latents.length + l];
    }
  } finally {
    idx.dispose();
  }
  return out;
}

/** Rows of `data` [rows, dim] drawn uniformly with replacement (seeded): independent batches from a finite set. */
export function randomRows(data: Float32Array, dim: number, seed: number): ActivationSource {
  const rows = data.length / dim;
  const rng = new Rng(seed);
  return {
    dim,
    nextBatch(batchSize: number): Float32Array {
      const out = new Float32Array(batchSize * dim);
      for (let b = 0; b < batchSize; b++) {
        const r = rng.int(rows);
        out.set(data.subarray(r * dim, r * dim + dim), b * dim);
      }
      return out;
    },
  };
}

/**
 * Learning curves of a stack: `samples[p]` is the number of training inputs seen at checkpoint p
 * (0 = after data initialisation, before the first step), `curves[metric][member][p]` the value
 * `measure` returned there.
 */
export interface StackCurves {
  samples: number[];
  curves: Record<string, number[][]>;
}

/**
 * Trains a stack of SAEs (one architecture and shape; seeds and conditions in their configs) on
 * one source with a progress bar, and calls `measure` before the first step and every
 * `measureEvery` steps (and after the last): the metric against samples seen (issue 22, rule 2).
 * `measure` reads the trainer (its SAEs, dead sets, inputs seen) and returns, per metric name, one
 * value per member. The dead set is refreshed every `measureEvery` steps unless `logEvery` says
 * otherwise. The trainer is freed; the SAEs are not.
 */
export async function trainStackWithCurves(
  ctx: StudyContext,
  label: string,
  saes: SparseAutoencoder[],
  source: ActivationSource,
  config: SaeTrainerConfig & { measureEvery: number },
  measure: (trainer: SaeTrainer) => Promise<Record<string, number[]>>,
): Promise<StackCurves> {
  const { measureEvery, ...trainConfig } = config;
  const every = checkInt('measureEvery', measureEvery, 1);
  const out: StackCurves = { samples: [], curves: {} };
  await trainStacks(
    ctx,
    [{ label, saes }],
    source,
    { ...trainConfig, logEvery: trainConfig.logEvery ?? every },
    [0, ...checkpointSteps(trainConfig.steps, every)],
    async (samplesSeen, [trainer]) => {
      const values = await measure(trainer);
      out.samples.push(samplesSeen);
      for (const [name, perMember] of Object.entries(values)) {
        out.curves[name] ??= saes.map(() => []);
        perMember.forEach((v, i) => out.curves[name][i].push(v));
      }
    },
  );
  return out;
}

/** Member i of a stack laid out condition-major (`conditions x seeds`): its condition and seed indices. */
export function stackIndex(conditionIndex: number, seedIndex: number, seeds: number): number {
  return conditionIndex * seeds + seedIndex;
}

/**
 * `samples` inputs drawn once from a known-truth generator, replayed as a known-truth source: each
 * `sample(n)` returns the next rows of the fixed set (wrapping), and getState/setState move the
 * cursor, so every SAE (and `untrainedBaseline`, which replays by getState) is scored on the same
 * held-out rows while the generator's own stream is drawn only once.
 */
export function heldOutTruth(
  bench: { dim: number; directions: Float32Array; numFeatures: number; sample(n: number): SyntheticSample },
  samples: number,
): KnownTruthSource & { getState(): { cursor: number }; setState(s: { cursor: number }): void } {
  const { x, codes } = bench.sample(samples);
  const { dim, numFeatures: m } = bench;
  let cursor = 0;
  return {
    dim,
    directions: bench.directions,
    sample(n: number): SyntheticSample {
      const out = { x: new Float32Array(n * dim), codes: new Float32Array(n * m) };
      for (let b = 0; b < n; b++, cursor = (cursor + 1) % samples) {
        out.x.set(x.subarray(cursor * dim, (cursor + 1) * dim), b * dim);
        out.codes.set(codes.subarray(cursor * m, (cursor + 1) * m), b * m);
      }
      return out;
    },
    getState: () => ({ cursor }),
    setState(s: { cursor: number }) {
      cursor = s.cursor;
    },
  };
}

/** One arm of a lockstep run: a stack of SAEs of one architecture and shape (seeds x settings). */
export interface LockstepArm {
  label: string;
  saes: SparseAutoencoder[];
  /** Settings of this arm's trainer that differ from the shared config (lr, auxKCoefficient...). */
  config?: Partial<SaeTrainerConfig>;
}

/**
 * Trains several stacks on one stream, every batch drawn once (`teeSource`) and read by every stack,
 * so arms of different architectures see identical inputs in the same order (issue 22, rule 4). The
 * shared `config` fixes steps, batch size and initSamples for all; after every `steps / checkpoints`
 * steps (and at the end) `onCheckpoint(samplesSeen)` runs, for the metric-against-samples-seen
 * figures. The trainers are freed; the SAEs stay the caller's.
 */
export async function trainInLockstep(
  ctx: StudyContext,
  arms: LockstepArm[],
  source: ActivationSource,
  config: SaeTrainerConfig,
  options: { checkpoints: number; onCheckpoint(samplesSeen: number): Promise<void> },
): Promise<void> {
  const checkpoints = checkInt('checkpoints', options.checkpoints, 1);
  const every = Math.max(1, Math.ceil(config.steps / checkpoints));
  await trainStacks(ctx, arms, source, config, checkpointSteps(config.steps, every), (seen) =>
    options.onCheckpoint(seen),
  );
}

/** every, 2 every, ... and the last step (`steps`), in order. */
function checkpointSteps(steps: number, every: number): number[] {
  const out: number[] = [];
  for (let end = Math.min(every, steps); ; end = Math.min(end + every, steps)) {
    out.push(end);
    if (end >= steps) return out;
  }
}

/**
 * The studies' one training loop: a trainer per arm, all on `source` (tee'd when there are several
 * arms), initialised, then advanced together to each step of `checkpoints` (ascending; 0 = before
 * the first step), where `onCheckpoint(samplesSeen, trainers)` runs. The trainers are freed.
 */
async function trainStacks(
  ctx: StudyContext,
  arms: LockstepArm[],
  source: ActivationSource,
  config: SaeTrainerConfig,
  checkpoints: number[],
  onCheckpoint: (samplesSeen: number, trainers: SaeTrainer[]) => Promise<void>,
): Promise<void> {
  // One arm reads the source itself (a paired source stays paired: transcoders).
  const sources = arms.length === 1 ? [source] : teeSource(source, arms.length);
  const trainers: SaeTrainer[] = [];
  try {
    for (const [i, arm] of arms.entries()) {
      const own = { ...config, ...arm.config, steps: config.steps, batchSize: config.batchSize };
      const callbacks = ([ctx.progress(arm.label, config.steps)] as TrainCallbacks[]).concat(config.callbacks ?? []);
      trainers.push(new SaeTrainer(arm.saes, sources[i], { ...own, initSamples: config.initSamples, callbacks }));
    }
    for (const t of trainers) await t.initialise();
    for (const end of checkpoints) {
      for (const t of trainers) if (t.stepsTaken < end) await t.train({ shouldStop: () => t.stepsTaken >= end });
      await onCheckpoint(end * trainers[0].batchSize, trainers);
    }
  } finally {
    for (const t of trainers) t.dispose();
  }
}

/**
 * An untrained SAE of `config` as training would start it: b_dec (and the input scale) from
 * `sampleMD` [M, D]; a BatchTopK-family SAE also gets the threshold one training-mode selection on
 * the sample sets (threshold 0 would fire every positive pre-activation), so it runs near L0 = k.
 * The baseline row of a metric computed on trained SAEs.
 */
export async function untrainedSae(
  config: SaeConfig,
  sampleMD: Float32Array,
  init: DataInitOptions = {},
): Promise<SparseAutoencoder> {
  const sae = createSae(config);
  const xMD = tf.tensor2d(sampleMD, [sampleMD.length / sae.dIn, sae.dIn]);
  try {
    await sae.initFromData(xMD, init);
    if (sae instanceof BatchTopKSae) disposeOutput(sae.forward(xMD, { training: true }));
  } catch (e) {
    sae.dispose();
    throw e;
  } finally {
    xMD.dispose();
  }
  return sae;
}

/** Colour-blind-safe colours (Okabe & Ito 2008), one per arm of a figure. */
export const ARM_COLORS = CHART_COLORS;

/**
 * A metric against samples seen over seeds as chart series: the mean as a line and its 95%
 * interval (`meanInterval`) as two faded dashed lines of the same colour. A checkpoint where some
 * seed's value is not finite (not yet measured, e.g. a dead fraction before its first window) is
 * left as a gap.
 * @param perSeed perSeed[s][c]: seed s at checkpoint c; @param xs the checkpoints' samples seen
 */
export function intervalSeries(name: string, xs: number[], perSeed: number[][], color: string): SeriesSpec[] {
  const gap: MeanInterval = {
    mean: Number.NaN,
    lo: Number.NaN,
    hi: Number.NaN,
    sd: Number.NaN,
    n: perSeed.length,
    level: 0.95,
  };
  const at = xs.map((_, c) => {
    const values = perSeed.map((s) => s[c]);
    return values.every(Number.isFinite) ? meanInterval(values) : gap;
  });
  const line = (f: (m: MeanInterval) => number) => xs.map((x, c) => [x, f(at[c])] as [number, number]);
  return [
    { name, points: line((m) => m.mean), color },
    { name: `${name}: 95% interval`, points: line((m) => m.lo), color, dashed: true, ghost: true },
    { name: `${name}: 95% interval`, points: line((m) => m.hi), color, dashed: true, ghost: true, legend: false },
  ];
}

/** The mean over seeds at each checkpoint: perSeed[s][c] -> mean_s perSeed[s][c]. */
export function seedMeans(perSeed: number[][]): number[] {
  return perSeed[0].map((_, c) => mean(perSeed.map((s) => s[c])));
}

/** The checkpoint nearest 80% of the samples seen (the start of the last 20% of training). */
function lastFifthStart(xs: number[]): number {
  const at = 0.8 * xs[xs.length - 1];
  let c = 0;
  for (let i = 0; i < xs.length; i++) if (Math.abs(xs[i] - at) < Math.abs(xs[c] - at)) c = i;
  return c;
}

/**
 * The plateau check of issue 22 (rule 2) for a positive metric (FVU, L0): the relative change over
 * the last 20% of training, (v_last - v_c) / |v_c| with c the checkpoint nearest 80% of the samples seen.
 */
export function relativeChangeLast20(xs: number[], values: number[]): number {
  const ref = values[lastFifthStart(xs)];
  if (ref === 0) throw new InputError('values', 'the value at 80% of training is 0: use absoluteChangeLast20');
  return (values[values.length - 1] - ref) / Math.abs(ref);
}

/** The plateau check for a fraction (absorption, shares), which may be 0: v_last - v_c, as above. */
export function absoluteChangeLast20(xs: number[], values: number[]): number {
  return values[values.length - 1] - values[lastFifthStart(xs)];
}
