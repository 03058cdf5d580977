/**
 * frontier: normalised MSE (FVU) against L0 for every architecture on the character model's
 * residual stream, same data and budget: ReLU+L1 and JumpReLU over their coefficient, TopK,
 * BatchTopK and Matryoshka over k, and one Multi-TopK SAE read at several k. Each frontier drawn
 * with its Pareto-optimal runs (src/analysis/frontier.ts). The same runs are then scored by what
 * the dictionary is for, the fraction of the model's loss recovered when the SAE is spliced in
 * (src/sae/eval/splice.ts): a better FVU/L0 point is not always a better dictionary. The
 * known-truth comparison (F1 against true features, over training and seeds) is its own study,
 * known-truth.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { paretoMask, paretoPoints } from '../src/analysis/frontier';
import { CHART_COLORS } from '../src/charts';
import { heldOutEvalTokens, loadCharLm } from '../src/data/lm/node';
import { type SaeConfig, type SparseAutoencoder, TopKSae, createSae } from '../src/sae';
import { spliceEvaluate } from '../src/sae/eval/splice';
import type { ActivationSource } from '../src/data/source';
import { charResiduals, shuffledRows, sig, trainWithProgress } from './common';
import type { Study, StudyContext } from './study';

/** One evaluated point. */
interface Point {
  family: string;
  setting: string;
  l0: number;
  fvu: number;
  /** Fraction of the character model's loss recovered when spliced in. */
  score: number;
}

/** A TopK SAE with the weights of `sae` read at another k (Multi-TopK at inference). */
function atK(sae: TopKSae, k: number): TopKSae {
  const copy = new TopKSae({ architecture: 'topk', dIn: sae.dIn, nLatents: sae.nLatents, k });
  const weights = sae.foldedWeights();
  copy.loadWeights(weights);
  tf.dispose(Object.values(weights));
  return copy;
}

/** The settings of every family: [family, setting label, config] (and the k's Multi-TopK is read at). */
function familySettings(D: number, n: number, quick: boolean) {
  const ks = quick ? [4] : [8, 32];
  const l1 = quick ? [1] : [0.3, 3];
  const l0c = quick ? [0.3] : [0.03, 3];
  const base = { dIn: D, nLatents: n };
  const runs: Array<{ family: string; setting: string; config: SaeConfig; readAt?: number[] }> = [
    ...l1.map((c) => ({
      family: 'ReLU+L1',
      setting: `l1=${c}`,
      config: { ...base, architecture: 'relu-l1', l1Coefficient: c } as SaeConfig,
    })),
    ...l0c.map((c) => ({
      family: 'JumpReLU',
      setting: `l0=${c}`,
      config: { ...base, architecture: 'jumprelu', l0Coefficient: c } as SaeConfig,
    })),
    ...ks.map((k) => ({
      family: 'TopK',
      setting: `k=${k}`,
      config: { ...base, architecture: 'topk', k } as SaeConfig,
    })),
    ...ks.map((k) => ({
      family: 'BatchTopK',
      setting: `k=${k}`,
      config: { ...base, architecture: 'batch-topk', k } as SaeConfig,
    })),
    ...ks.map((k) => ({
      family: 'Matryoshka',
      setting: `k=${k}`,
      config: { ...base, architecture: 'matryoshka', k } as SaeConfig,
    })),
    {
      family: 'Multi-TopK',
      setting: `k=${ks[0]}`,
      config: { ...base, architecture: 'topk', k: ks[0], multiTopK: true } as SaeConfig,
      readAt: ks,
    },
  ];
  return runs;
}

/** Trains every family on `source` and evaluates each SAE (and each Multi-TopK read) with `evaluate`. */
async function sweep(
  ctx: StudyContext,
  label: string,
  D: number,
  n: number,
  source: () => ActivationSource,
  evaluate: (sae: SparseAutoencoder) => Promise<{ l0: number; fvu: number; score: number }>,
): Promise<Point[]> {
  const q = ctx.quick;
  const points: Point[] = [];
  for (const run of familySettings(D, n, q)) {
    const sae = createSae({ ...run.config, seed: ctx.seed });
    try {
      await trainWithProgress(ctx, `${label} ${run.family} ${run.setting}`, sae, source(), {
        steps: q ? 6 : 80,
        batchSize: q ? 64 : 128,
        lr: 2e-3,
        deadWindow: 25 * (q ? 64 : 128),
        normalizeInput: true,
        initSamples: q ? 512 : 2048,
      });
      if (run.readAt) {
        for (const k of run.readAt) {
          const view = atK(sae as TopKSae, k);
          points.push({ family: run.family, setting: `read at k=${k}`, ...(await evaluate(view)) });
          view.dispose();
        }
      } else points.push({ family: run.family, setting: run.setting, ...(await evaluate(sae)) });
    } finally {
      sae.dispose();
    }
  }
  return points;
}

const FAMILIES = ['ReLU+L1', 'JumpReLU', 'TopK', 'BatchTopK', 'Matryoshka', 'Multi-TopK'];

function draw(ctx: StudyContext, file: string, title: string, points: Point[], y: 'fvu' | 'score', yTitle: string) {
  const better = y === 'fvu' ? 'lower' : 'higher';
  const all = points.map((p) => [Math.max(p.l0, 1e-2), p[y]] as [number, number]);
  const mask = paretoMask(all, better);
  ctx.figure(
    file,
    {
      title,
      kind: 'scatter',
      x: { title: 'L0 (active latents per input)', log: true },
      y: { title: yTitle },
      series: [
        ...FAMILIES.map((f, i) => ({
          name: f,
          color: CHART_COLORS[i],
          points: points.flatMap((p, j) => (p.family === f ? [all[j]] : [])),
          labels: points.filter((p) => p.family === f).map((p) => p.setting),
        })),
        {
          name: 'Pareto-optimal (all families)',
          kind: 'line' as const,
          dashed: true,
          color: '#000000',
          points: paretoPoints(all, better),
        },
        { name: 'on the front', color: '#000000', pointRadius: 7, points: all.filter((_, j) => mask[j]) },
      ],
    },
    `Each point is one SAE (Multi-TopK: one SAE read at several k). The dashed line joins the Pareto-optimal runs; ${
      better === 'lower' ? 'lower' : 'higher'
    } and further left is better.`,
  );
}

export const frontier: Study = {
  name: 'frontier',
  title: 'Frontiers of every architecture on the character model',
  question:
    "On the character model's residual stream, same data and budget, where does each architecture sit on the FVU / L0 " +
    'frontier, and does the order hold when the same SAEs are scored by the loss recovered when spliced in?',
  async run(ctx) {
    const q = ctx.quick;
    const n = q ? 64 : 128;
    // The character model: residual stream after block 1, spliced back in on held-out text.
    const train = await charResiduals('train', q ? 1024 : 8192);
    const { model } = loadCharLm();
    const tokens = heldOutEvalTokens(q ? 1024 : 4096);
    let char: Point[];
    try {
      char = await sweep(
        ctx,
        'char',
        train.dim,
        n,
        () => shuffledRows(train.activations, train.dim, ctx.seed),
        async (sae) => {
          const r = await spliceEvaluate(model, sae, tokens, { layer: 1, maxChars: q ? 512 : 1024 });
          return { l0: r.reconstruction.l0, fvu: r.reconstruction.fvu, score: r.splice.lossRecovered };
        },
      );
    } finally {
      model.dispose();
    }

    draw(
      ctx,
      'char-fvu.png',
      'Character model residual stream: FVU against L0',
      char,
      'fvu',
      'fraction of variance unexplained',
    );
    draw(
      ctx,
      'char-loss-recovered.png',
      'Character model: fraction of loss recovered when spliced in',
      char,
      'score',
      'fraction of cross-entropy recovered (zero ablation)',
    );

    const onFront = (points: Point[], y: 'fvu' | 'score') =>
      paretoMask(
        points.map((p) => [p.l0, p[y]] as [number, number]),
        y === 'fvu' ? 'lower' : 'higher',
      );
    const table = (points: Point[], scoreName: string) => {
      const fvuFront = onFront(points, 'fvu');
      const scoreFront = onFront(points, 'score');
      return [
        `| family | setting | L0 | FVU | ${scoreName} |`,
        '|---|---|---|---|---|',
        ...points.map(
          (p, i) =>
            `| ${p.family} | ${p.setting} | ${sig(p.l0)} | ${sig(p.fvu)}${fvuFront[i] ? ' *' : ''} | ${sig(p.score)}${scoreFront[i] ? ' *' : ''} |`,
        ),
      ];
    };
    const bestBy = (points: Point[], y: 'fvu' | 'score') =>
      points.reduce((a, b) => (y === 'fvu' ? (b.fvu < a.fvu ? b : a) : b.score > a.score ? b : a));
    const agreement = (points: Point[]) => {
      const a = onFront(points, 'fvu');
      const b = onFront(points, 'score');
      return a.filter((v, i) => v && b[i]).length / Math.max(1, a.filter(Boolean).length);
    };
    const record = (points: Point[]) => ({
      family: points.map((p) => FAMILIES.indexOf(p.family)),
      l0: points.map((p) => p.l0),
      fvu: points.map((p) => p.fvu),
      score: points.map((p) => p.score),
      fvuFront: onFront(points, 'fvu').map(Number),
      scoreFront: onFront(points, 'score').map(Number),
      frontAgreement: agreement(points),
    });
    const numbers = {
      nLatents: n,
      familiesInOrder: FAMILIES.map((_, i) => i),
      char: { ...record(char), splicedChars: q ? 512 : 1024 },
    };
    const bc = bestBy(char, 'score');
    const summary = [
      `Every family trained with the same budget (${q ? 6 : 80} steps of ${q ? 64 : 128}, n = ${n}). ` +
        'A `*` marks a Pareto-optimal run (lower L0 and, for FVU, lower; for loss recovered, higher). ' +
        'The known-truth comparison is the known-truth study.',
      '',
      '**Character model** (residual stream after block 1, D = 128); score = fraction of loss recovered when spliced in:',
      '',
      ...table(char, 'loss recovered'),
      '',
      `Most loss recovered: ${bc.family} ${bc.setting} (${sig(bc.score)} at L0 ${sig(bc.l0)}). Of the FVU-optimal runs, ` +
        `${sig(100 * numbers.char.frontAgreement, 2)}% are also optimal for loss recovered.`,
    ].join('\n');
    return { summary, numbers };
  },
};
