/**
 * batchtopk-threshold: BatchTopK at inference (Bussmann, Leask & Nanda 2024, arXiv:2412.06410)
 * replaces the batch selection by thresholds. Like with like: on the same trained SAEs and the
 * same held-out rows, three threshold rules
 *   - ema: the training-time EMA of the smallest kept activation (the model's own `encode`);
 *   - global: one threshold fitted afterwards so that L0 = k on calibration rows (the batch rule
 *     applied to the whole calibration set, `fitGlobalThreshold`);
 *   - perLatent: one threshold per latent fitted afterwards on the same calibration rows to the
 *     batch selection's firing rates (`calibrateThresholds`; their L0 is k there too);
 * and the batch selection itself as the reference. Global and per-latent are fitted to the same
 * calibration L0 (k), so their FVUs are compared at matched L0; the EMA's L0 is what it is, and
 * L0 / k says how far the training-time estimate lands from k. A stack of ks x seeds trained on
 * the same batches of the character model's residual stream; the EMA's L0 / k and FVU against
 * samples seen (0 = untrained, its threshold set by one training-mode selection).
 */
import * as tf from '@tensorflow/tfjs';
import {
  batchSelection,
  calibrateThresholds,
  firingRates,
  fitGlobalThreshold,
  thresholdedMetrics,
} from '../src/analysis/batchtopk-threshold';
import type { ReproductionRow } from '../src/analysis/reproduction';
import { meanInterval } from '../src/analysis/stats';
import { BatchTopKSae, disposeOutput, referenceLearningRate } from '../src/sae';
import {
  charResiduals,
  ARM_COLORS,
  intervalSeries,
  randomRows,
  relativeChangeLast20,
  seedMeans,
  shuffledRows,
  sig,
  stackIndex,
  trainStackWithCurves,
  sigInterval,
} from './common';
import type { Study } from './study';

export const BATCHTOPK_MODES = ['batch', 'ema', 'global', 'perLatent'] as const;
type Mode = (typeof BATCHTOPK_MODES)[number];

const LABEL: Record<Mode, string> = {
  batch: 'batch selection (training rule)',
  ema: 'EMA threshold (training time)',
  global: 'global threshold fitted afterwards',
  perLatent: 'per-latent thresholds fitted afterwards',
};

export const batchtopkThreshold: Study = {
  name: 'batchtopk-threshold',
  title: 'BatchTopK at inference: the EMA threshold, a global threshold and per-latent thresholds',
  question:
    'On the same trained BatchTopK SAEs and held-out rows, what inference L0 / k does the training-time EMA threshold ' +
    'give, and at matched L0, does one global threshold fitted afterwards reconstruct as well as per-latent thresholds?',
  async run(ctx) {
    const q = ctx.quick;
    const n = q ? 64 : 512;
    const ks = q ? [2, 4] : [8, 16, 32];
    const seeds = [0, 1, 2].map((s) => ctx.seed + s);
    const S = seeds.length;
    const steps = q ? 12 : 800;
    // B = 256: the selection over the flattened batch costs 4x more per step at B = 512 (timed probe).
    const batchSize = q ? 64 : 256;
    const measureEvery = q ? 4 : 100;
    const lr = referenceLearningRate(n);
    const train = await charResiduals('train', q ? 1024 : 32768);
    const heldOut = await charResiduals('heldOut', q ? 512 : 4096);
    const D = train.dim;
    const calibrationRows = q ? 512 : 4096;
    // Calibration rows come from the training text, never from the held-out rows they are scored on.
    const calibration = shuffledRows(train.activations, D, ctx.seed + 7).nextBatch(calibrationRows);

    const saes = ks.flatMap((k) =>
      seeds.map((seed) => new BatchTopKSae({ architecture: 'batch-topk', dIn: D, nLatents: n, k, seed })),
    );
    try {
      const curves = await trainStackWithCurves(
        ctx,
        `${saes.length} BatchTopK SAEs`,
        saes,
        randomRows(train.activations, D, ctx.seed),
        { steps, batchSize, lr, normalizeInput: true, initSamples: Math.min(4096, train.length), measureEvery },
        async (trainer) => {
          const l0OverK: number[] = [];
          const fvu: number[] = [];
          for (const sae of trainer.saes as BatchTopKSae[]) {
            if (trainer.inputsSeen === 0) {
              // Untrained: theta is 0 (every positive pre-activation fires); one training-mode selection sets it
              // to the smallest kept activation, as the first update of training would (stats.ts untrainedBaseline).
              const xBD = tf.tensor2d(calibration.subarray(0, batchSize * D), [batchSize, D]);
              disposeOutput(sae.forward(xBD, { training: true }));
              xBD.dispose();
            }
            const [theta] = await sae.threshold.data();
            const m = await thresholdedMetrics(sae, heldOut.activations, new Float64Array(n).fill(theta));
            l0OverK.push(m.l0 / sae.k);
            fvu.push(m.fvu);
          }
          return { emaL0OverK: l0OverK, emaFvu: fvu };
        },
      );
      const x = curves.samples;

      // At the end, every rule on every SAE, on the same held-out rows.
      const l0: Record<Mode, number[][]> = { batch: [], ema: [], global: [], perLatent: [] }; // [k][seed]
      const fvu: Record<Mode, number[][]> = { batch: [], ema: [], global: [], perLatent: [] };
      const neverFiring: number[][] = [];
      for (const [ki, k] of ks.entries()) {
        for (const mode of BATCHTOPK_MODES) {
          l0[mode].push([]);
          fvu[mode].push([]);
        }
        neverFiring.push([]);
        for (let s = 0; s < S; s++) {
          const sae = saes[stackIndex(ki, s, S)];
          const { reluMN, selectedMN } = await batchSelection(sae, calibration, batchSize);
          const perLatent = calibrateThresholds(
            reluMN,
            calibrationRows,
            n,
            firingRates(selectedMN, calibrationRows, n),
          );
          neverFiring[ki].push(perLatent.filter((t) => t === Number.POSITIVE_INFINITY).length);
          const [ema] = await sae.threshold.data();
          const thresholds: Record<Mode, ArrayLike<number> | null> = {
            batch: null,
            ema: new Float64Array(n).fill(ema),
            global: new Float64Array(n).fill(fitGlobalThreshold(reluMN, calibrationRows, k)),
            perLatent,
          };
          for (const mode of BATCHTOPK_MODES) {
            const m = await thresholdedMetrics(sae, heldOut.activations, thresholds[mode], batchSize);
            l0[mode][ki].push(m.l0);
            fvu[mode][ki].push(m.fvu);
          }
        }
      }
      const stat = (v: number[]) => meanInterval(v);

      // perSeed(metric, ki)[seed][checkpoint]: the stack's curve of metric for k = ks[ki].
      const perSeed = (metric: string, ki: number) => seeds.map((_, s) => curves.curves[metric][stackIndex(ki, s, S)]);
      const emaFigures = [
        {
          file: 'ema-l0-vs-samples.png',
          metric: 'emaL0OverK',
          title: 'Held-out inference L0 / k with the EMA threshold, against training inputs',
          y: 'inference L0 / k',
          caption: `Mean over ${S} seeds (solid) with the 95% interval (faded); 1 means the EMA threshold keeps k latents per input on average.`,
        },
        {
          file: 'ema-fvu-vs-samples.png',
          metric: 'emaFvu',
          title: 'Held-out FVU with the EMA threshold, against training inputs',
          y: 'FVU',
          caption: 'The point at 0 inputs is the untrained SAE with its threshold set by one training-mode selection.',
        },
      ];
      for (const fig of emaFigures) {
        ctx.figure(
          fig.file,
          {
            title: fig.title,
            kind: 'line',
            x: { title: 'training inputs seen' },
            y: { title: fig.y, min: 0 },
            series: ks.flatMap((k, ki) => intervalSeries(`k = ${k}`, x, perSeed(fig.metric, ki), ARM_COLORS[ki])),
          },
          fig.caption,
        );
      }
      ctx.figure(
        'frontier.png',
        {
          title: 'Held-out FVU against inference L0, each rule (means over seeds)',
          kind: 'scatter',
          x: { title: 'held-out L0 (active latents per input)', log: true },
          y: { title: 'held-out fraction of variance unexplained' },
          series: BATCHTOPK_MODES.map((m) => ({
            name: LABEL[m],
            kind: 'line' as const,
            points: ks
              .map((_, ki) => [Math.max(stat(l0[m][ki]).mean, 1e-3), stat(fvu[m][ki]).mean] as [number, number])
              .sort((a, b) => a[0] - b[0]),
            labels: ks.map((k) => `k=${k}`),
          })),
        },
        'One point per training k; global and per-latent are fitted to L0 = k on the same calibration rows. Lower left is better.',
      );

      const sizes = `character model residual stream (D = ${D}), BatchTopK n = ${n}, B = ${batchSize}`;
      const setting = (k: number) => ({
        sizes: `${sizes}, k = ${k}`,
        samplesSeen: x[x.length - 1],
        lr: `${sig(lr)} (2e-4 / sqrt(n / 2^14))`,
        seeds,
      });
      const mid = Math.floor(ks.length / 2);
      const untrainedL0OverK = seeds.map((_, s) => curves.curves.emaL0OverK[stackIndex(mid, s, S)][0]);
      const reproduction: ReproductionRow[] = [
        {
          claim: 'The training-time EMA threshold gives an inference L0 close to the training k (within 10%)',
          source: 'Bussmann, Leask & Nanda 2024 (arXiv:2412.06410), Sec. 3 (inference with a global threshold)',
          published: 'a global threshold estimated during training replaces the batch selection at inference',
          metric: `held-out inference L0 / k with the EMA threshold, k = ${ks[mid]}`,
          setting: setting(ks[mid]),
          ours: stat(l0.ema[mid].map((v) => v / ks[mid])),
          baseline: stat(untrainedL0OverK),
          expect: { relation: 'less', than: 1.1 },
          reason: 'the EMA threshold lets through more than 1.1 k latents per held-out input',
          note: 'the 10% tolerance is ours: the paper states no number for it',
        },
      ];

      const numbers = {
        nLatents: n,
        ks,
        seeds,
        steps,
        batchSize,
        lr,
        calibrationRows,
        heldOutRows: heldOut.length,
        samples: x,
        emaL0OverKCurves: ks.map((_, ki) => perSeed('emaL0OverK', ki)),
        emaFvuCurves: ks.map((_, ki) => perSeed('emaFvu', ki)),
        l0,
        fvu,
        neverFiringPerLatent: neverFiring,
        plateauRelativeChange: ks.map((_, ki) => relativeChangeLast20(x, seedMeans(perSeed('emaFvu', ki)))),
      };
      const summary = [
        `${saes.length} BatchTopK SAEs (n = ${n}; k = ${ks.join(', ')}; seeds ${seeds.join(', ')}) trained as one stack on ` +
          `the character model's residual stream (D = ${D}): ${steps} steps of ${batchSize} ` +
          `(${x[x.length - 1].toLocaleString('en-US')} inputs), lr ${sig(lr)}. Every rule is read on the same ` +
          `${heldOut.length} held-out rows; the fitted thresholds on ${calibrationRows} training rows. ` +
          'Held-out L0 / k and FVU, mean [95% interval] over seeds:',
        '',
        `| rule | ${ks.map((k) => `L0 / k, k = ${k}`).join(' | ')} | ${ks.map((k) => `FVU, k = ${k}`).join(' | ')} |`,
        `|---|${ks.map(() => '---').join('|')}|${ks.map(() => '---').join('|')}|`,
        ...BATCHTOPK_MODES.map(
          (m) =>
            `| ${LABEL[m]} | ${ks.map((k, ki) => sigInterval(stat(l0[m][ki].map((v) => v / k)))).join(' | ')} | ` +
            `${ks.map((_, ki) => sigInterval(stat(fvu[m][ki]))).join(' | ')} |`,
        ),
        '',
        'Global and per-latent thresholds are fitted to the same calibration L0 (k), so their FVUs compare at matched L0; ' +
          `latents that never fired in calibration (per-latent threshold +inf), per k: ${neverFiring
            .map((v) => v.join('/'))
            .join(', ')}.`,
        '',
        `Relative change of the seed-mean EMA FVU over the last 20% of training: ${numbers.plateauRelativeChange
          .map((v, ki) => `k = ${ks[ki]} ${sig(v)}`)
          .join(', ')}.`,
      ].join('\n');
      return { summary, numbers, reproduction };
    } finally {
      for (const sae of saes) sae.dispose();
    }
  },
};
