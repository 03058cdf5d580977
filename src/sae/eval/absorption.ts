/**
 * Feature absorption (Chanin et al. 2024, "A is for Absorption", arXiv:2409.14507): a parent
 * feature's latent stays silent on some inputs where the parent holds, because a more specific
 * child latent has absorbed the parent direction ("starts with L" absorbed into "lion").
 *
 * Two settings:
 * - The hierarchical toy (`HierarchicalData`, true parents and children known): `toyAbsorption`
 *   runs the SAE on fresh samples and applies `absorptionRate` (truth.ts).
 * - The character model: a character-level analogue of the first-letter task. The parent is "the
 *   current character is in class C" (default the vowels a e i o u), the children are the
 *   characters of C. Steps (`charAbsorption`):
 *   1. a logistic-regression probe for the parent on the residual stream at the SAE's layer
 *      (training rows), giving the unit probe direction p;
 *   2. main latents: among the 20 latents whose decoder rows have the highest cosine with p,
 *      the `mainLatents` whose firing best predicts the parent (F1 on the training rows): our
 *      one-step stand-in for Chanin et al.'s k-sparse probing;
 *   3. on held-out rows where the parent holds and the probe says so, with contributions
 *      a_j = f_j <d_j, p> of the firing latents (d_j the decoder row in input units):
 *      - absorbed: no main latent fires, and the largest positive contribution comes from a latent
 *        with cos(d_j, p) >= `absorbCosine` (it carries the probe direction instead);
 *        absorption rate = #absorbed / #positives;
 *      - absorption fraction = sum of a_j > 0 over non-main latents with cos >= absorbCosine,
 *        divided by the sum of all a_j > 0 (partial absorption, as SAEBench's absorption fraction),
 *        averaged over the positives.
 *   Reported pooled and per child character.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError, checkInt, checkNumber } from '../../base/errors';
import { CharLmActivations } from '../../data/lm/activations';
import type { CharLm } from '../../data/lm/char-lm';
import { type ParentAbsorption, absorptionRate } from './truth';
import type { HierarchicalData } from '../../data/synthetic';
import type { SparseAutoencoder } from '../base';
import { type LatentRows, decoderDirections, latentRowsOf } from './latent-rows';
import { disposeLatents } from './splice';

/** Absorption on the hierarchical toy (JSON-able). */
export interface ToyAbsorption {
  samples: number;
  rate: number;
  carriedRate: number;
  parentOnlyRecall: number;
  perParent: ParentAbsorption[];
}

/** Runs the SAE on `samples` fresh inputs of the toy and measures `absorptionRate`. */
export async function toyAbsorption(
  sae: SparseAutoencoder,
  data: HierarchicalData,
  samples = 4096,
): Promise<ToyAbsorption> {
  checkInt('samples', samples, 1);
  if (data.dim !== sae.dIn) throw new InputError('data', `dim ${data.dim} does not match dIn ${sae.dIn}`);
  const { x, codes } = data.sample(samples);
  const dense = tf.tidy(() => {
    const latents = sae.encode(tf.tensor2d(x, [samples, sae.dIn]));
    return latents.kind === 'dense' ? latents.denseBN : scatterDense(latents.valuesBK, latents.indicesBK, sae.nLatents);
  });
  const latents = (await dense.data()) as Float32Array;
  dense.dispose();
  const r = absorptionRate({
    decoder: await decoderDirections(sae),
    directions: data.directions,
    dim: data.dim,
    parents: data.parents,
    children: data.children,
    codes,
    latents,
  });
  return { samples, ...r };
}

/** Dense [B, N] from sparse latents (inside a tidy). */
function scatterDense(valuesBK: tf.Tensor2D, indicesBK: tf.Tensor2D, N: number): tf.Tensor2D {
  const [B, K] = valuesBK.shape;
  const rows = tf
    .range(0, B, 1, 'int32')
    .reshape([B, 1])
    .tile([1, K])
    .reshape([B * K, 1]);
  const idx = tf.concat([rows, indicesBK.toInt().reshape([B * K, 1])], 1);
  return tf.scatterND(idx, valuesBK.reshape([B * K]), [B, N]) as tf.Tensor2D;
}

/** A linear probe: p(parent | x) = sigmoid(<w, x> + b), in input units. */
export interface LinearProbe {
  weights: Float32Array;
  bias: number;
  /** Accuracy on the rows it was trained on. */
  trainAccuracy: number;
}

/**
 * Logistic regression by full-batch gradient descent on standardised inputs
 * x'_j = (x_j - mu_j) / sigma_j, minimising mean BCE + (l2 / 2) ||w'||^2:
 *   g_w = X'^T (sigmoid(X' w + b) - y) / M + l2 w,   g_b = mean(sigmoid(X' w + b) - y);
 * then mapped back to input units: w = w' / sigma, b = b' - sum_j w'_j mu_j / sigma_j.
 * @param xMD row-major [M, D]  @param labels [M] of 0/1
 */
export async function trainLinearProbe(
  xMD: Float32Array,
  labels: ArrayLike<number>,
  dim: number,
  options: { steps?: number; lr?: number; l2?: number } = {},
): Promise<LinearProbe> {
  const steps = checkInt('steps', options.steps ?? 300, 1);
  const lr = checkNumber('lr', options.lr ?? 0.5, { min: 0, minOpen: true });
  const l2 = checkNumber('l2', options.l2 ?? 1e-4, { min: 0 });
  const M = labels.length;
  if (xMD.length !== M * dim) throw new InputError('xMD', `needs ${M} x ${dim} values, got ${xMD.length}`);
  const { mean, std } = columnMoments(xMD, M, dim);
  const x = tf.tidy(() => tf.tensor2d(xMD, [M, dim]).sub(tf.tensor1d(mean)).div(tf.tensor1d(std)));
  const y = tf.tensor2d(Float32Array.from(labels), [M, 1]);
  let w = tf.zeros([dim, 1]);
  let b = tf.scalar(0);
  for (let s = 0; s < steps; s++) {
    const [w2, b2] = tf.tidy(() => {
      const err = tf.sigmoid(x.matMul(w).add(b)).sub(y);
      const gw = x.transpose().matMul(err).div(M).add(w.mul(l2));
      return [w.sub(gw.mul(lr)), b.sub(err.mean().mul(lr))];
    });
    tf.dispose([w, b]);
    w = w2;
    b = b2 as tf.Scalar;
  }
  const accT = tf.tidy(() => x.matMul(w).add(b).greater(0).cast('float32').equal(y).cast('float32').mean());
  const [wData, bData, acc] = await Promise.all([w.data(), b.data(), accT.data()]);
  tf.dispose([x, y, w, b, accT]);
  const weights = Float32Array.from(wData, (v, j) => v / std[j]);
  let bias = bData[0];
  for (let j = 0; j < dim; j++) bias -= (wData[j] * mean[j]) / std[j];
  return { weights, bias, trainAccuracy: acc[0] };
}

/** Per-column mean and standard deviation (1 where a column is constant). */
function columnMoments(xMD: Float32Array, M: number, D: number): { mean: Float32Array; std: Float32Array } {
  const mean = new Float64Array(D);
  const sq = new Float64Array(D);
  for (let i = 0; i < M; i++) for (let j = 0; j < D; j++) mean[j] += xMD[i * D + j] / M;
  for (let i = 0; i < M; i++) for (let j = 0; j < D; j++) sq[j] += (xMD[i * D + j] - mean[j]) ** 2 / M;
  return { mean: Float32Array.from(mean), std: Float32Array.from(sq, (v) => (v > 0 ? Math.sqrt(v) : 1)) };
}

/** Inputs of `absorptionCounts`. */
export interface AbsorptionInput {
  /** Latents of the evaluation rows. */
  latents: LatentRows;
  /** Decoder rows in input units [N, D]. */
  decoder: Float32Array;
  dim: number;
  /** Unit probe direction [D]. */
  probe: Float32Array;
  /** Rows to score (parent holds and the probe says so), each with its child label. */
  positives: { row: number; child: string }[];
  /** The main (parent) latents. */
  mainLatents: number[];
  /** Cosine with the probe from which a latent counts as carrying it. */
  absorbCosine: number;
}

/** Absorption over a set of positives (JSON-able). */
export interface AbsorptionCounts {
  positives: number;
  absorbed: number;
  absorptionRate: number;
  absorptionFraction: number;
}

/** Full-absorption rate and mean absorption fraction over the positives (see the module comment). */
export function absorptionCounts(input: AbsorptionInput): AbsorptionCounts & {
  perChild: Record<string, AbsorptionCounts>;
} {
  const { latents, decoder, dim, probe, positives, mainLatents, absorbCosine } = input;
  const N = latents.nLatents;
  if (decoder.length !== N * dim) throw new InputError('decoder', `needs ${N} x ${dim} values, got ${decoder.length}`);
  // <d_j, p> and cos(d_j, p) per latent.
  const proj = new Float64Array(N);
  const cos = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    let dot = 0;
    let nn = 0;
    for (let k = 0; k < dim; k++) {
      dot += decoder[j * dim + k] * probe[k];
      nn += decoder[j * dim + k] ** 2;
    }
    proj[j] = dot;
    cos[j] = nn > 0 ? dot / Math.sqrt(nn) : 0;
  }
  const main = new Set(mainLatents);
  const groups = new Map<string, { n: number; absorbed: number; fraction: number }>();
  const all = { n: 0, absorbed: 0, fraction: 0 };
  for (const { row, child } of positives) {
    let mainFires = false;
    let positive = 0;
    let carried = 0;
    let best = 0;
    let bestLatent = -1;
    for (let e = latents.rowStart[row]; e < latents.rowStart[row + 1]; e++) {
      const j = latents.idx[e];
      if (main.has(j)) mainFires = true;
      const a = latents.val[e] * proj[j];
      if (a <= 0) continue;
      positive += a;
      if (!main.has(j) && cos[j] >= absorbCosine) carried += a;
      if (a > best) {
        best = a;
        bestLatent = j;
      }
    }
    const absorbed = !mainFires && bestLatent >= 0 && cos[bestLatent] >= absorbCosine ? 1 : 0;
    const fraction = positive > 0 ? carried / positive : 0;
    const g = groups.get(child) ?? { n: 0, absorbed: 0, fraction: 0 };
    for (const acc of [g, all]) {
      acc.n++;
      acc.absorbed += absorbed;
      acc.fraction += fraction;
    }
    groups.set(child, g);
  }
  const counts = (g: { n: number; absorbed: number; fraction: number }): AbsorptionCounts => ({
    positives: g.n,
    absorbed: g.absorbed,
    absorptionRate: g.n > 0 ? g.absorbed / g.n : Number.NaN,
    absorptionFraction: g.n > 0 ? g.fraction / g.n : Number.NaN,
  });
  const perChild: Record<string, AbsorptionCounts> = {};
  for (const [child, g] of [...groups.entries()].sort()) perChild[child] = counts(g);
  return { ...counts(all), perChild };
}

/** Options of `charAbsorption`. */
export interface CharAbsorptionOptions {
  /** The SAE's layer. */
  layer: number;
  /** The parent class: its characters are the children. Default 'aeiou'. */
  parent?: string;
  /** Characters of text used (the first 70% train the probe, the rest are scored). Default 16,384. */
  maxChars?: number;
  /** Main latents picked. Default 1. */
  mainLatents?: number;
  /** Default 0.025 (Chanin et al.'s cosine threshold for an absorbing latent). */
  absorbCosine?: number;
  /** Probe training steps. Default 300. */
  probeSteps?: number;
  /** Characters of context every scored position gets (CharLmActivations). Default min(16, contextLength - 1). */
  minContext?: number;
}

/** Absorption on the character model (JSON-able). */
export interface CharAbsorption extends AbsorptionCounts {
  parent: string;
  layer: number;
  probeTrainAccuracy: number;
  probeTestAccuracy: number;
  mainLatents: { latent: number; cosine: number; f1: number }[];
  perChild: Record<string, AbsorptionCounts>;
}

/**
 * The character-level absorption task without an SAE: the activations of `text`, the parent labels,
 * the probe (trained on the first 70%) and the held-out positives it recognises. Built once and
 * scored against many SAEs (`charAbsorptionOf`), so every SAE faces the same probe and rows.
 */
export interface CharAbsorptionTask {
  parent: string;
  layer: number;
  /** Activations [M, D] row-major. */
  activations: Float32Array;
  dim: number;
  labels: Uint8Array;
  /** Rows before `split` trained the probe. */
  split: number;
  /** Unit probe direction [D]. */
  probe: Float32Array;
  positives: { row: number; child: string }[];
  probeTrainAccuracy: number;
  probeTestAccuracy: number;
  mainLatents: number;
  absorbCosine: number;
}

/** Builds the task (steps 1 and the held-out positives of the module comment) on `text`. */
export async function charAbsorptionTask(
  model: CharLm,
  text: string,
  options: CharAbsorptionOptions,
): Promise<CharAbsorptionTask> {
  const parent = options.parent ?? 'aeiou';
  if (parent.length === 0) throw new ConfigError('parent', 'needs at least one character');
  const mainLatents = checkInt('mainLatents', options.mainLatents ?? 1, 1, 20);
  const absorbCosine = checkNumber('absorbCosine', options.absorbCosine ?? 0.025, { min: -1, max: 1 });
  const acts = await CharLmActivations.create(model, text, {
    layer: options.layer,
    maxTokens: options.maxChars ?? 16384,
    minContext: options.minContext ?? Math.min(16, model.config.contextLength - 1),
  });
  const D = acts.dim;
  const M = acts.length;
  const labels = Uint8Array.from({ length: M }, (_, i) => (parent.includes(acts.text[acts.start + i]) ? 1 : 0));
  const split = Math.floor(0.7 * M);
  const probe = await trainLinearProbe(acts.activations.subarray(0, split * D), labels.subarray(0, split), D, {
    steps: options.probeSteps,
  });
  const norm = Math.sqrt(probe.weights.reduce((s, v) => s + v * v, 0));
  // Held-out rows: probe accuracy, and the positives the probe recognises.
  let correct = 0;
  const positives: { row: number; child: string }[] = [];
  for (let r = split; r < M; r++) {
    let z = probe.bias;
    for (let k = 0; k < D; k++) z += probe.weights[k] * acts.activations[r * D + k];
    if (z > 0 === (labels[r] === 1)) correct++;
    if (labels[r] && z > 0) positives.push({ row: r, child: acts.text[acts.start + r] });
  }
  return {
    parent,
    layer: acts.layer,
    activations: acts.activations,
    dim: D,
    labels,
    split,
    probe: Float32Array.from(probe.weights, (v) => v / norm),
    positives,
    probeTrainAccuracy: probe.trainAccuracy,
    probeTestAccuracy: correct / (M - split),
    mainLatents,
    absorbCosine,
  };
}

/** The character-level absorption task (see the module comment) on `text` at the SAE's layer. */
export async function charAbsorption(
  model: CharLm,
  sae: SparseAutoencoder,
  text: string,
  options: CharAbsorptionOptions,
): Promise<CharAbsorption> {
  return charAbsorptionOf(await charAbsorptionTask(model, text, options), sae);
}

/** Scores `sae` on a built task (steps 2 and 3 of the module comment). */
export async function charAbsorptionOf(task: CharAbsorptionTask, sae: SparseAutoencoder): Promise<CharAbsorption> {
  const { dim: D, labels, split, probe: unit, positives } = task;
  const M = labels.length;
  if (D !== sae.dIn) throw new ConfigError('sae', `dIn ${sae.dIn} does not match the model's width ${D}`);
  const xT = tf.tensor2d(task.activations, [M, D]);
  const latentsT = sae.encode(xT);
  const rows = await latentRowsOf(latentsT, sae.nLatents);
  xT.dispose();
  disposeLatents(latentsT);
  const decoder = await decoderDirections(sae);

  // Main latents: top 20 by decoder cosine with the probe, ranked by F1 of firing vs the label.
  const N = sae.nLatents;
  const cos = Float64Array.from({ length: N }, (_, j) => {
    let dot = 0;
    let nn = 0;
    for (let k = 0; k < D; k++) {
      dot += decoder[j * D + k] * unit[k];
      nn += decoder[j * D + k] ** 2;
    }
    return nn > 0 ? dot / Math.sqrt(nn) : 0;
  });
  const candidates = Array.from({ length: N }, (_, j) => j)
    .sort((a, b) => cos[b] - cos[a])
    .slice(0, 20);
  const f1Of = (j: number) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let r = 0; r < split; r++) {
      let fires = false;
      for (let e = rows.rowStart[r]; e < rows.rowStart[r + 1]; e++) if (rows.idx[e] === j) fires = true;
      if (fires && labels[r]) tp++;
      else if (fires) fp++;
      else if (labels[r]) fn++;
    }
    return tp > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
  };
  const main = candidates
    .map((latent) => ({ latent, cosine: cos[latent], f1: f1Of(latent) }))
    .sort((a, b) => b.f1 - a.f1)
    .slice(0, task.mainLatents);

  const counts = absorptionCounts({
    latents: rows,
    decoder,
    dim: D,
    probe: unit,
    positives,
    mainLatents: main.map((m) => m.latent),
    absorbCosine: task.absorbCosine,
  });
  return {
    parent: task.parent,
    layer: task.layer,
    probeTrainAccuracy: task.probeTrainAccuracy,
    probeTestAccuracy: task.probeTestAccuracy,
    mainLatents: main,
    ...counts,
  };
}
