/**
 * splitting: TopK SAEs of widths n, 2n, 4n trained on one tee'd stream (every width sees the same
 * batches), each width a stack of seeds; each latent of a wider SAE is matched to the next narrower
 * one by decoder cosine and classified as a match, a split or new (src/analysis/splitting.ts).
 * Bussmann & Leask (2024) report ~65% match or split, ~35% new. Read against the same
 * classification of untrained SAEs of the same widths (random unit decoder rows): a share above
 * that baseline says training made the wider dictionary refine the narrower one. Two settings:
 * the known-truth generator with SynthSAEBench's published parameters (src/data/synth-bench.ts,
 * default preset), where each latent is also matched to the true features, and the character
 * model's residual stream. The shares are read at checkpoints (against samples seen).
 */
import { type SPLIT_KINDS, bestParents, classifySplits, type Decoder } from '../src/analysis/splitting';
import { meanInterval } from '../src/analysis/stats';
import type { ReproductionRow } from '../src/analysis/reproduction';
import { SynthBench } from '../src/data/synth-bench';
import type { ActivationSource } from '../src/data/source';
import { type SaeConfig, type SparseAutoencoder, createSae, referenceLearningRate } from '../src/sae';
import { decoderDirections } from '../src/sae/eval/latent-rows';
import {
  ARM_COLORS,
  charResiduals,
  intervalSeries,
  absoluteChangeLast20,
  shuffledRows,
  trainInLockstep,
  untrainedSae,
  sigInterval,
} from './common';
import type { Study, StudyContext } from './study';

const TAU = 0.5; // match threshold on decoder cosine

/** Fractions of one width step (wider against narrower). */
type Fractions = Record<(typeof SPLIT_KINDS)[number], number>;

/** Match/split/new of each width step for one seed's SAEs (narrowest first). */
async function fractionsOf(saes: SparseAutoencoder[], D: number): Promise<Fractions[]> {
  const decoders: Decoder[] = [];
  for (const s of saes) decoders.push({ rows: await decoderDirections(s), n: s.nLatents });
  return decoders.slice(1).map((d, l) => classifySplits(bestParents(d, decoders[l], D), TAU).fractions);
}

/** Share of `sae`'s latents whose decoder row has cosine >= TAU with some true feature direction. */
async function trueMatchShare(sae: SparseAutoencoder, truth: Decoder, D: number): Promise<number> {
  const { cosine } = bestParents({ rows: await decoderDirections(sae), n: sae.nLatents }, truth, D);
  return cosine.filter((c) => c >= TAU).length / sae.nLatents;
}

interface SettingResult {
  widths: number[];
  seeds: number[];
  k: number;
  steps: number;
  batchSize: number;
  samplesSeen: number[];
  /** refined[step][seed][checkpoint]: match + split share of width step `step`. */
  refined: number[][][];
  /** The end's fractions, [step][seed]. */
  final: Fractions[][];
  /** Untrained SAEs of the same widths: fractions [step][seed]. */
  untrained: Fractions[][];
  /** Known truth only: share of latents matching a true feature, [width][seed] at the end and untrained. */
  truthMatch?: { trained: number[][]; untrained: number[][] };
}

async function runSetting(
  ctx: StudyContext,
  label: string,
  spec: {
    dIn: number;
    widths: number[];
    k: number;
    seeds: number[];
    steps: number;
    batchSize: number;
    checkpoints: number;
    normalizeInput: boolean;
    initRows: Float32Array;
    truth?: Decoder;
  },
  source: ActivationSource,
): Promise<SettingResult> {
  const { dIn, widths, k, seeds } = spec;
  // A seed per width and seed: with one seed the first n decoder rows of every width would start identical.
  const configOf = (w: number, s: number): SaeConfig => ({
    architecture: 'topk',
    dIn,
    nLatents: widths[w],
    k,
    seed: seeds[s] * 16 + w + 1,
  });
  const stacks = widths.map((_, w) => seeds.map((_, s) => createSae(configOf(w, s))));
  const steps = widths.length - 1;
  const refined = Array.from({ length: steps }, () => seeds.map(() => [] as number[]));
  const samplesSeen: number[] = [];
  const perSeed = (s: number) => stacks.map((st) => st[s]);
  try {
    await trainInLockstep(
      ctx,
      widths.map((n, w) => ({ label: `${label} n=${n}`, saes: stacks[w], config: { lr: referenceLearningRate(n) } })),
      source,
      {
        steps: spec.steps,
        batchSize: spec.batchSize,
        normalizeInput: spec.normalizeInput,
        initSamples: Math.min(4096, 4 * spec.batchSize),
        deadWindow: 20 * spec.batchSize,
      },
      {
        checkpoints: spec.checkpoints,
        async onCheckpoint(seen) {
          samplesSeen.push(seen);
          for (const s of seeds.keys())
            (await fractionsOf(perSeed(s), dIn)).forEach((f, l) => refined[l][s].push(f.match + f.split));
        },
      },
    );
    const finalPerSeed = await Promise.all(seeds.map((_, s) => fractionsOf(perSeed(s), dIn)));
    const final = Array.from({ length: steps }, (_, l) => finalPerSeed.map((f) => f[l]));
    const truthMatch = spec.truth ? { trained: [] as number[][], untrained: [] as number[][] } : undefined;
    if (truthMatch && spec.truth)
      for (const st of stacks)
        truthMatch.trained.push(await Promise.all(st.map((sae) => trueMatchShare(sae, spec.truth!, dIn))));
    // The baseline: untrained SAEs of the same widths and seeds.
    const untrainedPerSeed: Fractions[][] = [];
    const untrainedTruth: number[][] = widths.map(() => []);
    for (const s of seeds.keys()) {
      const saes: SparseAutoencoder[] = [];
      try {
        for (const w of widths.keys())
          saes.push(await untrainedSae(configOf(w, s), spec.initRows, { normalizeInput: spec.normalizeInput }));
        untrainedPerSeed.push(await fractionsOf(saes, dIn));
        if (spec.truth)
          for (const [w, sae] of saes.entries()) untrainedTruth[w].push(await trueMatchShare(sae, spec.truth, dIn));
      } finally {
        for (const sae of saes) sae.dispose();
      }
    }
    if (truthMatch) truthMatch.untrained = untrainedTruth;
    const untrained = Array.from({ length: steps }, (_, l) => untrainedPerSeed.map((f) => f[l]));
    return {
      widths,
      seeds,
      k,
      steps: spec.steps,
      batchSize: spec.batchSize,
      samplesSeen,
      refined,
      final,
      untrained,
      ...(truthMatch ? { truthMatch } : {}),
    };
  } finally {
    for (const s of stacks.flat()) s.dispose();
  }
}

const shareOf = (f: Fractions[]) => meanInterval(f.map((x) => x.match + x.split));

export const splitting: Study = {
  name: 'splitting',
  title: 'Feature splitting across widths, against untrained SAEs',
  question:
    "When a TopK SAE is made wider, what share of its latents match or split the narrower SAE's (Bussmann & Leask: " +
    '~65%), against the same classification of untrained SAEs of those widths?',
  async run(ctx) {
    const q = ctx.quick;
    const seeds = Array.from({ length: 3 }, (_, s) => ctx.seed * 100 + s);
    const checkpoints = q ? 2 : 8;

    const bench = new SynthBench({
      seed: ctx.seed,
      ...(q
        ? { numFeatures: 128, dim: 16, hierarchy: { roots: 8, branching: 2, depth: 2 }, correlationRank: 4 }
        : { numFeatures: 1024, dim: 64 }), // every other setting the published preset's (hierarchy roots scaled to m)
    });
    const truth: Decoder = { rows: bench.directions, n: bench.numFeatures };
    const base = q ? 16 : 64;
    const synth = await runSetting(
      ctx,
      'known truth',
      {
        dIn: bench.dim,
        widths: [base, 2 * base, 4 * base],
        k: q ? 4 : 8,
        seeds,
        steps: q ? 10 : 1000,
        batchSize: q ? 64 : 1024,
        checkpoints,
        normalizeInput: true,
        initRows: bench.nextBatch(q ? 256 : 4096),
        truth,
      },
      bench,
    );
    const train = await charResiduals('train', q ? 1024 : 16384);
    const charBase = q ? 16 : 64;
    const char = await runSetting(
      ctx,
      'char',
      {
        dIn: train.dim,
        widths: [charBase, 2 * charBase, 4 * charBase],
        k: 8,
        seeds,
        steps: q ? 8 : 3000,
        batchSize: q ? 64 : 256,
        checkpoints,
        normalizeInput: true,
        initRows: train.activations.subarray(0, Math.min(2048, train.length) * train.dim),
      },
      shuffledRows(train.activations, train.dim, ctx.seed),
    );

    const settings = [
      { key: 'synth', r: synth, what: `known truth (${bench.numFeatures} features in d = ${bench.dim})` },
      { key: 'char', r: char, what: `character model (D = ${train.dim})` },
    ] as const;
    for (const { key, r, what } of settings) {
      const stepNames = r.widths.slice(1).map((n, l) => `${r.widths[l]} -> ${n}`);
      ctx.figure(
        `refined-share-${key}.png`,
        {
          title: `${what}: latents that match or split the narrower SAE's`,
          kind: 'line',
          x: { title: 'training inputs seen' },
          y: { title: "match + split share of the wider SAE's latents", min: 0, max: 1 },
          series: [
            ...stepNames.flatMap((name, l) => intervalSeries(name, r.samplesSeen, r.refined[l], ARM_COLORS[l])),
            ...stepNames.map((name, l) => ({
              name: `untrained ${name}`,
              points: [
                [r.samplesSeen[0], shareOf(r.untrained[l]).mean],
                [r.samplesSeen[r.samplesSeen.length - 1], shareOf(r.untrained[l]).mean],
              ] as Array<[number, number]>,
              color: ARM_COLORS[l],
              dashed: true,
            })),
          ],
        },
        `Mean over ${r.seeds.length} seeds (solid) with its 95% interval (faded); flat dashed: untrained SAEs of the same widths. ` +
          `Match: the best narrower latent has decoder cosine >= ${TAU} and no other wide latent claims it; split: several do; new: cosine < ${TAU}.`,
      );
    }

    const numbersOf = (r: SettingResult) => ({
      widths: r.widths,
      seeds: r.seeds,
      k: r.k,
      steps: r.steps,
      batchSize: r.batchSize,
      samplesSeen: r.samplesSeen,
      refinedShare: r.refined,
      plateauChange: r.refined.map((perSeed) =>
        absoluteChangeLast20(
          r.samplesSeen,
          r.samplesSeen.map((_, c) => perSeed.reduce((s, curve) => s + curve[c], 0) / perSeed.length),
        ),
      ),
      final: r.final.map((perSeed) => perSeed.map((f) => ({ ...f }))),
      untrained: r.untrained.map((perSeed) => perSeed.map((f) => ({ ...f }))),
      ...(r.truthMatch ? { truthMatch: r.truthMatch } : {}),
    });
    const numbers = { tau: TAU, synth: numbersOf(synth), char: numbersOf(char) };

    const reproduction: ReproductionRow[] = settings.map(({ r, what }) => {
      const l = r.widths.length - 2;
      return {
        claim: `a wider SAE's latents mostly match or split the narrower SAE's, more than untrained SAEs' do (${what})`,
        source: 'Bussmann & Leask 2024, "Stitching SAEs of different sizes" (LessWrong / Alignment Forum)',
        published: '~65% match or split, ~35% new (GPT-2 small SAEs, widths 768 to 98,304)',
        metric: `match + split share, ${r.widths[l]} -> ${r.widths[l + 1]} latents (decoder cosine >= ${TAU})`,
        setting: {
          sizes: `${what}, TopK k = ${r.k}, widths ${r.widths.join(', ')}, B = ${r.batchSize}`,
          samplesSeen: r.samplesSeen[r.samplesSeen.length - 1],
          lr: '2e-4 / sqrt(n / 2^14) per width',
          seeds: r.seeds,
        },
        ours: shareOf(r.final[l]),
        baseline: shareOf(r.untrained[l]),
        expect: { relation: 'greater', than: 'baseline' },
        reason: 'the trained wider SAE refines the narrower one less than random directions would',
        note: 'baseline: untrained TopK SAEs of the same widths and seeds (random unit decoder rows)',
      };
    });

    const kindInterval = (f: Fractions[], kind: keyof Fractions) => sigInterval(meanInterval(f.map((x) => x[kind])));
    const table = (r: SettingResult) => [
      '| width step | match | split | new | match + split | untrained match + split |',
      '|---|---|---|---|---|---|',
      ...r.final.map(
        (f, l) =>
          `| ${r.widths[l]} -> ${r.widths[l + 1]} | ${kindInterval(f, 'match')} | ${kindInterval(f, 'split')} | ` +
          `${kindInterval(f, 'new')} | ${sigInterval(shareOf(f))} | ${sigInterval(shareOf(r.untrained[l]))} |`,
      ),
    ];
    const truthLines = synth.truthMatch
      ? [
          '',
          `Share of latents matching a true feature (cosine >= ${TAU}), trained / untrained: ` +
            synth.widths
              .map(
                (n, w) =>
                  `n = ${n}: ${sigInterval(meanInterval(synth.truthMatch!.trained[w]))} / ${sigInterval(meanInterval(synth.truthMatch!.untrained[w]))}`,
              )
              .join('; ') +
            '.',
        ]
      : [];
    const summary = [
      `TopK SAEs of three widths per setting, ${seeds.length} seeds each, every width trained on the same batches ` +
        '(lr 2e-4 / sqrt(n / 2^14)). Each latent of a wider SAE against the next narrower one at the end ' +
        `(mean [95% interval] over seeds), beside untrained SAEs of the same widths. Bussmann & Leask: ~65% match or split.`,
      '',
      `**Known truth** (SynthSAEBench's published parameters, ${bench.numFeatures} features in d = ${bench.dim}; ` +
        `k = ${synth.k}, ${synth.steps} steps of ${synth.batchSize}):`,
      '',
      ...table(synth),
      ...truthLines,
      '',
      `**Character model** (D = ${train.dim}; k = ${char.k}, ${char.steps} steps of ${char.batchSize}):`,
      '',
      ...table(char),
      '',
      'Stitching (a dictionary assembled from several widths, src/analysis/splitting.ts `stitch`) is not scored in this study.',
    ].join('\n');
    return { summary, numbers, reproduction };
  },
};
