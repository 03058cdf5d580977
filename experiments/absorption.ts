/**
 * absorption: does Matryoshka absorb less than BatchTopK and TopK at matched L0 (Bussmann et al.
 * 2025, arXiv:2503.17547)? Four arms, each a stack of seeds x k trained on one tee'd stream (every
 * arm sees the same batches): Matryoshka-BatchTopK with the published groups [N/16, N/16, N/8, N/4,
 * N/2], BatchTopK, TopK, and this package's Matryoshka-TopK with every prefix (block size 1, in no
 * public library). Two settings:
 * - the hierarchical toy (Nabeshima 2024: 3 parents with 3 exclusive children each, 8 free
 *   features, d = 20): absorption rate on fixed held-out samples (src/sae/eval/absorption.ts);
 * - the character model (parent "is a vowel", children the vowels; Chanin et al. 2024's
 *   first-letter task in miniature): the absorption rate on one probe and one set of held-out rows.
 * Absorption is read at checkpoints (the metric against samples seen), beside untrained SAEs of the
 * same architecture and shape (the baseline), with a 95% interval over seeds.
 */
import type { MeanInterval } from '../src/analysis/stats';
import { meanInterval } from '../src/analysis/stats';
import type { ReproductionRow } from '../src/analysis/reproduction';
import { Rng } from '../src/core/random';
import { loadCharLm, loadTextSplit } from '../src/data/lm/node';
import type { ActivationSource } from '../src/data/source';
import { HierarchicalData } from '../src/data/synthetic';
import { type SaeConfig, type SparseAutoencoder, createSae, referenceLearningRate } from '../src/sae';
import {
  type CharAbsorptionTask,
  charAbsorptionOf,
  charAbsorptionTask,
  toyAbsorption,
} from '../src/sae/eval/absorption';
import {
  ARM_COLORS,
  charResiduals,
  evaluateOn,
  intervalSeries,
  mean,
  absoluteChangeLast20,
  shuffledRows,
  sig,
  trainInLockstep,
  untrainedSae,
  sigInterval,
} from './common';
import type { Study, StudyContext } from './study';

/** The arms, each named as what it is. */
export const ABSORPTION_ARMS = [
  'Matryoshka-BatchTopK (published groups)',
  'BatchTopK',
  'TopK',
  'Matryoshka-TopK (every prefix)',
] as const;
export type AbsorptionArm = (typeof ABSORPTION_ARMS)[number];

function configOf(arm: AbsorptionArm, dIn: number, nLatents: number, k: number, seed: number): SaeConfig {
  const common = { dIn, nLatents, k, seed };
  if (arm === 'Matryoshka-BatchTopK (published groups)') return { architecture: 'matryoshka-batch-topk', ...common };
  if (arm === 'BatchTopK') return { architecture: 'batch-topk', ...common };
  if (arm === 'TopK') return { architecture: 'topk', ...common };
  return { architecture: 'matryoshka', ...common, prefixes: 'all' };
}

/** What one setting measured: per arm and k, per seed, the metric at each checkpoint. */
interface SettingResult {
  ks: number[];
  seeds: number[];
  nLatents: number;
  steps: number;
  batchSize: number;
  lr: number;
  samplesSeen: number[];
  /** absorption[arm][kIndex][seed][checkpoint] */
  absorption: Record<string, number[][][]>;
  /** Held-out L0 at the end, [arm][kIndex][seed]. */
  l0: Record<string, number[][]>;
  /** Untrained SAEs of each arm: [arm][kIndex][seed]. */
  untrained: Record<string, number[][]>;
}

/**
 * Trains every arm (a stack of seeds x ks) on `source` in lockstep and scores `score(sae)` at each
 * checkpoint; `l0Of` reads the held-out L0 at the end.
 */
async function runSetting(
  ctx: StudyContext,
  label: string,
  spec: {
    dIn: number;
    nLatents: number;
    ks: number[];
    seeds: number[];
    steps: number;
    batchSize: number;
    checkpoints: number;
    normalizeInput: boolean;
    initRows: Float32Array;
  },
  source: ActivationSource,
  score: (sae: SparseAutoencoder) => Promise<number>,
  l0Of: (sae: SparseAutoencoder) => Promise<number>,
): Promise<SettingResult> {
  const { dIn, nLatents, ks, seeds, steps, batchSize } = spec;
  const lr = referenceLearningRate(nLatents);
  const members = ks.flatMap((k, ki) => seeds.map((seed) => ({ k, ki, seed })));
  const stacks = ABSORPTION_ARMS.map((arm) => members.map((m) => createSae(configOf(arm, dIn, nLatents, m.k, m.seed))));
  const absorption: Record<string, number[][][]> = {};
  const l0: Record<string, number[][]> = {};
  const untrained: Record<string, number[][]> = {};
  for (const arm of ABSORPTION_ARMS) {
    absorption[arm] = ks.map(() => seeds.map(() => []));
    l0[arm] = ks.map(() => seeds.map(() => Number.NaN));
    untrained[arm] = ks.map(() => seeds.map(() => Number.NaN));
  }
  const samplesSeen: number[] = [];
  try {
    await trainInLockstep(
      ctx,
      ABSORPTION_ARMS.map((arm, a) => ({ label: `${label} ${arm}`, saes: stacks[a] })),
      source,
      {
        steps,
        batchSize,
        lr,
        normalizeInput: spec.normalizeInput,
        initSamples: Math.min(2048, 8 * batchSize),
        deadWindow: 20 * batchSize,
      },
      {
        checkpoints: spec.checkpoints,
        async onCheckpoint(seen) {
          samplesSeen.push(seen);
          for (const [a, arm] of ABSORPTION_ARMS.entries())
            for (const [i, m] of members.entries())
              absorption[arm][m.ki][seeds.indexOf(m.seed)].push(await score(stacks[a][i]));
        },
      },
    );
    for (const [a, arm] of ABSORPTION_ARMS.entries())
      for (const [i, m] of members.entries()) l0[arm][m.ki][seeds.indexOf(m.seed)] = await l0Of(stacks[a][i]);
  } finally {
    for (const s of stacks.flat()) s.dispose();
  }
  // The baseline: the same metric on untrained SAEs of each arm (b_dec from data, BatchTopK thresholds set).
  for (const arm of ABSORPTION_ARMS)
    for (const m of members) {
      const sae = await untrainedSae(configOf(arm, dIn, nLatents, m.k, m.seed), spec.initRows, {
        normalizeInput: spec.normalizeInput,
      });
      try {
        untrained[arm][m.ki][seeds.indexOf(m.seed)] = await score(sae);
      } finally {
        sae.dispose();
      }
    }
  return { ks, seeds, nLatents, steps, batchSize, lr, samplesSeen, absorption, l0, untrained };
}

/** The final absorption of `arm` at k index `ki` over seeds. */
const finalOf = (r: SettingResult, arm: AbsorptionArm, ki: number): MeanInterval =>
  meanInterval(r.absorption[arm][ki].map((curve) => curve[curve.length - 1]));

/** One reproduction row: `arm` absorbs less than `than` at matched k. */
function row(
  r: SettingResult,
  setting: string,
  sizes: string,
  ki: number,
  arm: AbsorptionArm,
  than: AbsorptionArm,
): ReproductionRow {
  return {
    claim: `${arm} absorbs less than ${than} at matched L0 (${setting})`,
    source: 'Bussmann et al. 2025 (Matryoshka SAEs), arXiv:2503.17547, absorption results',
    published: 'Matryoshka-BatchTopK: lower absorption than BatchTopK/TopK at every L0 (Gemma-2-2B, first-letter task)',
    metric: 'absorption rate (parent latent silent, a child latent carries the parent)',
    setting: {
      sizes: `${sizes}, n = ${r.nLatents}, k = ${r.ks[ki]}, B = ${r.batchSize}`,
      samplesSeen: r.samplesSeen[r.samplesSeen.length - 1],
      lr: `${sig(r.lr)} (2e-4 / sqrt(n / 2^14))`,
      seeds: r.seeds,
    },
    ours: finalOf(r, arm, ki),
    comparison: finalOf(r, than, ki),
    comparisonLabel: than,
    baseline: meanInterval(r.untrained[arm][ki]),
    expect: { relation: 'less', than: 'comparison' },
    l0: { ours: mean(r.l0[arm][ki]), comparison: mean(r.l0[than][ki]) },
    reason: `at this scale ${arm} absorbs more than ${than} on the ${setting}`,
    note: `baseline: untrained ${arm} SAEs of the same shape and k`,
  };
}

export const absorption: Study = {
  name: 'absorption',
  title: 'Feature absorption: Matryoshka against BatchTopK and TopK',
  question:
    'Does a Matryoshka SAE (published BatchTopK groups, and every-prefix TopK) absorb parents into children less ' +
    'than BatchTopK and TopK at matched L0, on the hierarchical toy and on the character model?',
  async run(ctx) {
    const q = ctx.quick;
    const seeds = Array.from({ length: q ? 3 : 5 }, (_, s) => ctx.seed * 100 + s);
    const checkpoints = q ? 2 : 8;

    // The toy: training stream and fixed held-out samples of the same features.
    const toy = new HierarchicalData({ seed: ctx.seed });
    const heldOutToy = new HierarchicalData({ seed: ctx.seed });
    heldOutToy.setState({ rng: new Rng(ctx.seed + 7919).getState() });
    const heldOutState = heldOutToy.getState();
    const toySamples = q ? 512 : 4096;
    const toyRows = (() => {
      const x = heldOutToy.sample(toySamples).x;
      heldOutToy.setState(heldOutState);
      return x;
    })();
    const toyResult = await runSetting(
      ctx,
      'toy',
      {
        dIn: toy.dim,
        nLatents: 32,
        ks: q ? [2] : [2, 4],
        seeds,
        steps: q ? 12 : 1000,
        batchSize: q ? 64 : 1024,
        checkpoints,
        normalizeInput: false,
        initRows: toyRows,
      },
      toy,
      async (sae) => {
        heldOutToy.setState(heldOutState); // every SAE scored on the same samples
        return (await toyAbsorption(sae, heldOutToy, toySamples)).rate;
      },
      async (sae) => (await evaluateOn(sae, toyRows)).l0,
    );

    // The character model: one probe, one set of held-out rows for every SAE.
    const train = await charResiduals('train', q ? 1024 : 16384);
    const { model } = loadCharLm();
    let task: CharAbsorptionTask;
    try {
      task = await charAbsorptionTask(model, loadTextSplit().heldOut.slice(0, q ? 1024 : 8192), {
        layer: 1,
        maxChars: q ? 1024 : 8192,
        probeSteps: q ? 30 : 300,
      });
    } finally {
      model.dispose();
    }
    const charHeldOut = task.activations.subarray(task.split * task.dim);
    const charResult = await runSetting(
      ctx,
      'char',
      {
        dIn: train.dim,
        nLatents: q ? 32 : 128,
        ks: q ? [4] : [8, 32],
        seeds,
        steps: q ? 8 : 400,
        batchSize: q ? 64 : 512,
        checkpoints,
        normalizeInput: true,
        initRows: train.activations.subarray(0, Math.min(2048, train.length) * train.dim),
      },
      shuffledRows(train.activations, train.dim, ctx.seed),
      async (sae) => (await charAbsorptionOf(task, sae)).absorptionRate,
      async (sae) => (await evaluateOn(sae, charHeldOut)).l0,
    );

    const settings = [
      { key: 'toy', r: toyResult, what: 'hierarchical toy', sizes: 'toy d = 20, 20 features (3 x 3 hierarchy + 8)' },
      {
        key: 'char',
        r: charResult,
        what: 'character model',
        sizes: `character model D = ${train.dim} ("is a vowel", ${task.positives.length} held-out positives)`,
      },
    ] as const;
    for (const { key, r, what } of settings)
      for (const [ki, k] of r.ks.entries())
        ctx.figure(
          `${key}-absorption-k${k}.png`,
          {
            title: `${what}: absorption against samples seen (k = ${k})`,
            kind: 'line',
            x: { title: 'training inputs seen' },
            y: { title: 'absorption rate', min: 0 },
            series: ABSORPTION_ARMS.flatMap((arm, a) =>
              intervalSeries(arm, r.samplesSeen, r.absorption[arm][ki], ARM_COLORS[a]),
            ),
          },
          `Mean over ${r.seeds.length} seeds (solid) and its 95% interval (dashed). Lower is better. Every arm saw the same batches.`,
        );

    const numbersOf = (r: SettingResult) => ({
      ks: r.ks,
      seeds: r.seeds,
      nLatents: r.nLatents,
      steps: r.steps,
      batchSize: r.batchSize,
      lr: r.lr,
      samplesSeen: r.samplesSeen,
      absorption: Object.fromEntries(ABSORPTION_ARMS.map((a) => [a, r.absorption[a]])),
      finalAbsorption: Object.fromEntries(
        ABSORPTION_ARMS.map((a) => [a, r.ks.map((_, ki) => r.absorption[a][ki].map((c) => c[c.length - 1]))]),
      ),
      plateauChange: Object.fromEntries(
        ABSORPTION_ARMS.map((a) => [
          a,
          r.ks.map((_, ki) =>
            absoluteChangeLast20(
              r.samplesSeen,
              r.samplesSeen.map((_, c) => r.absorption[a][ki].reduce((s, curve) => s + curve[c], 0) / r.seeds.length),
            ),
          ),
        ]),
      ),
      heldOutL0: Object.fromEntries(ABSORPTION_ARMS.map((a) => [a, r.l0[a]])),
      untrained: Object.fromEntries(ABSORPTION_ARMS.map((a) => [a, r.untrained[a]])),
    });
    const numbers = {
      toy: numbersOf(toyResult),
      char: { ...numbersOf(charResult), probeTestAccuracy: task.probeTestAccuracy, positives: task.positives.length },
    };
    // Rows at each setting's smaller k (toy k = 2, its true L0 is about 1.3; character model k = 8).
    const reproduction: ReproductionRow[] = [];
    for (const { r, what, sizes } of settings) {
      const ki = 0;
      reproduction.push(row(r, what, sizes, ki, 'Matryoshka-BatchTopK (published groups)', 'BatchTopK'));
      reproduction.push(row(r, what, sizes, ki, 'Matryoshka-TopK (every prefix)', 'TopK'));
    }

    const table = (r: SettingResult) => [
      `| arm | ${r.ks.map((k) => `k = ${k}: trained`).join(' | ')} | ${r.ks.map((k) => `k = ${k}: untrained`).join(' | ')} | held-out L0 |`,
      `|---|${r.ks.map(() => '---').join('|')}|${r.ks.map(() => '---').join('|')}|---|`,
      ...ABSORPTION_ARMS.map(
        (a) =>
          `| ${a} | ${r.ks.map((_, ki) => sigInterval(finalOf(r, a, ki))).join(' | ')} | ` +
          `${r.ks.map((_, ki) => sigInterval(meanInterval(r.untrained[a][ki]))).join(' | ')} | ` +
          `${r.ks.map((_, ki) => sig(mean(r.l0[a][ki]))).join(', ')} |`,
      ),
    ];
    const summary = [
      `Four arms trained in lockstep on one stream per setting (identical batches), ${seeds.length} seeds on the toy and ` +
        `${charResult.seeds.length} on the character model, lr 2e-4 / sqrt(n / 2^14). Absorption rate at the end of ` +
        'training, mean [95% interval] over seeds, beside untrained SAEs of the same arm:',
      '',
      `**Hierarchical toy** (n = ${toyResult.nLatents}, ${toyResult.steps} steps of ${toyResult.batchSize}):`,
      '',
      ...table(toyResult),
      '',
      `**Character model** ("is a vowel", probe test accuracy ${sig(task.probeTestAccuracy)}, ` +
        `${task.positives.length} held-out positives; n = ${charResult.nLatents}, ${charResult.steps} steps of ${charResult.batchSize}):`,
      '',
      ...table(charResult),
      '',
      'Verdicts: the reproduction rows of this report (the rule of src/analysis/reproduction.ts).',
    ].join('\n');
    return { summary, numbers, reproduction };
  },
};
