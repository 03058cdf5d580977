/**
 * The running example of lessons 4-6: sparse features in superposition (Elhage et al. 2022,
 * "Toy Models of Superposition", arXiv:2209.10652) and an SAE trained on them (`ToyRun`), with
 * the probes and figures the three lessons read. Pure model code: no DOM, no Node. Each lesson's
 * experiment.ts builds on it; its page and its script drive that experiment. The frontier the
 * runs are judged on is sae-frontier.ts.
 *
 * The toy: m = 64 true features along random unit directions in d = 32 dimensions, each firing
 * with probability 1/16 (4 at a time on average) with a magnitude uniform in [0, 1]. An SAE with
 * N = 128 latents should find the 64 directions; the ground truth says how well it did.
 */
import * as tf from '@tensorflow/tfjs';
import type { ChartSpec } from '../charts/spec';
import { CHART_COLORS } from '../charts/spec';
import { type MetricHistory, type StepResult, type TrainCallbacks, trainLoop } from '../core/train';
import { featureRecovery } from '../sae/eval/truth';
import { type SyntheticSample, SuperpositionData } from '../data/synthetic';
import { type SaeConfig, SaeTrainer, type SparseAutoencoder, createSae } from '../sae';
import { evaluateSae } from '../sae/eval/reconstruction';
import { denseLatents } from '../sae/base';
import type { FrontierPoint } from './sae-frontier';

/** The running example: the same toy data and dictionary size in lessons 4, 5 and 6. */
export const TOY = {
  /** True features m. */
  numFeatures: 64,
  /** Input dimension d (m > d: superposition). */
  dim: 32,
  /** Firing probability of each feature: 4 active features per input on average. */
  probability: 1 / 16,
  /** Latents N of the SAE (twice the true features). */
  nLatents: 128,
  batchSize: 256,
  /** Held-out inputs for every probe (drawn once, before training). */
  heldOut: 2048,
  /**
   * Adam learning rate, far above the reference 2e-4 / sqrt(N / 2^14) = 2.2e-3 for N = 128: at the
   * reference rate ReLU + L1 recovers almost none of the directions in a page's run.
   */
  lr: 1e-2,
  /** A latent is dead if it fired on none of the last 10 batches (2,560 inputs). */
  deadWindow: 256 * 10,
  /** Seed of the data: the true directions and the stream. */
  dataSeed: 1,
} as const;

/** The architecture part of an SAE config (dIn and nLatents come from the toy). */
export type ArchitectureConfig = SaeConfig extends infer C
  ? C extends SaeConfig
    ? Omit<C, 'dIn' | 'nLatents'>
    : never
  : never;

/** Settings of one run. */
export interface RunSettings {
  /** The SAE (architecture and its coefficients; `seed` is the weights' seed). */
  sae: ArchitectureConfig;
  /** Steps the run is meant to last (the driver may stop earlier; the learning rate does not decay). */
  steps: number;
  /** Learning rate. Default TOY.lr. */
  lr?: number;
  /** Scale inputs so E||x||^2 = d (SAELens `expected_average_only_in`). Default true. */
  normalizeInput?: boolean;
  /** Multiply every input by this before the SAE sees it (lesson 6: bandwidth against input scale). Default 1. */
  inputGain?: number;
  /** Seed of the data. Default TOY.dataSeed. */
  dataSeed?: number;
}

/** What the probes measure on the held-out inputs. */
export interface Probe {
  /** Normalised MSE = FVU = sum ||x - xhat||^2 / sum ||x - mean x||^2 over the held-out set. */
  fvu: number;
  /** Mean number of active latents per input. */
  l0: number;
  /** Latents that fired on none of the held-out inputs. */
  deadFraction: number;
  /** Mean over true features of the best decoder cosine (MMCS). */
  meanMaxCosine: number;
  /** True features whose best decoder cosine is >= 0.9. */
  recovered: number;
  /** Best decoder cosine of each true feature [m]. */
  maxCosine: Float32Array;
  /** E||xhat||^2 / E<x, xhat> (1 = unbiased, < 1 = shrinkage; Wright & Sharkey 2024). */
  reconstructionBias: number;
}

/** A gain applied to a source's inputs (the SAE sees g x). */
class ScaledSource {
  constructor(
    readonly inner: SuperpositionData,
    readonly gain: number,
  ) {}
  get dim(): number {
    return this.inner.dim;
  }
  nextBatch(batchSize: number): Float32Array {
    const x = this.inner.nextBatch(batchSize);
    if (this.gain !== 1) for (let i = 0; i < x.length; i++) x[i] *= this.gain;
    return x;
  }
}

/** The toy data of the running example, and its held-out sample (drawn first, with its true codes). */
export function toyData(seed: number = TOY.dataSeed): { data: SuperpositionData; heldOut: SyntheticSample } {
  const data = new SuperpositionData({
    numFeatures: TOY.numFeatures,
    dim: TOY.dim,
    probability: TOY.probability,
    seed,
  });
  return { data, heldOut: data.sample(TOY.heldOut) };
}

/** One SAE trained on the toy: `oneStep()` for the page and the script, probes for the charts. */
export class ToyRun {
  readonly sae: SparseAutoencoder;
  readonly trainer: SaeTrainer;
  /** Steps taken. */
  step = 0;

  private constructor(
    readonly settings: RunSettings,
    readonly data: SuperpositionData,
    readonly heldOut: SyntheticSample,
  ) {
    const gain = settings.inputGain ?? 1;
    this.sae = createSae({ ...settings.sae, dIn: TOY.dim, nLatents: TOY.nLatents } as SaeConfig);
    this.trainer = new SaeTrainer(this.sae, new ScaledSource(data, gain), {
      steps: settings.steps,
      batchSize: TOY.batchSize,
      lr: settings.lr ?? TOY.lr,
      // Constant after a short warm-up, so a run stopped early (a quick script, a paused page) is
      // the same run as far as it went.
      warmupSteps: 20,
      decay: 'none',
      normalizeInput: settings.normalizeInput ?? true,
      deadWindow: TOY.deadWindow,
      initSamples: TOY.heldOut,
    });
    if (gain !== 1) for (let i = 0; i < heldOut.x.length; i++) heldOut.x[i] *= gain;
  }

  /** Builds the data, the SAE and its trainer, and sets b_dec (and the input scale) from data. */
  static async create(settings: RunSettings): Promise<ToyRun> {
    const { data, heldOut } = toyData(settings.dataSeed);
    const exp = new ToyRun(settings, data, heldOut);
    await exp.trainer.initialise();
    return exp;
  }

  /** One training step; returns the trainer's scalars (loss terms, l0, deadFraction, lr). */
  async oneStep(): Promise<StepResult> {
    const out = await this.trainer.step();
    this.step++;
    return out;
  }

  /** Held-out FVU, L0, dead latents, reconstruction bias, and recovery of the true directions. */
  async probe(): Promise<Probe> {
    const ev = await evaluateSae(this.sae, this.heldOut.x, { batchSize: 1024 });
    const rec = featureRecovery({ decoder: await this.decoder(), directions: this.data.directions, dim: TOY.dim });
    return {
      fvu: ev.fvu,
      l0: ev.l0,
      deadFraction: ev.deadFraction,
      meanMaxCosine: rec.meanMaxCosine,
      recovered: rec.recovered,
      maxCosine: rec.maxCosine,
      reconstructionBias: ev.relativeReconstructionBias,
    };
  }

  /** Decoder rows, row-major [N, D]. */
  async decoder(): Promise<Float32Array> {
    return (await this.sae.wDecND.data()) as Float32Array;
  }

  /** Held-out latents as a dense row-major [M, N] array. */
  async latents(): Promise<Float32Array> {
    const x = tf.tensor2d(this.heldOut.x, [TOY.heldOut, TOY.dim]);
    const dense = tf.tidy(() => {
      const lat = this.sae.encode(x);
      const d = denseLatents(lat, this.sae.nLatents);
      if (lat.kind === 'dense') lat.denseBN.dispose();
      else tf.dispose([lat.valuesBK, lat.indicesBK]);
      return d;
    });
    const out = (await dense.data()) as Float32Array;
    tf.dispose([x, dense]);
    return out;
  }

  /**
   * Shrinkage: for every held-out input where true feature i fires with magnitude c, the activation
   * f of the latent whose decoder row is closest to u_i (its best latent, however close), and the least-squares slope of f against c
   * through the origin (1 = no shrinkage). The latent reads c u_i . d in input units, scaled by the
   * input normalisation s, so f is divided by s before comparing.
   */
  async shrinkage(maxPoints = 600): Promise<{ slope: number; points: Array<[number, number]> }> {
    const rec = featureRecovery({ decoder: await this.decoder(), directions: this.data.directions, dim: TOY.dim });
    const f = await this.latents();
    const m = TOY.numFeatures;
    const n = TOY.nLatents;
    const s = this.sae.inputScale * (this.settings.inputGain ?? 1);
    let cf = 0;
    let cc = 0;
    const points: Array<[number, number]> = [];
    for (let b = 0; b < TOY.heldOut; b++) {
      for (let i = 0; i < m; i++) {
        const c = this.heldOut.codes[b * m + i];
        if (c === 0) continue;
        const a = f[b * n + rec.bestLatent[i]] / s;
        cf += c * a;
        cc += c * c;
        if (points.length < maxPoints) points.push([c, a]);
      }
    }
    return { slope: cc > 0 ? cf / cc : Number.NaN, points };
  }

  dispose(): void {
    this.trainer.dispose();
    this.sae.dispose();
  }
}

/**
 * Trains one run to its last step through the core training loop (metrics read every `logEvery`
 * steps, callbacks such as a progress bar); returns the experiment, its history and its probe.
 * The caller disposes `exp`.
 */
export async function trainRun(
  settings: RunSettings,
  callbacks: TrainCallbacks | TrainCallbacks[] = [],
  logEvery = 25,
): Promise<{ exp: ToyRun; history: MetricHistory; probe: Probe }> {
  const exp = await ToyRun.create(settings);
  const history = await trainLoop({ steps: settings.steps, logEvery, callbacks, step: () => exp.oneStep() });
  return { exp, history, probe: await exp.probe() };
}

/** One ReLU + L1 run at lambda (tied initialisation unless told otherwise). */
export function reluRun(lambda: number, steps: number, seed: number, tiedInit = true): RunSettings {
  return { sae: { architecture: 'relu-l1', l1Coefficient: lambda, seed, tiedInit }, steps };
}

/** One TopK run at k (AuxK off is a zero coefficient: the dead latents are still counted, nothing revives them). */
export function topkRun(k: number, steps: number, seed: number, tiedInit = true, auxK = true): RunSettings {
  return { sae: { architecture: 'topk', k, tiedInit, auxKCoefficient: auxK ? 1 / 32 : 0, seed }, steps };
}

/** Best decoder cosine of each true feature, sorted, against the 0.9 line. */
export function recoveryChart(maxCosine: Float32Array, title: string): ChartSpec {
  const sorted = Array.from(maxCosine).sort((a, b) => b - a);
  return {
    title,
    kind: 'bar',
    x: { title: 'true feature (sorted by best cosine)', min: -1, max: sorted.length },
    y: { title: 'best cosine with a decoder row', min: 0, max: 1 },
    series: [
      { name: 'best cosine', kind: 'bar', points: sorted.map((c, i) => [i, c]), color: CHART_COLORS[0] },
      {
        name: 'recovered at cos >= 0.9',
        kind: 'line',
        dashed: true,
        color: CHART_COLORS[1],
        points: [
          [0, 0.9],
          [sorted.length - 1, 0.9],
        ],
      },
    ],
  };
}

/** True magnitude against the activation of its latent, with the no-shrinkage line f = c. */
export function shrinkageChart(points: Array<[number, number]>, slope: number, title: string): ChartSpec {
  return {
    title,
    subtitle: `least-squares slope ${slope.toFixed(3)} (1 = no shrinkage)`,
    kind: 'scatter',
    x: { title: 'true magnitude c of the feature', min: 0, max: 1 },
    y: { title: 'activation of its latent (input units)' },
    series: [
      { name: 'inputs where the feature fires', points, color: CHART_COLORS[0], pointRadius: 2 },
      {
        name: 'f = c (no shrinkage)',
        kind: 'line',
        dashed: true,
        color: CHART_COLORS[6],
        points: [
          [0, 0],
          [1, 1],
        ],
      },
      {
        name: `fit f = ${slope.toFixed(2)} c`,
        kind: 'line',
        color: CHART_COLORS[1],
        points: [
          [0, 0],
          [1, slope],
        ],
      },
    ],
  };
}

/** One labelled run of a sweep. */
export interface SweepRun {
  label: string;
  settings: RunSettings;
}

/**
 * Trains each run in turn (a fresh SAE each, same data) and returns its frontier point and probe.
 * `progress(label, steps)` supplies the callbacks of one run (a progress bar in Node).
 */
export async function sweep(
  runs: SweepRun[],
  progress: (label: string, steps: number) => TrainCallbacks | TrainCallbacks[] = () => [],
): Promise<Array<{ point: FrontierPoint; probe: Probe }>> {
  const out: Array<{ point: FrontierPoint; probe: Probe }> = [];
  for (const run of runs) {
    const { exp, probe } = await trainRun(run.settings, progress(run.label, run.settings.steps));
    exp.dispose();
    const point = { l0: probe.l0, fvu: probe.fvu, architecture: run.settings.sae.architecture, label: run.label };
    out.push({ point, probe });
  }
  return out;
}
