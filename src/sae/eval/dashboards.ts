/**
 * Feature dashboards for the character model (after Bricken et al. 2023's feature pages and
 * sae_vis / Neuronpedia): per latent, the top-activating contexts with the latent's activation on
 * every character around them, samples across the activation range, an activation histogram, the
 * density, and the logit effect of its decoder direction through the unembedding.
 *
 * Streaming: `DashboardCollector.add` takes the batches of the held-out pass (`spliceEvaluate`'s
 * `onBatch`); memory is bounded per latent (a top-K set, a reservoir of R samples, a histogram),
 * never all activations. Per-character activations come from the same window as the example
 * (the positions of that window only, as the model saw them).
 *
 * - Top-K: the K highest activations (ties: earlier position first).
 * - Quantile samples: a uniform reservoir of R firing examples (Vitter 1985, Algorithm R, seeded),
 *   from which the examples at quantiles 0.1, 0.3, 0.5, 0.7, 0.9 of the reservoir's activations
 *   are shown.
 * - Histogram of log10(activation) over firing positions, `bins` bins over [log10Min, log10Max];
 *   the first and last bins also count everything below and above.
 * - Logit effect (the direct path, as sae_vis computes W_dec W_U): the decoder direction d_j
 *   scaled by the final LayerNorm gain g and read out by the tied unembedding,
 *     effect_j = (d_j * g) W_te^T,  centred over the vocabulary (softmax ignores a constant).
 *   It ignores later blocks and LayerNorm's normalisation: a first look, not a causal measurement.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt, checkNumber } from '../../base/errors';
import { Rng } from '../../core/random';
import type { CharLm } from '../../data/lm/char-lm';
import { CharVocab } from '../../data/lm/vocab';
import { type LatentRows, latentValue } from './latent-rows';
import type { SpliceBatch } from './splice';

/** Options of the dashboards. */
export interface DashboardOptions {
  /** Top-activating examples kept per latent. Default 10. */
  topK?: number;
  /** Reservoir size for the quantile samples. Default 32. */
  reservoir?: number;
  /** Characters shown before / after the activating one. Defaults 24 / 4. */
  left?: number;
  right?: number;
  /** Histogram bins and range of log10(activation). Defaults 24 over [-2, 2]. */
  bins?: number;
  log10Min?: number;
  log10Max?: number;
  /** Characters listed as promoted / suppressed. Default 8. */
  logitTop?: number;
  /** Seed of the reservoir. Default 0. */
  seed?: number;
}

/** One example: the text around a position and the latent's activation on each of its characters. */
export interface ContextExample {
  position: number;
  activation: number;
  /** The characters shown; the activating one is at `index`. */
  text: string;
  index: number;
  /** The latent's activation on each character of `text` (0 where it does not fire). */
  activations: number[];
}

/** The dashboard of one latent (JSON a page renders). */
export interface FeatureDashboard {
  latent: number;
  /** Fraction of positions it fires on. */
  density: number;
  fired: number;
  maxActivation: number;
  meanActivation: number;
  top: ContextExample[];
  quantiles: { quantile: number; example: ContextExample }[];
  histogram: { log10Edges: number[]; counts: number[] };
  logitEffect: { promoted: { char: string; value: number }[]; suppressed: { char: string; value: number }[] };
}

/** Collects the dashboards of every latent from the batches of a held-out pass. */
export class DashboardCollector {
  readonly topK: number;
  readonly reservoirSize: number;
  readonly left: number;
  readonly right: number;
  readonly bins: number;
  readonly log10Min: number;
  readonly log10Max: number;
  private readonly rng: Rng;
  private positions = 0;
  private readonly fired: Float64Array;
  private readonly sum: Float64Array;
  private readonly max: Float64Array;
  private readonly histogram: Float64Array;
  /** Per latent, the kept top examples and the index of the smallest. */
  private readonly top: ContextExample[][];
  private readonly topMin: Float64Array;
  private readonly reservoir: ContextExample[][];

  /** @param chars the text the positions index into (the decoded held-out tokens) */
  constructor(
    readonly nLatents: number,
    readonly chars: string,
    options: DashboardOptions = {},
  ) {
    checkInt('nLatents', nLatents, 1);
    this.topK = checkInt('topK', options.topK ?? 10, 1);
    this.reservoirSize = checkInt('reservoir', options.reservoir ?? 32, 1);
    this.left = checkInt('left', options.left ?? 24, 0);
    this.right = checkInt('right', options.right ?? 4, 0);
    this.bins = checkInt('bins', options.bins ?? 24, 1);
    this.log10Min = checkNumber('log10Min', options.log10Min ?? -2, {});
    this.log10Max = checkNumber('log10Max', options.log10Max ?? 2, { min: this.log10Min, minOpen: true });
    this.rng = new Rng(checkInt('seed', options.seed ?? 0, 0, 2 ** 32 - 1));
    this.fired = new Float64Array(nLatents);
    this.sum = new Float64Array(nLatents);
    this.max = new Float64Array(nLatents);
    this.histogram = new Float64Array(nLatents * this.bins);
    this.top = Array.from({ length: nLatents }, () => []);
    this.topMin = new Float64Array(nLatents);
    this.reservoir = Array.from({ length: nLatents }, () => []);
  }

  /** Adds one batch: row b*T + t of `latents` is text position windowStarts[b] + t. */
  add(batch: SpliceBatch): void {
    const { windowStarts, T, latents } = batch;
    if (latents.rows !== windowStarts.length * T)
      throw new InputError('batch', `${latents.rows} latent rows for ${windowStarts.length} windows of ${T}`);
    if (latents.nLatents !== this.nLatents)
      throw new InputError('batch', `has ${latents.nLatents} latents, expected ${this.nLatents}`);
    const span = this.log10Max - this.log10Min;
    for (let r = 0; r < latents.rows; r++) {
      const b = Math.floor(r / T);
      const t = r - b * T;
      for (let e = latents.rowStart[r]; e < latents.rowStart[r + 1]; e++) {
        const j = latents.idx[e];
        const v = latents.val[e];
        const seen = this.fired[j]++;
        this.sum[j] += v;
        if (v > this.max[j]) this.max[j] = v;
        const bin = Math.floor(((Math.log10(v) - this.log10Min) / span) * this.bins);
        this.histogram[j * this.bins + Math.min(this.bins - 1, Math.max(0, bin))]++;
        const example = () => this.example(latents, windowStarts[b], b, t, T, j, v);
        // Top-K: insert when not full or above the current minimum (ties keep the earlier position).
        const top = this.top[j];
        if (top.length < this.topK) {
          top.push(example());
          this.topMin[j] = Math.min(...top.map((x) => x.activation));
        } else if (v > this.topMin[j]) {
          let at = 0;
          for (let i = 1; i < top.length; i++)
            if (
              top[i].activation < top[at].activation ||
              (top[i].activation === top[at].activation && top[i].position > top[at].position)
            )
              at = i;
          top[at] = example();
          this.topMin[j] = Math.min(...top.map((x) => x.activation));
        }
        // Reservoir (Algorithm R): keep each of the first R; then replace a random slot with probability R / (seen + 1).
        const res = this.reservoir[j];
        if (res.length < this.reservoirSize) res.push(example());
        else {
          const slot = Math.floor(this.rng.uniform() * (seen + 1));
          if (slot < this.reservoirSize) res[slot] = example();
        }
      }
    }
    this.positions += latents.rows;
  }

  /** The example at row b*T + t: its context inside window b. */
  private example(
    latents: LatentRows,
    start: number,
    b: number,
    t: number,
    T: number,
    j: number,
    v: number,
  ): ContextExample {
    const from = Math.max(0, t - this.left);
    const to = Math.min(T - 1, t + this.right);
    const activations: number[] = [];
    for (let u = from; u <= to; u++) activations.push(u === t ? v : latentValue(latents, b * T + u, j));
    return {
      position: start + t,
      activation: v,
      text: this.chars.slice(start + from, start + to + 1),
      index: t - from,
      activations,
    };
  }

  /**
   * The dashboards of `latents` (default all), with logit effects from `effects` (see
   * `logitEffects`), most active first within `top`.
   */
  dashboards(effects: LogitEffects | null, latents?: number[]): FeatureDashboard[] {
    const ids = latents ?? Array.from({ length: this.nLatents }, (_, j) => j);
    const edges = Array.from(
      { length: this.bins + 1 },
      (_, i) => this.log10Min + ((this.log10Max - this.log10Min) * i) / this.bins,
    );
    return ids.map((j) => {
      const res = [...this.reservoir[j]].sort((a, b) => a.activation - b.activation || a.position - b.position);
      return {
        latent: j,
        density: this.positions > 0 ? this.fired[j] / this.positions : 0,
        fired: this.fired[j],
        maxActivation: this.max[j],
        meanActivation: this.fired[j] > 0 ? this.sum[j] / this.fired[j] : 0,
        top: [...this.top[j]].sort((a, b) => b.activation - a.activation || a.position - b.position),
        quantiles:
          res.length === 0
            ? []
            : [0.1, 0.3, 0.5, 0.7, 0.9].map((q) => ({ quantile: q, example: res[Math.floor(q * (res.length - 1))] })),
        histogram: {
          log10Edges: edges,
          counts: Array.from(this.histogram.subarray(j * this.bins, (j + 1) * this.bins)),
        },
        logitEffect: effects ? effects.of(j) : { promoted: [], suppressed: [] },
      };
    });
  }
}

/** Centred direct-path logit effects [N, V] of decoder directions, with a per-latent reader. */
export interface LogitEffects {
  /** Row-major [N, V]. */
  values: Float32Array;
  vocabSize: number;
  of(latent: number): FeatureDashboard['logitEffect'];
}

/**
 * effect_j = (d_j * g_f) W_te^T - mean_v(...) for every decoder direction d_j (input units) [N, D].
 */
export async function logitEffects(model: CharLm, decoder: Float32Array, top = 8): Promise<LogitEffects> {
  const D = model.dModel;
  const V = model.config.vocabSize;
  checkInt('top', top, 1, V);
  if (decoder.length % D !== 0) throw new InputError('decoder', `length ${decoder.length} is not a multiple of ${D}`);
  const N = decoder.length / D;
  const t = tf.tidy(() => {
    const e = tf.tensor2d(decoder, [N, D]).mul(model.params.get('lnf.g')).matMul(model.params.get('wte').transpose());
    return e.sub(e.mean(1, true));
  });
  const values = (await t.data()) as Float32Array;
  t.dispose();
  const vocab = new CharVocab();
  return {
    values,
    vocabSize: V,
    of(j: number) {
      const row = Array.from(values.subarray(j * V, (j + 1) * V), (value, v) => ({ char: vocab.chars[v], value }));
      row.sort((a, b) => b.value - a.value);
      return { promoted: row.slice(0, top), suppressed: row.slice(-top).reverse() };
    },
  };
}
