/**
 * absorption: TopK against Matryoshka (a prefix list, and block size 1: every prefix) on the
 * hierarchical toy (Nabeshima 2024: 3 parents with 3 exclusive children each, 8 free features,
 * d = 20) and on the character model (parent "is a vowel", children the vowels): the absorption
 * rate (src/sae/eval/absorption.ts; Chanin et al. 2024), F1 against the toy's true features
 * (src/sae/eval/truth.ts), and how each moves as L0 (k) rises.
 */
import { HierarchicalData } from '../src/data/synthetic';
import { loadCharLm, loadTextSplit } from '../src/data/lm/node';
import { type SaeConfig, type SparseAutoencoder, createSae } from '../src/sae';
import { charAbsorption, toyAbsorption } from '../src/sae/eval/absorption';
import { evaluateKnownTruth } from '../src/sae/eval/truth';
import { charResiduals, shuffledRows, sig, trainWithProgress } from './common';
import type { Study } from './study';

export const ABSORPTION_ARCHITECTURES = ['TopK', 'Matryoshka (prefixes)', 'Matryoshka (every prefix)'] as const;

function configOf(
  arch: (typeof ABSORPTION_ARCHITECTURES)[number],
  dIn: number,
  n: number,
  k: number,
  seed: number,
): SaeConfig {
  if (arch === 'TopK') return { architecture: 'topk', dIn, nLatents: n, k, seed };
  if (arch === 'Matryoshka (prefixes)') {
    // Bussmann et al. 2025's shape scaled down: prefixes at n/8, n/4, n/2, n.
    return { architecture: 'matryoshka', dIn, nLatents: n, k, seed, prefixes: [n / 8, n / 4, n / 2, n] };
  }
  return { architecture: 'matryoshka', dIn, nLatents: n, k, seed, prefixes: 'all' };
}

export const absorption: Study = {
  name: 'absorption',
  title: 'Feature absorption: TopK against Matryoshka',
  question:
    'How often does a child latent absorb its parent in TopK against Matryoshka SAEs (prefix list and block size 1), ' +
    'on the hierarchical toy and on the character model, and how does that change as L0 rises?',
  async run(ctx) {
    const q = ctx.quick;
    const toyKs = q ? [1, 3] : [1, 2, 4];
    const charKs = q ? [8] : [8, 32];
    const toyN = 32;
    const charN = q ? 64 : 128;
    const toySteps = q ? 20 : 200;
    const charSteps = q ? 8 : 80;

    // The toy: one generator; each SAE trains on, and is evaluated on, fresh samples of it.
    const toy = new HierarchicalData({ seed: ctx.seed });
    const toyRate: Record<string, number[]> = {};
    const toyF1: Record<string, number[]> = {};
    const toyL0: Record<string, number[]> = {};
    for (const arch of ABSORPTION_ARCHITECTURES) {
      toyRate[arch] = [];
      toyF1[arch] = [];
      toyL0[arch] = [];
      for (const k of toyKs) {
        const sae = createSae(configOf(arch, toy.dim, toyN, k, ctx.seed));
        try {
          await trainWithProgress(ctx, `toy ${arch} k=${k}`, sae, toy, {
            steps: toySteps,
            batchSize: 256,
            lr: 3e-3,
            deadWindow: 20 * 256,
            initSamples: 1024,
          });
          const a = await toyAbsorption(sae, toy, q ? 512 : 4096);
          const t = await evaluateKnownTruth(sae, toy, { samples: q ? 512 : 4096 });
          toyRate[arch].push(a.rate);
          toyF1[arch].push(t.f1);
          toyL0[arch].push(t.saeL0);
        } finally {
          sae.dispose();
        }
      }
    }

    // The character model: vowels as the parent class.
    const train = await charResiduals('train', q ? 1024 : 4096);
    const text = loadTextSplit().heldOut.slice(0, q ? 1024 : 4096);
    const { model } = loadCharLm();
    const charRate: Record<string, number[]> = {};
    const charFraction: Record<string, number[]> = {};
    const charL0: Record<string, number[]> = {};
    let probeAccuracy = 0;
    try {
      for (const arch of ABSORPTION_ARCHITECTURES) {
        charRate[arch] = [];
        charFraction[arch] = [];
        charL0[arch] = [];
        for (const k of charKs) {
          const sae: SparseAutoencoder = createSae(configOf(arch, train.dim, charN, k, ctx.seed));
          try {
            await trainWithProgress(
              ctx,
              `char ${arch} k=${k}`,
              sae,
              shuffledRows(train.activations, train.dim, ctx.seed),
              {
                steps: charSteps,
                batchSize: 128,
                lr: 2e-3,
                deadWindow: 20 * 128,
                normalizeInput: true,
                initSamples: q ? 512 : 2048,
              },
            );
            const r = await charAbsorption(model, sae, text, {
              layer: 1,
              maxChars: text.length,
              probeSteps: q ? 30 : 300,
            });
            charRate[arch].push(r.absorptionRate);
            charFraction[arch].push(r.absorptionFraction);
            charL0[arch].push(k);
            probeAccuracy = r.probeTestAccuracy;
          } finally {
            sae.dispose();
          }
        }
      }
    } finally {
      model.dispose();
    }

    const series = (values: Record<string, number[]>, xs: Record<string, number[]>) =>
      ABSORPTION_ARCHITECTURES.map((a) => ({
        name: a,
        points: xs[a].map((x, i) => [x, values[a][i]] as [number, number]),
      }));
    ctx.figure(
      'toy-absorption.png',
      {
        title: 'Hierarchical toy: absorption rate against L0',
        kind: 'line',
        x: { title: 'held-out L0 (active latents per input)' },
        y: { title: 'absorption rate (child fires, parent latent silent)', min: 0 },
        series: series(toyRate, toyL0),
      },
      'One point per trained k. Lower is better: the parent latent keeps firing when one of its children does.',
    );
    ctx.figure(
      'toy-f1.png',
      {
        title: 'Hierarchical toy: F1 against the true features',
        kind: 'line',
        x: { title: 'held-out L0 (active latents per input)' },
        y: { title: 'F1 (latent firing vs its best true feature)', min: 0 },
        series: series(toyF1, toyL0),
      },
      'Higher is better. Past the true L0 a dictionary can keep F1 only if its extra latents do not blur the features.',
    );
    ctx.figure(
      'char-absorption.png',
      {
        title: 'Character model ("is a vowel"): absorption against k',
        kind: 'line',
        x: { title: 'k (active latents per input)' },
        y: { title: 'absorption rate on probe-positive vowels', min: 0 },
        series: series(charRate, charL0),
      },
      'The parent is the probe direction for "the current character is a vowel"; absorbed = no main latent fires while a latent carrying the probe direction does.',
    );

    const numbers = {
      toy: { ks: toyKs, nLatents: toyN, steps: toySteps, rate: toyRate, f1: toyF1, l0: toyL0 },
      char: {
        ks: charKs,
        nLatents: charN,
        steps: charSteps,
        rate: charRate,
        fraction: charFraction,
        probeTestAccuracy: probeAccuracy,
      },
    };
    const rows = (values: Record<string, number[]>) =>
      ABSORPTION_ARCHITECTURES.map((a) => `| ${a} | ${values[a].map((v) => sig(v)).join(' | ')} |`);
    const summary = [
      `**Hierarchical toy** (3 parents x 3 exclusive children + 8 free features in d = 20; SAEs of ${toyN} latents, ` +
        `${toySteps} steps of 256). Absorption rate at k = ${toyKs.join(', ')}:`,
      '',
      `| architecture | ${toyKs.map((k) => `k = ${k}`).join(' | ')} |`,
      `|---|${toyKs.map(() => '---').join('|')}|`,
      ...rows(toyRate),
      '',
      'F1 against the true features:',
      '',
      `| architecture | ${toyKs.map((k) => `k = ${k}`).join(' | ')} |`,
      `|---|${toyKs.map(() => '---').join('|')}|`,
      ...rows(toyF1),
      '',
      `**Character model** (vowel probe, test accuracy ${sig(probeAccuracy)}; SAEs of ${charN} latents, ${charSteps} steps of 128). ` +
        `Absorption rate / mean absorption fraction at k = ${charKs.join(', ')}:`,
      '',
      `| architecture | ${charKs.map((k) => `k = ${k}`).join(' | ')} |`,
      `|---|${charKs.map(() => '---').join('|')}|`,
      ...ABSORPTION_ARCHITECTURES.map(
        (a) => `| ${a} | ${charKs.map((_, i) => `${sig(charRate[a][i])} / ${sig(charFraction[a][i])}`).join(' | ')} |`,
      ),
    ].join('\n');
    return { summary, numbers };
  },
};
