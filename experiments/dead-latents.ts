/**
 * dead-latents: does initialising the encoder as the decoder's transpose (Gao et al. 2024,
 * arXiv:2406.04093, Sec. 2.2) and the AuxK loss (Sec. A.2) keep latents alive?
 *
 * TopK SAEs on the character model's residual stream, 2 x 2 conditions (tied / independent
 * encoder init, AuxK on / off), several widths and seeds, same data and budget. Dead during
 * training = not fired in the last `deadWindow` inputs (the trainer's window); dead at the end =
 * fired on none of the held-out inputs (evaluateSae).
 */
import { createSae } from '../src/sae';
import { charResiduals, evaluateOn, mean, shuffledRows, sig, trainWithProgress } from './common';
import type { Study } from './study';
import type { Numbers } from './report';

/** The four conditions, in the order they are reported. */
export const DEAD_LATENT_CONDITIONS = [
  { id: 'tied+auxk', tiedInit: true, auxK: true },
  { id: 'tied', tiedInit: true, auxK: false },
  { id: 'independent+auxk', tiedInit: false, auxK: true },
  { id: 'independent', tiedInit: false, auxK: false },
] as const;

export const deadLatents: Study = {
  name: 'dead-latents',
  title: 'Dead latents: tied initialisation and AuxK',
  question:
    'How many latents die when the encoder starts as the decoder transpose against an independent initialisation, ' +
    'with and without the AuxK loss, across widths and seeds?',
  async run(ctx) {
    const q = ctx.quick;
    const widths = q ? [64, 128] : [128, 512];
    const seeds = q ? [ctx.seed] : [ctx.seed, ctx.seed + 1];
    const steps = q ? 12 : 100;
    const batchSize = q ? 64 : 128;
    const k = 8;
    const deadWindowSteps = q ? 4 : 20;
    const train = await charResiduals('train', q ? 1024 : 8192);
    const heldOut = await charResiduals('heldOut', q ? 512 : 2048);
    const D = train.dim;

    const finalDead: Record<string, number[][]> = {}; // condition -> [width][seed]
    const trainingDead: Record<string, Array<[number, number]>> = {}; // widest, first seed: [step, fraction]
    const finalFvu: Record<string, number[][]> = {};
    for (const c of DEAD_LATENT_CONDITIONS) {
      finalDead[c.id] = widths.map(() => []);
      finalFvu[c.id] = widths.map(() => []);
      for (const [wi, n] of widths.entries()) {
        for (const seed of seeds) {
          const sae = createSae({
            architecture: 'topk',
            dIn: D,
            nLatents: n,
            k,
            tiedInit: c.tiedInit,
            auxKCoefficient: c.auxK ? 1 / 32 : 0,
            seed,
          });
          try {
            const history = await trainWithProgress(
              ctx,
              `${c.id} n=${n} s=${seed}`,
              sae,
              shuffledRows(train.activations, D, seed),
              {
                steps,
                batchSize,
                lr: 2e-3,
                deadWindow: deadWindowSteps * batchSize,
                normalizeInput: true,
                initSamples: Math.min(2048, train.length),
                logEvery: q ? 2 : 10,
              },
            );
            const ev = await evaluateOn(sae, heldOut.activations);
            finalDead[c.id][wi].push(ev.deadFraction);
            finalFvu[c.id][wi].push(ev.fvu);
            if (wi === widths.length - 1 && seed === seeds[0]) {
              trainingDead[c.id] = history.series('deadFraction').map((p) => [p.step + 1, p.value]);
            }
          } finally {
            sae.dispose();
          }
        }
      }
    }

    const ids = DEAD_LATENT_CONDITIONS.map((c) => c.id);
    ctx.figure(
      'dead-over-training.png',
      {
        title: `Dead fraction during training (n = ${widths[widths.length - 1]}, k = ${k})`,
        kind: 'line',
        x: { title: 'step' },
        y: { title: `fraction dead (no firing in ${deadWindowSteps * batchSize} inputs)`, min: 0 },
        series: ids.map((id) => ({ name: id, points: trainingDead[id] })),
      },
      'The trainer counts a latent dead when it has not fired in the last window of inputs; zero until one window has passed.',
    );
    ctx.figure(
      'dead-at-end.png',
      {
        title: 'Dead fraction at the end (held-out inputs)',
        kind: 'bar',
        x: { title: 'condition', categories: ids },
        y: { title: `fraction of latents firing on none of ${heldOut.length} held-out inputs`, min: 0 },
        series: widths.map((n, wi) => ({
          name: `n = ${n} (mean of ${seeds.length} seed${seeds.length > 1 ? 's' : ''})`,
          points: ids.map((id, i) => [i, mean(finalDead[id][wi])] as [number, number]),
        })),
      },
      'Lower is better. Each bar is the mean over seeds; numbers per seed are in report.json.',
    );

    const numbers: Numbers = {
      widths,
      seeds,
      k,
      steps,
      batchSize,
      deadWindowInputs: deadWindowSteps * batchSize,
      heldOutInputs: heldOut.length,
      finalDeadFraction: Object.fromEntries(ids.map((id) => [id, finalDead[id]])),
      finalDeadFractionMean: Object.fromEntries(ids.map((id) => [id, finalDead[id].map(mean)])),
      finalFvu: Object.fromEntries(ids.map((id) => [id, finalFvu[id]])),
    };
    const line = (id: string) =>
      `| ${id} | ${widths.map((_, wi) => sig(mean(finalDead[id][wi]), 3)).join(' | ')} | ${widths
        .map((_, wi) => sig(mean(finalFvu[id][wi]), 3))
        .join(' | ')} |`;
    const best = ids.reduce((a, b) => (mean(finalDead[a].flat()) <= mean(finalDead[b].flat()) ? a : b));
    const worst = ids.reduce((a, b) => (mean(finalDead[a].flat()) >= mean(finalDead[b].flat()) ? a : b));
    const summary = [
      `TopK SAEs (k = ${k}) on the character model's residual stream (D = ${D}), ${steps} steps of ${batchSize}, ` +
        `widths ${widths.join(', ')}, ${seeds.length} seed(s) each. Dead at the end = fired on none of ` +
        `${heldOut.length} held-out inputs.`,
      '',
      `| condition | ${widths.map((n) => `dead, n=${n}`).join(' | ')} | ${widths.map((n) => `FVU, n=${n}`).join(' | ')} |`,
      `|---|${widths.map(() => '---').join('|')}|${widths.map(() => '---').join('|')}|`,
      ...ids.map(line),
      '',
      `Fewest dead latents: **${best}** (mean ${sig(mean(finalDead[best].flat()))}); most: **${worst}** ` +
        `(mean ${sig(mean(finalDead[worst].flat()))}). Gao et al. report ~7% dead with tied init and AuxK at 16M latents; ` +
        'these runs are tiny and short, so the absolute fractions are not comparable, only the ordering.',
    ].join('\n');
    return { summary, numbers };
  },
};
