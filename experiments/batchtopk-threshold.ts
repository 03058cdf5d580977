/**
 * batchtopk-threshold: BatchTopK's L0 at inference against the k it was trained with, with
 * the global EMA threshold (the model's own `encode`) and with a threshold per latent
 * calibrated to the training firing rates (src/analysis/batchtopk-threshold.ts); the batch
 * selection itself is the reference. And the (L0, FVU) frontier of each.
 */
import {
  batchSelection,
  calibrateThresholds,
  firingRates,
  thresholdedMetrics,
} from '../src/analysis/batchtopk-threshold';
import { paretoFront } from '../src/analysis/frontier';
import { BatchTopKSae } from '../src/sae';
import { charResiduals, shuffledRows, sig, trainWithProgress } from './common';
import type { Study } from './study';

export const BATCHTOPK_MODES = ['batch', 'global', 'perLatent'] as const;

export const batchtopkThreshold: Study = {
  name: 'batchtopk-threshold',
  title: 'BatchTopK at inference: one threshold or one per latent',
  question:
    'What L0 does BatchTopK reach at inference, against the k it was trained with, with one global threshold and ' +
    'with per-latent thresholds calibrated to the training firing rates, and how do their frontiers compare?',
  async run(ctx) {
    const q = ctx.quick;
    const n = q ? 64 : 256;
    const ks = q ? [2, 4] : [4, 8, 16, 32];
    const steps = q ? 10 : 150;
    const batchSize = q ? 64 : 128;
    const train = await charResiduals('train', q ? 1024 : 8192);
    const heldOut = await charResiduals('heldOut', q ? 512 : 2048);
    const D = train.dim;
    const calibrationRows = q ? 512 : 2048;
    const calibration = shuffledRows(train.activations, D, ctx.seed + 7).nextBatch(calibrationRows);

    const l0: Record<string, number[]> = { batch: [], global: [], perLatent: [] };
    const fvu: Record<string, number[]> = { batch: [], global: [], perLatent: [] };
    const globalThreshold: number[] = [];
    const neverFiring: number[] = [];
    for (const k of ks) {
      const sae = new BatchTopKSae({ architecture: 'batch-topk', dIn: D, nLatents: n, k, seed: ctx.seed });
      try {
        await trainWithProgress(ctx, `batch-topk k=${k}`, sae, shuffledRows(train.activations, D, ctx.seed), {
          steps,
          batchSize,
          lr: 2e-3,
          deadWindow: 25 * batchSize,
          normalizeInput: true,
          initSamples: Math.min(2048, train.length),
        });
        const { reluMN, selectedMN } = await batchSelection(sae, calibration, batchSize);
        const rates = firingRates(selectedMN, calibrationRows, n);
        const theta = calibrateThresholds(reluMN, calibrationRows, n, rates);
        neverFiring.push(theta.filter((t) => t === Number.POSITIVE_INFINITY).length);
        const g = await sae.threshold.data();
        globalThreshold.push(g[0]);
        const results = {
          batch: await thresholdedMetrics(sae, heldOut.activations, null, batchSize),
          global: await thresholdedMetrics(sae, heldOut.activations, new Float64Array(n).fill(g[0])),
          perLatent: await thresholdedMetrics(sae, heldOut.activations, theta),
        };
        for (const mode of BATCHTOPK_MODES) {
          l0[mode].push(results[mode].l0);
          fvu[mode].push(results[mode].fvu);
        }
      } finally {
        sae.dispose();
      }
    }

    const label = {
      batch: 'batch selection (training rule)',
      global: 'global threshold',
      perLatent: 'per-latent thresholds',
    };
    ctx.figure(
      'l0-vs-k.png',
      {
        title: 'Inference L0 against the training k (held-out text)',
        kind: 'line',
        x: { title: 'training k (average active latents per input)', log: true },
        y: { title: 'held-out L0 (active latents per input)', log: true },
        series: [
          ...BATCHTOPK_MODES.map((m) => ({
            name: label[m],
            points: ks.map((k, i) => [k, Math.max(l0[m][i], 1e-3)] as [number, number]),
          })),
          { name: 'L0 = k', points: ks.map((k) => [k, k] as [number, number]), dashed: true },
        ],
      },
      'On the dashed line the inference rule keeps, on average, as many latents as training did.',
    );
    const front = (m: string) => paretoFront(l0[m].map((v, i) => [v, fvu[m][i]]));
    ctx.figure(
      'frontier.png',
      {
        title: 'FVU against L0 for each inference rule',
        kind: 'scatter',
        x: { title: 'held-out L0 (active latents per input)', log: true },
        y: { title: 'held-out fraction of variance unexplained' },
        series: BATCHTOPK_MODES.map((m) => ({
          name: label[m],
          kind: 'line' as const,
          points: ks
            .map((_, i) => [Math.max(l0[m][i], 1e-3), fvu[m][i]] as [number, number])
            .sort((a, b) => a[0] - b[0]),
          labels: ks.map((k) => `k=${k}`),
        })),
      },
      'One point per trained SAE (training k), joined in order of L0; lower left is better.',
    );

    const numbers = {
      nLatents: n,
      ks,
      steps,
      batchSize,
      calibrationRows,
      heldOutRows: heldOut.length,
      l0,
      fvu,
      globalThreshold,
      neverFiringPerLatent: neverFiring,
      frontier: Object.fromEntries(BATCHTOPK_MODES.map((m) => [m, front(m).map(([x, y]) => [x, y])])),
    };
    const row = (m: (typeof BATCHTOPK_MODES)[number]) =>
      `| ${label[m]} | ${ks.map((_, i) => `${sig(l0[m][i])} / ${sig(fvu[m][i])}`).join(' | ')} |`;
    const summary = [
      `BatchTopK SAEs (n = ${n}) on the character model's residual stream (D = ${D}), ${steps} steps of ${batchSize}, ` +
        `one per training k. Held-out L0 / FVU (${heldOut.length} characters) under each inference rule; ` +
        `per-latent thresholds calibrated on ${calibrationRows} training rows:`,
      '',
      `| rule | ${ks.map((k) => `k = ${k}`).join(' | ')} |`,
      `|---|${ks.map(() => '---').join('|')}|`,
      ...BATCHTOPK_MODES.map(row),
      '',
      `Global-threshold L0 / k: ${ks.map((k, i) => sig(l0.global[i] / k)).join(', ')}; per-latent L0 / k: ` +
        `${ks.map((k, i) => sig(l0.perLatent[i] / k)).join(', ')}. Latents that never fired in calibration ` +
        `(threshold +inf): ${neverFiring.join(', ')}.`,
    ].join('\n');
    return { summary, numbers };
  },
};
