/**
 * dead-latents: does initialising the encoder as the decoder's transpose (Gao et al. 2024,
 * arXiv:2406.04093, Sec. 2.2 and App. C.1) and the AuxK loss (App. A.2) keep latents alive, and
 * does tied init reconstruct better?
 *
 * TopK SAEs, 2 x 2 conditions (tied / independent encoder init, AuxK on / off) x seeds, trained
 * as one stack (every SAE sees every batch) on synthetic superposition streams in two regimes:
 * (a) more true features than latents (the SAE is the bottleneck: dead latents are rare, FVU
 * is the question) and (b) more latents than the data support (the regime where latents die).
 * Gao's learning rate 2e-4 / sqrt(n / 2^14). Measured against samples seen: the dead fraction
 * (not fired in the last `deadWindow` training inputs, the trainer's window), held-out FVU, and
 * the mean cosine between each latent's encoder column and decoder row (1 at tied init; an
 * untied SAE that has not trained yet sits near 0). At the end, dead = fired on none of the
 * held-out inputs, against the same count for the untrained SAEs (samples seen 0).
 */
import * as tf from '@tensorflow/tfjs';
import type { ReproductionRow } from '../src/analysis/reproduction';
import { meanInterval } from '../src/analysis/stats';
import { ConfigError } from '../src/base/errors';
import { SuperpositionData } from '../src/data/synthetic';
import { type SparseAutoencoder, TopKSae, referenceLearningRate } from '../src/sae';
import { evaluateSae } from '../src/sae/eval';
import {
  ARM_COLORS,
  absoluteChangeLast20,
  intervalSeries,
  relativeChangeLast20,
  seedMeans,
  sig,
  stackIndex,
  trainStackWithCurves,
  sigInterval,
} from './common';
import type { Numbers } from './report';
import type { Study } from './study';

/** The four conditions, in the order they are reported (and stacked). */
export const DEAD_LATENT_CONDITIONS = [
  { id: 'tied+auxk', tiedInit: true, auxK: true },
  { id: 'tied', tiedInit: true, auxK: false },
  { id: 'independent+auxk', tiedInit: false, auxK: true },
  { id: 'independent', tiedInit: false, auxK: false },
] as const;

/** One regime: the data's true features against the SAE's latents. */
interface Regime {
  id: 'a' | 'b';
  label: string;
  features: number;
  dim: number;
  probability: number;
  nLatents: number;
  k: number;
  /** Training steps (the full run's: until FVU and the dead fraction level off, within the budget). */
  steps: number;
}

/** Mean over latents of cos(W_enc[:, i], W_dec[i, :]): 1 at tied init. */
async function encoderDecoderCosine(sae: SparseAutoencoder): Promise<number> {
  const cos = tf.tidy(() => {
    const encND = sae.wEncDN.transpose();
    const dec = sae.wDecND;
    const dot = encND.mul(dec).sum(1);
    return dot.div(encND.norm('euclidean', 1).mul(dec.norm('euclidean', 1)).maximum(1e-12)).mean();
  });
  const [value] = await cos.data();
  cos.dispose();
  return value;
}

export const deadLatents: Study = {
  name: 'dead-latents',
  title: 'Dead latents: tied initialisation and AuxK, in both regimes',
  question:
    'Does tied encoder init with AuxK leave fewer dead latents than independent init without it when the SAE has more ' +
    'latents than the data support, and does tied init reconstruct better when it has fewer latents than true features?',
  async run(ctx) {
    const q = ctx.quick;
    const seeds = [0, 1, 2].map((s) => ctx.seed + s);
    const regimes: Regime[] = q
      ? [
          {
            id: 'a',
            label: 'more features than latents',
            features: 96,
            dim: 16,
            probability: 0.05,
            nLatents: 32,
            k: 4,
            steps: 16,
          },
          {
            id: 'b',
            label: 'more latents than features',
            features: 16,
            dim: 16,
            probability: 0.2,
            nLatents: 64,
            k: 4,
            steps: 16,
          },
        ]
      : [
          {
            id: 'a',
            label: 'more features than latents',
            features: 2048,
            dim: 64,
            probability: 0.008,
            nLatents: 512,
            k: 16,
            steps: 600,
          },
          {
            id: 'b',
            label: 'more latents than features',
            features: 128,
            dim: 64,
            probability: 0.04,
            nLatents: 2048,
            k: 4,
            steps: 800,
          },
        ];
    const batchSize = q ? 64 : 1024;
    const measureEvery = q ? 4 : 100;
    // One dead window for the trainer (the set AuxK revives) and the held-out count: in a probe with a
    // 100-batch window no latent of either regime ever counted as dead, so AuxK never acted.
    const deadWindow = (q ? 4 : 8) * batchSize;
    const heldOutRows = q ? 512 : 8192;
    const S = seeds.length;
    const ids: string[] = DEAD_LATENT_CONDITIONS.map((c) => c.id);

    const numbers: Numbers = { seeds, batchSize, deadWindowInputs: deadWindow, heldOutInputs: heldOutRows };
    const reproduction: ReproductionRow[] = [];
    const summaryParts: string[] = [];
    for (const regime of regimes) {
      const lr = referenceLearningRate(regime.nLatents);
      const source = new SuperpositionData({
        numFeatures: regime.features,
        dim: regime.dim,
        probability: regime.probability,
        seed: ctx.seed + 1000,
      });
      // Held-out rows first: the same directions, rows the SAEs never train on.
      const heldOut = source.nextBatch(heldOutRows);
      const saes = DEAD_LATENT_CONDITIONS.flatMap((c) =>
        seeds.map(
          (seed) =>
            new TopKSae({
              architecture: 'topk',
              dIn: regime.dim,
              nLatents: regime.nLatents,
              k: regime.k,
              tiedInit: c.tiedInit,
              auxKCoefficient: c.auxK ? 1 / 32 : 0,
              seed,
            }),
        ),
      );
      if (deadWindow > regime.steps * batchSize)
        throw new ConfigError('deadWindow', `${deadWindow} inputs outlasts regime ${regime.id}'s run`);
      try {
        const untrainedDead: number[] = [];
        const untrainedFvu: number[] = [];
        const curves = await trainStackWithCurves(
          ctx,
          `regime ${regime.id}: ${saes.length} SAEs`,
          saes,
          source,
          {
            steps: regime.steps,
            batchSize,
            lr,
            deadWindow,
            normalizeInput: true,
            initSamples: Math.min(4096, 8 * batchSize),
            measureEvery,
          },
          async (trainer) => {
            const fvu: number[] = [];
            const cosine: number[] = [];
            const dead: number[] = [];
            const heldOutDead: number[] = [];
            for (const [i, sae] of trainer.saes.entries()) {
              const ev = await evaluateSae(sae, heldOut, { batchSize: 1024 });
              fvu.push(ev.fvu);
              heldOutDead.push(ev.deadFraction);
              cosine.push(await encoderDecoderCosine(sae));
              const d = trainer.deadFraction(i);
              if (typeof d === 'number') dead.push(d);
              else {
                dead.push((await d.data())[0]);
                d.dispose();
              }
            }
            if (trainer.inputsSeen === 0) {
              untrainedDead.push(...heldOutDead);
              untrainedFvu.push(...fvu);
            }
            return { fvu, cosine, heldOutDead, dead };
          },
        );
        const x = curves.samples;
        const perArm = (metric: string, c: number) => seeds.map((_, s) => curves.curves[metric][stackIndex(c, s, S)]);
        const final = (metric: string, c: number) => perArm(metric, c).map((v) => v[v.length - 1]);
        const untrained = (values: number[], c: number) => values.slice(c * S, (c + 1) * S);
        const figureOf = (metric: string, title: string, yTitle: string, file: string, caption: string) =>
          ctx.figure(
            file,
            {
              title: `${title}, regime ${regime.id} (${regime.features} features, n = ${regime.nLatents}, k = ${regime.k})`,
              kind: 'line',
              x: { title: 'training inputs seen' },
              y: { title: yTitle, min: 0 },
              series: DEAD_LATENT_CONDITIONS.flatMap((c, ci) =>
                // The windowed dead fraction is NaN until one window has passed: those points leave a gap.
                intervalSeries(c.id, x, perArm(metric, ci), ARM_COLORS[ci]),
              ),
            },
            caption,
          );
        figureOf(
          'dead',
          'Dead fraction',
          `fraction of latents not fired in the last ${deadWindow.toLocaleString('en-US')} inputs`,
          `dead-${regime.id}.png`,
          'Mean over seeds (solid) with the 95% interval (faded); measured only once one dead window has passed.',
        );
        figureOf(
          'fvu',
          'Held-out FVU',
          `FVU on ${heldOutRows} held-out inputs`,
          `fvu-${regime.id}.png`,
          'The point at 0 inputs is the untrained SAE (after the data initialisation of b_dec).',
        );
        figureOf(
          'cosine',
          'Encoder-decoder cosine',
          'mean over latents of cos(W_enc column, W_dec row)',
          `cosine-${regime.id}.png`,
          'Tied init starts at 1; an independent init starts near 0 and rises as the encoder learns the decoder directions.',
        );

        const table = DEAD_LATENT_CONDITIONS.map((c, ci) => {
          const dead = meanInterval(final('heldOutDead', ci));
          const fvu = meanInterval(final('fvu', ci));
          const cos = meanInterval(final('cosine', ci));
          return { id: c.id, dead, fvu, cos, untrainedDead: meanInterval(untrained(untrainedDead, ci)) };
        });
        // The windowed dead fraction exists from the first checkpoint after one dead window of inputs.
        const from = x.findIndex((v) => v >= deadWindow);
        const pointsOf = (m: string) => (m === 'dead' ? x.slice(from) : x);
        const curveOf = (m: string, ci: number) => perArm(m, ci).map((v) => (m === 'dead' ? v.slice(from) : v));
        const plateau = Object.fromEntries(
          ['fvu', 'dead', 'cosine'].map((m) => [
            m,
            Object.fromEntries(
              DEAD_LATENT_CONDITIONS.map((c, ci) => {
                // A dead fraction may be 0 at 80% of training: its change is absolute (a fraction).
                const change = m === 'dead' ? absoluteChangeLast20 : relativeChangeLast20;
                return [c.id, change(pointsOf(m), seedMeans(curveOf(m, ci)))];
              }),
            ),
          ]),
        );
        numbers[`regime${regime.id.toUpperCase()}`] = {
          features: regime.features,
          dim: regime.dim,
          probability: regime.probability,
          nLatents: regime.nLatents,
          k: regime.k,
          steps: regime.steps,
          lr,
          samples: x,
          deadSamples: pointsOf('dead'),
          curves: Object.fromEntries(
            Object.keys(curves.curves).map((m) => [
              m,
              Object.fromEntries(DEAD_LATENT_CONDITIONS.map((c, ci) => [c.id, curveOf(m, ci)])),
            ]),
          ),
          finalHeldOutDead: Object.fromEntries(DEAD_LATENT_CONDITIONS.map((c, ci) => [c.id, final('heldOutDead', ci)])),
          finalFvu: Object.fromEntries(DEAD_LATENT_CONDITIONS.map((c, ci) => [c.id, final('fvu', ci)])),
          finalCosine: Object.fromEntries(DEAD_LATENT_CONDITIONS.map((c, ci) => [c.id, final('cosine', ci)])),
          untrainedHeldOutDead: Object.fromEntries(
            DEAD_LATENT_CONDITIONS.map((c, ci) => [c.id, untrained(untrainedDead, ci)]),
          ),
          untrainedFvu: Object.fromEntries(DEAD_LATENT_CONDITIONS.map((c, ci) => [c.id, untrained(untrainedFvu, ci)])),
          // Over the last 20% of training: relative for FVU and cosine, absolute for the dead fraction.
          plateauChange: plateau,
        };

        const sizes =
          `${regime.features} independent features (p = ${regime.probability}) in d = ${regime.dim}, ` +
          `TopK n = ${regime.nLatents}, k = ${regime.k}, B = ${batchSize}, dead window ${deadWindow.toLocaleString('en-US')} inputs`;
        const setting = { sizes, samplesSeen: x[x.length - 1], lr: `${sig(lr)} (2e-4 / sqrt(n / 2^14))`, seeds };
        const ci = (id: string) => ids.indexOf(id);
        if (regime.id === 'b') {
          reproduction.push({
            claim: 'Tied init with AuxK leaves fewer dead latents than independent init without AuxK',
            source: 'Gao et al. 2024 (arXiv:2406.04093), Sec. 2.2, App. A.2 and C.1',
            published: '~7% dead with tied init and AuxK at 16M latents (far more without)',
            metric: `fraction of latents firing on none of ${heldOutRows} held-out inputs (regime b: more latents than features)`,
            setting,
            ours: meanInterval(final('heldOutDead', ci('tied+auxk'))),
            comparison: meanInterval(final('heldOutDead', ci('independent'))),
            comparisonLabel: 'independent init, no AuxK',
            baseline: meanInterval(untrained(untrainedDead, ci('tied+auxk'))),
            expect: { relation: 'less', than: 'comparison' },
            reason:
              `with ${regime.nLatents / regime.features}x more latents than true features the spare latents have nothing ` +
              `to represent; tied init reconstructed better (FVU ${sigInterval(table[ci('tied+auxk')].fvu)} against ` +
              `${sigInterval(table[ci('independent')].fvu)}) with fewer latents in use, and AuxK raised the dead fraction ` +
              `(tied: ${sigInterval(table[ci('tied+auxk')].dead)} with, ${sigInterval(table[ci('tied')].dead)} without)`,
          });
        } else {
          reproduction.push({
            claim: 'Tied init reconstructs better than independent init (both with AuxK)',
            source: 'Gao et al. 2024 (arXiv:2406.04093), Sec. 2.2',
            published: 'tied init improves MSE (no single number published)',
            metric: `held-out FVU (regime a: more features than latents)`,
            setting,
            ours: meanInterval(final('fvu', ci('tied+auxk'))),
            comparison: meanInterval(final('fvu', ci('independent+auxk'))),
            comparisonLabel: 'independent init',
            baseline: meanInterval(untrained(untrainedFvu, ci('tied+auxk'))),
            expect: { relation: 'less', than: 'comparison' },
            reason: `measured: tied ${sigInterval(table[ci('tied+auxk')].fvu)}, independent ${sigInterval(table[ci('independent+auxk')].fvu)}`,
          });
        }
        summaryParts.push(
          `**Regime ${regime.id} (${regime.label})**: ${sizes}; ${x[x.length - 1].toLocaleString('en-US')} training inputs, ` +
            `lr ${sig(lr)}, seeds ${seeds.join(', ')}. Mean [95% interval] over seeds at the end:`,
          '',
          '| condition | dead (held-out) | dead untrained | FVU | encoder-decoder cosine |',
          '|---|---|---|---|---|',
          ...table.map(
            (r) =>
              `| ${r.id} | ${sigInterval(r.dead)} | ${sigInterval(r.untrainedDead)} | ${sigInterval(r.fvu)} | ${sigInterval(r.cos)} |`,
          ),
          '',
          `Relative change of the seed-mean FVU over the last 20% of training: ${ids
            .map((id) => `${id} ${sig(plateau.fvu[id])}`)
            .join(', ')}.`,
          '',
        );
      } finally {
        for (const sae of saes) sae.dispose();
      }
    }
    const summary = [
      `TopK SAEs in four conditions (tied or independent encoder init, AuxK with coefficient 1/32 on or off), ` +
        `${seeds.length} seeds each, trained as one stack on the same batches of ${batchSize}. ` +
        'Curves against samples seen are in the figures; the verdicts are in the reproduction rows.',
      '',
      ...summaryParts,
      "The character model's residual stream is not an arm of this study: the full run's budget goes to the two regimes.",
    ].join('\n');
    return { summary, numbers, reproduction };
  },
};
