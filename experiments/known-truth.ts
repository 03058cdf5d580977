/**
 * known-truth: every architecture on SynthSAEBench's generator (src/data/synth-bench.ts, the
 * published parameters scaled to 1,024 features in d = 64), scored against the true features
 * (src/sae/eval/truth.ts: F1, MCC, uniqueness, explained variance) at several points of training,
 * beside untrained SAEs of the same shape (`untrainedBaseline`), plus the seed stability of the
 * same runs (Paulo & Belrose 2025, arXiv:2501.16615) beside two untrained SAEs.
 *
 * Setting, after SynthSAEBench-16k (arXiv:2602.14687; 16,384 features, width 4,096, k = 25 at a
 * true L0 of ~34): width n = features / 4 and k = round(0.73 x true L0). ReLU+L1, JumpReLU and
 * Gated reach the same L0 through the target-L0 controller (src/sae/l0-controller.ts; JumpReLU
 * with its target term on), frozen for the last 20% of training. Every architecture is a stack of
 * seeds (SaeTrainer), all stacks read one generator stream through `teeSource` in lockstep, so
 * every SAE sees the same batches and the generator runs once; every SAE is scored on the same
 * held-out rows. lr: Gao et al.'s width rule.
 */
import { type MeanInterval, meanInterval, untrainedBaseline } from '../src/analysis/stats';
import { type ReproductionRow, reproductionMarkdown } from '../src/analysis/reproduction';
import { CHART_COLORS } from '../src/charts';
import { SynthBench } from '../src/data/synth-bench';
import { teeSource } from '../src/data/source';
import {
  type SaeConfig,
  SaeTrainer,
  type SparseAutoencoder,
  TargetL0Controller,
  createSae,
  referenceLearningRate,
} from '../src/sae';
import { decoderDirections } from '../src/sae/eval/latent-rows';
import { seedStability } from '../src/sae/eval/stability';
import { type KnownTruthMetrics, evaluateKnownTruth } from '../src/sae/eval/truth';
import { heldOutTruth, mean, sig, sigInterval } from './common';
import type { Study, StudyContext } from './study';

/** The architectures, in report order: [registry name, label]. */
const ARCHITECTURES = [
  ['relu-l1', 'ReLU+L1'],
  ['topk', 'TopK'],
  ['batch-topk', 'BatchTopK'],
  ['jumprelu', 'JumpReLU'],
  ['gated', 'Gated'],
  ['matryoshka-batch-topk', 'Matryoshka-BatchTopK'],
  ['matryoshka', 'Matryoshka every-prefix (TopK)'],
] as const;
type Arch = (typeof ARCHITECTURES)[number][0];

/**
 * Starting coefficient of the controlled architectures: small, so L0 starts above the target and
 * comes down (l0-controller.ts says why not from above). With rate 0.05 per logged step, a probe
 * of the full setting brought ReLU+L1 and Gated to L0 ~5 within ~500 steps; rate 0.1 from 1e-2 took
 * them below the target (4.6 and 4.2 at step 400). JumpReLU trains with its target term
 * (lambda (L0/T - 1)^2, `targetL0`): with the plain lambda * L0 the first 10M run lost its target
 * (L0 3.3 at 1/8 of the run, lambda wound down 0.1 -> 5e-5, L0 19.7 at the end); with the term it
 * held L0 5.00 from half the run to the end (lambda ~3,000 at the freeze; docs/results.md).
 */
const START_COEFFICIENT: Partial<Record<Arch, Record<string, number>>> = {
  'relu-l1': { l1Coefficient: 0.1 },
  jumprelu: { l0Coefficient: 1 },
  gated: { l1Coefficient: 0.1 },
};

/** Points of training where every SAE is scored, as fractions of the run (0.8: where the controller freezes). */
const FRACTIONS = [1 / 64, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 0.8, 1];

const METRICS = ['f1', 'mcc', 'uniqueness', 'explainedVariance', 'saeL0'] as const;
type Metric = (typeof METRICS)[number];
const METRIC_TITLES: Record<Metric, string> = {
  f1: 'F1 (latent firing vs its best true feature)',
  mcc: 'MCC (mean matched |cosine|)',
  uniqueness: 'uniqueness (distinct best features / latents)',
  explainedVariance: 'explained variance',
  saeL0: 'L0 on held-out inputs',
};

/** The run's sizes: the full run (an idle machine, ~30 min) or the quick one of the tests (seconds). */
function settings(quick: boolean) {
  return quick
    ? {
        bench: { numFeatures: 256, dim: 32, hierarchy: { roots: 8, branching: 3, depth: 2 } },
        seeds: 3,
        steps: 24,
        batchSize: 64,
        logEvery: 4,
        heldOut: 512,
        initSamples: 256,
        controllerRate: 0.3,
      }
    : {
        bench: {},
        seeds: 3,
        // 10,000,384 samples (issue #22 asks for >= 10M at d = 64). On the 2-core machine this takes
        // about an hour, twice the ~30 min of the other studies; docs/results.md gives the wall time.
        steps: 9766,
        batchSize: 1024,
        logEvery: 10,
        heldOut: 8192,
        initSamples: 4096,
        controllerRate: 0.05,
      };
}

/** The complement 1 - m of an interval (explained variance -> FVU). */
function complement(m: MeanInterval): MeanInterval {
  return { ...m, mean: 1 - m.mean, lo: 1 - m.hi, hi: 1 - m.lo };
}

/** Every unordered pair of indices below s. */
function pairs(s: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let a = 0; a < s; a++) for (let b = a + 1; b < s; b++) out.push([a, b]);
  return out;
}

/** Share of latents matched at cosine >= 0.7 (Paulo & Belrose) for every pair of `saes`. */
async function pairShares(saes: SparseAutoencoder[]): Promise<number[]> {
  const decoders = await Promise.all(saes.map((s) => decoderDirections(s)));
  const out: number[] = [];
  for (const [a, b] of pairs(saes.length))
    out.push((await seedStability(decoders[a], decoders[b], saes[0].dIn)).sharedAt07);
  return out;
}

export const knownTruth: Study = {
  name: 'known-truth',
  title: 'Known truth: every architecture against the true features, over training and seeds',
  question:
    "On SynthSAEBench's generator, at matched L0, how well does each architecture recover the true features " +
    '(F1, MCC, uniqueness) and explain variance as training proceeds, above untrained SAEs, and how much of ' +
    'what it learns is the same across seeds?',
  async run(ctx: StudyContext) {
    const cfg = settings(ctx.quick);
    const bench = new SynthBench({ seed: ctx.seed, ...cfg.bench });
    const trueL0 = bench.expectedL0;
    const n = bench.numFeatures / 4;
    const k = Math.max(1, Math.round(0.73 * trueL0));
    const lr = referenceLearningRate(n);
    const seeds = Array.from({ length: cfg.seeds }, (_, i) => ctx.seed + i);
    const heldOut = heldOutTruth(bench, cfg.heldOut); // drawn before training: never trained on
    const base = { dIn: bench.dim, nLatents: n };
    const configOf = (arch: Arch, seed: number): SaeConfig =>
      ({
        ...base,
        architecture: arch,
        seed,
        ...(START_COEFFICIENT[arch] ?? { k }),
        ...(arch === 'jumprelu' ? { targetL0: k } : {}),
      }) as SaeConfig;
    const checkpoints = FRACTIONS.map((f) => Math.max(1, Math.round(f * cfg.steps)));

    const stacks = ARCHITECTURES.map(([arch]) => seeds.map((s) => createSae(configOf(arch, s))));
    const tees = teeSource(bench, ARCHITECTURES.length);
    const controllers = stacks.map((saes, j) =>
      START_COEFFICIENT[ARCHITECTURES[j][0]]
        ? new TargetL0Controller(saes, { targetL0: k, steps: cfg.steps, rate: cfg.controllerRate })
        : null,
    );
    const trainers = stacks.map(
      (saes, j) =>
        new SaeTrainer(saes, tees[j], {
          steps: cfg.steps,
          batchSize: cfg.batchSize,
          lr,
          logEvery: cfg.logEvery,
          initSamples: cfg.initSamples,
          normalizeInput: true,
          callbacks: controllers[j] ? [controllers[j]] : [],
        }),
    );
    // scores[arch][checkpoint][seed]
    const scores: KnownTruthMetrics[][][] = ARCHITECTURES.map(() => []);
    const started = performance.now();
    try {
      // Lockstep: every stack advances one logging interval at a time, so the tee holds at most that many batches.
      let done = 0;
      for (const [c, cp] of checkpoints.entries()) {
        while (done < cp) {
          const until = Math.min(cp, done + cfg.logEvery);
          for (const t of trainers) await t.train({ shouldStop: () => t.stepsTaken >= until });
          done = until;
        }
        for (const [j, saes] of stacks.entries()) {
          scores[j][c] = [];
          for (const sae of saes) {
            heldOut.setState({ cursor: 0 });
            scores[j][c].push(await evaluateKnownTruth(sae, heldOut, { samples: cfg.heldOut }));
          }
        }
        const seconds = (performance.now() - started) / 1000;
        ctx.log(`known-truth: ${(cp * cfg.batchSize).toLocaleString('en-US')} samples scored after ${sig(seconds)} s`);
      }
    } finally {
      for (const t of trainers) t.dispose();
    }

    // Untrained baselines (same shapes, same held-out rows) and seed stability, trained and untrained.
    const untrainedSeeds = seeds.map((s) => s + 1000);
    const baselines: Awaited<ReturnType<typeof untrainedBaseline>>[] = [];
    const stability: number[][] = [];
    const randomStability: number[][] = [];
    try {
      for (const [j, [arch]] of ARCHITECTURES.entries()) {
        heldOut.setState({ cursor: 0 });
        baselines.push(
          await untrainedBaseline(configOf(arch, seeds[0]), heldOut, { seeds: untrainedSeeds, samples: cfg.heldOut }),
        );
        stability.push(await pairShares(stacks[j]));
        const untrained = untrainedSeeds.map((s) => createSae(configOf(arch, s)));
        try {
          randomStability.push(await pairShares(untrained));
        } finally {
          for (const s of untrained) s.dispose();
        }
      }
    } finally {
      for (const saes of stacks) for (const s of saes) s.dispose();
    }

    const last = checkpoints.length - 1;
    const samplesSeen = checkpoints.map((cp) => cp * cfg.batchSize);
    const at = (j: number, metric: Metric, c = last) => scores[j][c].map((r) => r[metric]);
    const interval = (j: number, metric: Metric, c = last) => meanInterval(at(j, metric, c));
    const labels = ARCHITECTURES.map(([, label]) => label);

    // Figures: each metric against samples seen, mean over seeds with its interval, beside the untrained mean.
    for (const metric of METRICS) {
      ctx.figure(
        `${metric}.png`,
        {
          title: `Known truth: ${METRIC_TITLES[metric]} against samples seen`,
          kind: 'line',
          x: { title: 'training samples seen', log: true },
          y: { title: METRIC_TITLES[metric] },
          series: ARCHITECTURES.flatMap((_, j) => {
            const color = CHART_COLORS[j % CHART_COLORS.length];
            const ivs = checkpoints.map((_, c) => interval(j, metric, c));
            const line = (pick: (m: MeanInterval) => number) =>
              samplesSeen.map((x, c) => [x, pick(ivs[c])] as [number, number]);
            const b = baselines[j].metrics[metric].mean;
            return [
              { name: labels[j], color, points: line((m) => m.mean) },
              // The band's outline in one series: the lower ends forward, the upper ends back.
              {
                name: `${labels[j]} 95% interval`,
                color,
                ghost: true,
                points: [...line((m) => m.lo), ...line((m) => m.hi).reverse()],
              },
              {
                name: `${labels[j]} untrained`,
                color,
                dashed: true,
                points: [
                  [samplesSeen[0], b],
                  [samplesSeen[last], b],
                ] as Array<[number, number]>,
              },
            ];
          }),
        },
        `Mean over ${seeds.length} seeds (faint outline: the 95% interval); dashed: untrained SAEs of the same ` +
          'architecture on the same held-out rows. A trained SAE means something only above its dashed line.',
      );
    }
    ctx.figure(
      'seed-stability.png',
      {
        title: 'Seed stability: share of latents matched across seeds at cosine >= 0.7',
        kind: 'bar',
        x: { title: 'architecture', categories: labels },
        y: { title: 'share of latents matched (Hungarian, cosine >= 0.7)', min: 0, max: 1 },
        series: [
          { name: 'trained', points: labels.map((_, j) => [j, mean(stability[j])] as [number, number]) },
          { name: 'untrained', points: labels.map((_, j) => [j, mean(randomStability[j])] as [number, number]) },
        ],
      },
      `Mean over the ${pairs(seeds.length).length} pairs of seeds; untrained: pairs of SAEs at their initialisation.`,
    );

    // Reproduction rows.
    const idx = (a: Arch) => ARCHITECTURES.findIndex(([x]) => x === a);
    const sizes = `d = ${bench.dim}, ${bench.numFeatures} true features (true L0 ${sig(trueL0)}), n = ${n}, k / target L0 = ${k}`;
    const setting = {
      sizes,
      samplesSeen: samplesSeen[last],
      lr: `${sig(lr)} (2e-4 / sqrt(n / 2^14))`,
      seeds,
    };
    const l0Of = (a: Arch) => mean(at(idx(a), 'saeL0'));
    const l0s = (...as: Arch[]) => `held-out L0: ${as.map((a) => `${labels[idx(a)]} ${sig(l0Of(a))}`).join(', ')}`;
    // Every comparison of two architectures here is meant at one L0 (the controller's target, k):
    // the verdict rule refuses one whose arms ended further apart (src/analysis/reproduction.ts).
    const matchedL0 = (a: Arch, b: Arch) => ({ ours: l0Of(a), comparison: l0Of(b) });
    const compare = (
      claim: string,
      source: string,
      published: string,
      metric: Metric | 'fvu',
      a: Arch,
      b: Arch,
      relation: 'greater' | 'less',
    ): ReproductionRow => {
      const get = (x: Arch) =>
        metric === 'fvu' ? complement(interval(idx(x), 'explainedVariance')) : interval(idx(x), metric);
      const bl = baselines[idx(a)].metrics[metric === 'fvu' ? 'explainedVariance' : metric];
      return {
        claim,
        source,
        published,
        metric: metric === 'fvu' ? 'FVU (held out)' : `${metric} (held out)`,
        setting,
        ours: get(a),
        comparison: get(b),
        comparisonLabel: labels[idx(b)],
        baseline: metric === 'fvu' ? complement(bl) : bl,
        expect: { relation, than: 'comparison' },
        l0: matchedL0(a, b),
        reason: `measured at ${samplesSeen[last].toLocaleString('en-US')} samples (${l0s(a, b)})`,
        note: l0s(a, b),
      };
    };
    const sse = 'SynthSAEBench (Chanin & Garriga-Alonso 2026, arXiv:2602.14687), SynthSAEBench-16k at L0 25';
    const stabilityOf = (a: Arch) => meanInterval(stability[idx(a)]);
    const jumpVsTopK = compare(
      'JumpReLU reconstructs at least as well as TopK at matched L0',
      'Rajamanoharan et al. 2024 (arXiv:2407.14435), Fig. 2',
      'JumpReLU at or below TopK on the FVU / L0 frontier',
      'fvu',
      'jumprelu',
      'topk',
      'less',
    );
    jumpVsTopK.note = `${jumpVsTopK.note}; "at least as well": overlapping intervals read as inconclusive by the rule`;
    const reproduction: ReproductionRow[] = [
      compare(
        'Matryoshka-BatchTopK recovers features better than BatchTopK',
        sse,
        'F1 0.879 vs 0.732',
        'f1',
        'matryoshka-batch-topk',
        'batch-topk',
        'greater',
      ),
      compare(
        'BatchTopK recovers features better than ReLU+L1',
        sse,
        'F1 0.732 vs 0.556',
        'f1',
        'batch-topk',
        'relu-l1',
        'greater',
      ),
      compare(
        'JumpReLU recovers features better than ReLU+L1',
        sse,
        'F1 0.732 vs 0.556',
        'f1',
        'jumprelu',
        'relu-l1',
        'greater',
      ),
      compare(
        'Matryoshka-BatchTopK latents are more unique than BatchTopK',
        sse,
        'uniqueness 0.999 vs 0.984',
        'uniqueness',
        'matryoshka-batch-topk',
        'batch-topk',
        'greater',
      ),
      compare(
        'BatchTopK reconstructs better than TopK at matched L0',
        'Bussmann, Leask & Nanda 2024 (arXiv:2412.06410)',
        'lower normalised MSE than TopK at every k tested',
        'fvu',
        'batch-topk',
        'topk',
        'less',
      ),
      compare(
        'TopK reconstructs better than ReLU+L1 at matched L0',
        'Gao et al. 2024 (arXiv:2406.04093), Fig. 2',
        'TopK below ReLU on the MSE / L0 frontier',
        'fvu',
        'topk',
        'relu-l1',
        'less',
      ),
      jumpVsTopK,
      {
        claim: 'SAEs trained on the same data with different seeds share latents beyond chance (TopK)',
        source: 'Paulo & Belrose 2025 (arXiv:2501.16615)',
        published: '~30% shared at cosine >= 0.7, 131k latents on Llama-3-8B',
        metric: 'share of latents matched across a pair of seeds (cosine >= 0.7)',
        setting,
        ours: stabilityOf('topk'),
        baseline: meanInterval(randomStability[idx('topk')]),
        expect: { relation: 'greater', than: 'baseline' },
        reason: 'the decoders of different seeds are no closer than two initialisations',
        note: `one value per pair of seeds (${pairs(seeds.length).length} pairs of ${seeds.length} seeds: not independent)`,
      },
      {
        claim: 'TopK is more seed-dependent than ReLU+L1',
        source: 'Paulo & Belrose 2025 (arXiv:2501.16615)',
        published: 'TopK shares fewer latents across seeds than ReLU SAEs',
        metric: 'share of latents matched across a pair of seeds (cosine >= 0.7)',
        setting,
        ours: stabilityOf('topk'),
        comparison: stabilityOf('relu-l1'),
        comparisonLabel: 'ReLU+L1',
        baseline: meanInterval(randomStability[idx('topk')]),
        expect: { relation: 'less', than: 'comparison' },
        l0: matchedL0('topk', 'relu-l1'),
        reason: `measured at ${samplesSeen[last].toLocaleString('en-US')} samples (${l0s('topk', 'relu-l1')})`,
        note: `one value per pair of seeds (${pairs(seeds.length).length} pairs of ${seeds.length} seeds: not independent)`,
      },
    ];

    // Plateau: relative change of the mean F1 over the last 20% of training (checkpoint 0.8 -> 1).
    const plateau = ARCHITECTURES.map((_, j) => {
      const before = mean(at(j, 'f1', last - 1));
      return (mean(at(j, 'f1')) - before) / Math.max(Math.abs(before), 1e-12);
    });

    const numbers = {
      dim: bench.dim,
      numFeatures: bench.numFeatures,
      trueL0,
      nLatents: n,
      k,
      lr,
      seeds: seeds.length,
      samplesSeen,
      architectures: ARCHITECTURES.map((_, j) => j),
      perArchitecture: Object.fromEntries(
        ARCHITECTURES.map(([arch], j) => [
          arch,
          {
            ...Object.fromEntries(METRICS.map((m) => [m, checkpoints.map((_, c) => at(j, m, c))])),
            baseline: Object.fromEntries(METRICS.map((m) => [m, baselines[j].perSeed.map((r) => r[m])])),
            seedStability: stability[j],
            randomStability: randomStability[j],
            f1PlateauChange: plateau[j],
            finalCoefficient: controllers[j] ? controllers[j].coefficients : [],
          },
        ]),
      ),
    };

    const summary = [
      `SynthSAEBench generator, ${bench.numFeatures} features in d = ${bench.dim} (true L0 ${sig(trueL0)}); n = ${n}, ` +
        `k = ${k} (the controlled architectures steered to L0 ${k}, frozen for the last 20%); ${seeds.length} seeds per ` +
        `architecture, ${samplesSeen[last].toLocaleString('en-US')} samples (batch ${cfg.batchSize}), lr ${sig(lr)}; ` +
        `every SAE saw the same batches and is scored on the same ${cfg.heldOut} held-out inputs.`,
      '',
      '| architecture | L0 | F1 | MCC | uniqueness | explained variance | F1 change, last 20% | shared across seeds (>= 0.7) |',
      '|---|---|---|---|---|---|---|---|',
      ...ARCHITECTURES.map(
        (_, j) =>
          `| ${labels[j]} | ${sig(mean(at(j, 'saeL0')))} | ${sigInterval(interval(j, 'f1'))} | ${sigInterval(interval(j, 'mcc'))} | ` +
          `${sigInterval(interval(j, 'uniqueness'))} | ${sigInterval(interval(j, 'explainedVariance'))} | ${sig(100 * plateau[j], 2)}% | ` +
          `${sig(mean(stability[j]))} |`,
      ),
      '',
      'Untrained SAEs of the same architecture, same held-out inputs:',
      '',
      '| architecture | L0 | F1 | MCC | uniqueness | explained variance | shared across seeds (>= 0.7) |',
      '|---|---|---|---|---|---|---|',
      ...ARCHITECTURES.map((_, j) => {
        const b = baselines[j].metrics;
        return (
          `| ${labels[j]} | ${sig(b.saeL0.mean)} | ${sigInterval(b.f1)} | ${sigInterval(b.mcc)} | ${sigInterval(b.uniqueness)} | ` +
          `${sigInterval(b.explainedVariance)} | ${sig(mean(randomStability[j]))} |`
        );
      }),
      '',
      'Intervals: 95% Student-t over seeds. Reproduction rows (verdicts by the rule of src/analysis/reproduction.ts):',
      '',
      reproductionMarkdown(reproduction),
    ].join('\n');
    return { summary, numbers, reproduction };
  },
};
