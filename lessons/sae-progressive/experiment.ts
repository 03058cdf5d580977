/**
 * Lesson 7's experiment, shared by the page and the Node script. On the toy of lessons 4-6
 * (m = 64 sparse features in d = 32 dimensions, N = 128 latents) five SAEs train side by side
 * on the same batches:
 *
 * - one Multi-TopK SAE trained at k with L = FVU(k) + FVU(4k)/8 (Gao et al. 2024,
 *   arXiv:2406.04093, Sec. 5.3), read at any k' afterwards (`readK`);
 * - three TopK SAEs trained for one fixed k each (k/2, k, 2k): what training for that k buys;
 * - one BatchTopK SAE at k (Bussmann, Leask & Nanda 2024, arXiv:2412.06410): the batch shares a
 *   budget of k B activations; at inference it needs a threshold, and its L0 drifts from k.
 *
 * Probes (held-out inputs): the FVU/L0 frontier (Multi-TopK read at k' = 1..4k, the fixed-k SAEs
 * as ghost points), the (k+1)-th activation over the k-th, and BatchTopK's inference L0 under
 * the batch rule, the global EMA threshold and per-latent thresholds calibrated to the training
 * firing rates (src/analysis/batchtopk-threshold.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import {
  batchSelection,
  calibrateThresholds,
  firingRates,
  thresholdedMetrics,
} from '../../src/analysis/batchtopk-threshold';
import { fvuAtK, progressiveRatios } from '../../src/analysis/progressive';
import { CHART_COLORS, histogramPoints } from '../../src/charts/spec';
import type { ChartSpec } from '../../src/charts/spec';
import type { StepResult } from '../../src/core/train';
import { SuperpositionData } from '../../src/data/synthetic';
import { BatchTopKSae, SaeTrainer, TopKSae } from '../../src/sae';
import { defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';

/** The toy of lessons 4-6, and the run length of every SAE here. */
export const TOY = {
  numFeatures: 64,
  dim: 32,
  probability: 1 / 16,
  nLatents: 128,
  batchSize: 256,
  heldOut: 2048,
  /** Inputs the per-latent thresholds are calibrated on (drawn from the training stream). */
  calibration: 2048,
  lr: 5e-3,
  steps: 600,
} as const;

/** What `probes` measured last (the script reads these numbers). */
export interface ProgressiveNumbers {
  /** k' = 1 .. 4k and the Multi-TopK SAE's held-out FVU read at each. */
  reads: number[];
  multiFvu: number[];
  /** The fixed-k TopK SAEs: their k and held-out FVU at that k. */
  fixedK: number[];
  fixedFvu: number[];
  /** The Multi-TopK SAE read at each fixed k (same order as `fixedK`). */
  multiAtFixed: number[];
  /** The TopK SAE trained at k, read at every k' (how a plain TopK code degrades off its k). */
  plainFvu: number[];
  /** a_(k'+1) / a_(k') on the held-out inputs, Multi-TopK at readK. */
  ratios: Float64Array;
  /** BatchTopK: held-out L0 and FVU under the batch rule, the global threshold, per-latent thresholds. */
  batch: { l0: number; fvu: number };
  global: { l0: number; fvu: number };
  perLatent: { l0: number; fvu: number };
  globalThreshold: number;
}

export interface ProgressiveRun {
  oneStep(i: number): Promise<StepResult>;
  probes(): Promise<Record<string, ChartSpec>>;
  diagram(): Array<{ label: string; shape: number[]; role: 'data' | 'map' | 'latent' | 'loss' }>;
  dispose(): void;
  /** The numbers of the last `probes()` call (null before the first). */
  last: ProgressiveNumbers | null;
}

const BATCH_COLORS = { k: '#000000', batch: CHART_COLORS[0], global: CHART_COLORS[1], perLatent: CHART_COLORS[2] };

export default defineExperiment({
  title: 'One Multi-TopK SAE read at any k, against SAEs trained for one k',
  settings: {
    k: {
      kind: 'int',
      label: 'training k (Multi-TopK, BatchTopK)',
      default: 4,
      min: 2,
      max: 8,
      help: 'fixed-k TopK SAEs train at k/2, k and 2k',
    },
    readK: { kind: 'int', label: "read the Multi-TopK SAE at k'", default: 4, min: 1, max: 32, slider: 'linear' },
    seed: seedSetting(1),
  },
  metrics: {
    chart: ['multiFvu', 'fixedFvu'],
    yTitle: 'FVU (training batch)',
    log: true,
    readout: ['multiFvu', 'fixedFvu', 'batchFvu', 'batchInferenceL0'],
    names: {
      multiFvu: 'Multi-TopK at k',
      fixedFvu: 'TopK trained at k',
      batchFvu: 'BatchTopK at k',
      batchInferenceL0: 'BatchTopK L0 with the global threshold',
    },
  },
  figures: {
    frontier: {
      title: "FVU against k': one Multi-TopK SAE against SAEs trained for one k",
      caption: 'The curve is one SAE read at every k; the ghost points are SAEs trained for that k alone.',
    },
    nextActivation: {
      title: "The (k'+1)-th activation over the k'-th",
      caption: 'Mass away from 0: the next latent is still clearly on when the code is cut at k.',
      size: 'half',
    },
    batchTopk: {
      title: 'BatchTopK at inference: L0 and FVU by rule',
      caption: 'Training keeps k per input on average; a threshold has to stand in for the batch.',
      size: 'half',
    },
  },
  logEvery: 20,
  maxSteps: TOY.steps,
  check: (s) => (s.readK > 4 * s.k ? [`readK: must be at most 4k = ${4 * s.k}`] : []),
  async create(ctx): Promise<ProgressiveRun> {
    const { k, readK, seed } = ctx.settings;
    const data = new SuperpositionData({
      numFeatures: TOY.numFeatures,
      dim: TOY.dim,
      probability: TOY.probability,
      seed,
    });
    const heldOut = data.sample(TOY.heldOut).x;
    const calibration = data.sample(TOY.calibration).x;
    const fixedK = [Math.max(1, Math.floor(k / 2)), k, 2 * k];
    const common = { dIn: TOY.dim, nLatents: TOY.nLatents, seed };
    const multi = new TopKSae({ architecture: 'topk', ...common, k, multiTopK: true });
    const fixed = fixedK.map((kf) => new TopKSae({ architecture: 'topk', ...common, k: kf }));
    const batchSae = new BatchTopKSae({ architecture: 'batch-topk', ...common, k });
    const saes = [multi, ...fixed, batchSae];
    // Every SAE sees the same batches: one draw per step, handed to each trainer in turn.
    let batch: Float32Array = new Float32Array(0);
    const shared = { dim: TOY.dim, nextBatch: (b: number) => (b === TOY.batchSize ? batch : data.nextBatch(b)) };
    const trainers = saes.map(
      (sae) =>
        new SaeTrainer(sae, shared, {
          steps: TOY.steps,
          batchSize: TOY.batchSize,
          lr: TOY.lr,
          normalizeInput: true,
          deadWindow: TOY.batchSize * 10,
          initSamples: TOY.heldOut,
        }),
    );
    for (const t of trainers) await t.initialise();
    ctx.note(`5 SAEs on ${TOY.numFeatures} features in ${TOY.dim} dimensions, N = ${TOY.nLatents}, k = ${k}`);
    const run: ProgressiveRun = {
      last: null,
      async oneStep() {
        batch = data.nextBatch(TOY.batchSize);
        const outs = [];
        for (const t of trainers) outs.push(await t.step());
        const pick = (o: Record<string, unknown>, key: string) => o[key] as tf.Scalar | number;
        const result: StepResult = {
          multiFvu: pick(outs[0], 'fvu'),
          fixedFvu: pick(outs[2], 'fvu'),
          batchFvu: pick(outs[4], 'fvu'),
          batchInferenceL0: pick(outs[4], 'inferenceL0'),
        };
        const keep = new Set(Object.values(result));
        for (const o of outs) for (const v of Object.values(o)) if (!keep.has(v) && typeof v !== 'number') v.dispose();
        return result;
      },

      async probes() {
        const reads = Array.from({ length: 4 * k }, (_, i) => i + 1);
        const multiFvu: number[] = [];
        const plainFvu: number[] = [];
        for (const kr of reads) {
          multiFvu.push(await fvuAtK(multi, heldOut, kr));
          plainFvu.push(await fvuAtK(fixed[1], heldOut, kr));
        }
        const fixedFvu: number[] = [];
        for (let i = 0; i < fixed.length; i++) fixedFvu.push(await fvuAtK(fixed[i], heldOut, fixedK[i]));
        const multiAtFixed = fixedK.map((kf) => multiFvu[kf - 1]);
        const ratios = await progressiveRatios(multi, heldOut, readK);
        const { reluMN, selectedMN } = await batchSelection(batchSae, calibration, TOY.batchSize);
        const rates = firingRates(selectedMN, TOY.calibration, TOY.nLatents);
        const theta = calibrateThresholds(reluMN, TOY.calibration, TOY.nLatents, rates);
        const [globalThreshold] = await batchSae.threshold.data();
        const n = {
          reads,
          multiFvu,
          fixedK,
          fixedFvu,
          multiAtFixed,
          plainFvu,
          ratios,
          batch: await thresholdedMetrics(batchSae, heldOut, null, TOY.batchSize),
          global: await thresholdedMetrics(batchSae, heldOut, new Float64Array(TOY.nLatents).fill(globalThreshold)),
          perLatent: await thresholdedMetrics(batchSae, heldOut, theta),
          globalThreshold,
        };
        run.last = n;

        const frontier: ChartSpec = {
          title: `Held-out FVU read at k' (Multi-TopK trained at k = ${k})`,
          kind: 'line',
          x: { title: "k' (active latents per input)", log: true },
          y: { title: 'fraction of variance unexplained', log: true },
          series: [
            { name: `Multi-TopK (k = ${k}) read at k'`, points: reads.map((r, i) => [r, multiFvu[i]]) },
            {
              name: `TopK trained at k = ${k}, read at k'`,
              points: reads.map((r, i) => [r, plainFvu[i]]),
              dashed: true,
              color: '#999999',
            },
            {
              name: "TopK trained for each k'",
              kind: 'scatter',
              ghost: true,
              pointRadius: 7,
              color: CHART_COLORS[1],
              points: fixedK.map((kf, i) => [kf, fixedFvu[i]]),
              labels: fixedK.map((kf) => `trained at k = ${kf}`),
            },
            {
              name: `read at k' = ${readK}`,
              kind: 'scatter',
              pointRadius: 6,
              color: '#000000',
              points: [[readK, multiFvu[readK - 1]]],
            },
          ],
        };
        const nextActivation: ChartSpec = {
          title: `a(k'+1) / a(k'), Multi-TopK at k' = ${readK}`,
          kind: 'histogram',
          x: { title: "(k'+1)-th largest activation / k'-th", min: 0, max: 1 },
          y: { title: 'held-out inputs' },
          series: [{ name: `${TOY.heldOut} inputs`, points: histogramPoints(ratios, 20, [0, 1]) }],
        };
        const rules = ['batch', 'global', 'perLatent'] as const;
        const batchTopk: ChartSpec = {
          title: `BatchTopK (k = ${k}): held-out L0 by inference rule`,
          kind: 'bar',
          x: { title: 'rule', categories: ['batch top kB', 'global θ', 'θ per latent'] },
          y: { title: 'active latents per input', min: 0 },
          series: [
            {
              name: 'held-out L0',
              kind: 'bar',
              points: rules.map((r, i) => [i, n[r].l0]),
              labels: rules.map((r) => `FVU ${n[r].fvu.toFixed(3)}`),
              color: BATCH_COLORS.batch,
            },
            {
              name: `training k = ${k}`,
              kind: 'line',
              dashed: true,
              color: BATCH_COLORS.k,
              points: [
                [0, k],
                [2, k],
              ],
            },
          ],
        };
        return { frontier, nextActivation, batchTopk };
      },

      diagram() {
        return [
          { label: 'x (toy features)', shape: [TOY.batchSize, TOY.dim], role: 'data' },
          { label: 'encoder, ReLU', shape: [TOY.batchSize, TOY.nLatents], role: 'map' },
          { label: `top k' (k' = ${readK})`, shape: [TOY.batchSize, readK], role: 'latent' },
          { label: 'FVU(k) + FVU(4k)/8', shape: [], role: 'loss' },
        ];
      },

      dispose() {
        for (const t of trainers) t.dispose();
        for (const sae of saes) sae.dispose();
      },
    };
    return run;
  },
});
