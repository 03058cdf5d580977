/**
 * transcoder-init: does tying the encoder to the decoder's transpose at initialisation (Gao et
 * al. 2024, arXiv:2406.04093, Sec. 2.2), which keeps an SAE's latents alive, help a transcoder
 * too, whose input and output spaces differ (Dunefsky et al. 2024, arXiv:2406.11944)? And does
 * the order of the (input, output) pairs matter: shuffled across the text, or in text order?
 *
 * TopK transcoders on the MLP of the character model's second block. Two arms, one per order of
 * the same training pairs (shuffled with one seed, or text order); each arm is one stack of
 * {tied, independent} init x seeds, so within an arm every transcoder reads the same batches.
 * lr by Gao's width rule. Judged on held-out text by the MLP splice (src/sae/eval/splice-mlp.ts)
 * at checkpoints of samples seen: the fraction of loss recovered against mean ablation, the FVU of
 * the MLP's output, and the latents firing on none of the held-out characters; the point at 0
 * samples is the untrained transcoder (after the data initialisation of b_dec), the baseline row.
 * sparsify starts a transcoder's decoder at zero and SAELens draws both matrices at random;
 * neither ties them, which is why the question is open.
 */
import { type MeanInterval, meanInterval } from '../src/analysis/stats';
import type { ReproductionRow } from '../src/analysis/reproduction';
import { loadCharLm } from '../src/data/lm/assets';
import { captureMlpPairs } from '../src/data/lm/mlp-pairs';
import { loadTextSplit } from '../src/data/lm/text';
import { CharVocab } from '../src/data/lm/vocab';
import { createSae, referenceLearningRate } from '../src/sae';
import { meanMlpOutput, spliceMlpEvaluate } from '../src/sae/eval/splice-mlp';
import { spliceWindows } from '../src/sae/eval/splice';
import type { TopKTranscoder } from '../src/sae/transcoder';
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

/** The two initialisations of one stack, in member order (init-major, then seed). */
export const TRANSCODER_INITS = [
  { id: 'tied', tiedInit: true },
  { id: 'independent', tiedInit: false },
] as const;

/** The two orders of the training pairs, one arm each. */
export const TRANSCODER_ORDERS = ['shuffled', 'text-order'] as const;

/** The four conditions (order x init), as the report names them. */
export const TRANSCODER_INIT_CONDITIONS = TRANSCODER_ORDERS.flatMap((order) =>
  TRANSCODER_INITS.map((init) => `${init.id}+${order}`),
);

/** The block (of 2, from 0) whose MLP is learned. */
const BLOCK = 1;

/** The metrics read at every checkpoint, per member. */
const METRICS = ['recovered', 'fvu', 'dead'] as const;
type Metric = (typeof METRICS)[number];

export const transcoderInit: Study = {
  name: 'transcoder-init',
  title: 'Transcoders: tied initialisation and shuffling',
  question:
    'Does initialising a transcoder’s encoder as its decoder’s transpose help as it helps SAEs, and does training ' +
    'on shuffled rather than text-ordered (MLP input, MLP output) pairs change what it recovers?',
  async run(ctx) {
    const q = ctx.quick;
    const seeds = [0, 1, 2].map((s) => ctx.seed + s);
    const S = seeds.length;
    const n = q ? 64 : 512;
    const k = 8;
    const steps = q ? 12 : 1000;
    const batchSize = q ? 64 : 512;
    const measureEvery = q ? 12 : 125;
    const trainChars = q ? 4096 : 262144;
    const heldOutChars = q ? 1024 : 8192;
    const lr = referenceLearningRate(n);
    const model = loadCharLm().model;
    const numbers: Numbers = { seeds, nLatents: n, k, steps, batchSize, lr, trainChars, heldOutChars, block: BLOCK };
    // curves[order][metric][member][checkpoint]; samples[checkpoint] is the same for both orders.
    const curves = {} as Record<string, Record<Metric, number[][]>>;
    let samples: number[] = [];
    try {
      const vocab = new CharVocab();
      const text = loadTextSplit();
      const trainTokens = vocab.encode(text.train.slice(0, trainChars + 1));
      const heldOutTokens = vocab.encode(text.heldOut.slice(0, heldOutChars + 1));
      const D = model.dModel;
      // One mean MLP output for every mean ablation, over the held-out windows the splice reads.
      const starts = spliceWindows(heldOutTokens, model.config.contextLength, heldOutChars);
      const meanOutput = await meanMlpOutput(model, heldOutTokens, starts, BLOCK);
      for (const order of TRANSCODER_ORDERS) {
        const pairs = await captureMlpPairs(model, trainTokens, {
          block: BLOCK,
          maxChars: trainChars,
          ...(order === 'shuffled' ? { shuffleSeed: ctx.seed } : {}),
        });
        const saes = TRANSCODER_INITS.flatMap((init) =>
          seeds.map((seed) =>
            createSae({ architecture: 'transcoder-topk', dIn: D, nLatents: n, k, tiedInit: init.tiedInit, seed }),
          ),
        );
        try {
          const run = await trainStackWithCurves(
            ctx,
            `${order}: ${saes.length} transcoders`,
            saes,
            pairs,
            { steps, batchSize, lr, normalizeInput: true, initSamples: Math.min(2048, pairs.rows), measureEvery },
            async (trainer) => {
              const out: Record<Metric, number[]> = { recovered: [], fvu: [], dead: [] };
              for (const sae of trainer.saes) {
                const ev = await spliceMlpEvaluate(model, sae as TopKTranscoder, heldOutTokens, {
                  block: BLOCK,
                  maxChars: heldOutChars,
                  meanOutput,
                });
                out.recovered.push(ev.splice.lossRecoveredMeanAblation);
                out.fvu.push(ev.reconstruction.fvu);
                out.dead.push(ev.density.filter((d) => d === 0).length / n);
              }
              return out;
            },
          );
          samples = run.samples;
          curves[order] = run.curves as Record<Metric, number[][]>;
        } finally {
          for (const sae of saes) sae.dispose();
        }
      }
    } finally {
      model.dispose();
    }

    // perSeed(order, init, metric)[seed][checkpoint]
    const perSeed = (order: string, ii: number, m: Metric) =>
      seeds.map((_, s) => curves[order][m][stackIndex(ii, s, S)]);
    const at = (order: string, ii: number, m: Metric, c: number) => perSeed(order, ii, m).map((v) => v[c]);
    const last = samples.length - 1;
    const final = (order: string, ii: number, m: Metric): MeanInterval => meanInterval(at(order, ii, m, last));
    const untrained = (order: string, ii: number, m: Metric): MeanInterval => meanInterval(at(order, ii, m, 0));

    const titles: Record<Metric, [string, string]> = {
      recovered: ['Loss recovered (mean ablation)', 'fraction of the ablation loss recovered'],
      fvu: ['FVU of the MLP output', 'held-out FVU'],
      dead: ['Latents firing on no held-out character', 'dead fraction'],
    };
    for (const m of METRICS) {
      ctx.figure(
        `${m}-vs-samples.png`,
        {
          title: `${titles[m][0]}, TopK transcoders on block ${BLOCK + 1}'s MLP (n = ${n}, k = ${k})`,
          kind: 'line',
          x: { title: 'training pairs seen' },
          y: { title: titles[m][1] },
          series: TRANSCODER_ORDERS.flatMap((order, oi) =>
            TRANSCODER_INITS.map((init, ii) => ({ order, oi, init, ii })),
          ).flatMap(({ order, init, ii, oi }) =>
            intervalSeries(`${init.id}, ${order}`, samples, perSeed(order, ii, m), ARM_COLORS[2 * oi + ii]),
          ),
        },
        `Mean over ${S} seeds (solid) with the 95% interval (faded); the point at 0 pairs is the untrained transcoder.`,
      );
    }

    const conditions = TRANSCODER_ORDERS.flatMap((order) =>
      TRANSCODER_INITS.map((init, ii) => ({ id: `${init.id}+${order}`, order, ii })),
    );
    const table = (pick: (order: string, ii: number, m: Metric) => number[]) =>
      Object.fromEntries(
        METRICS.map((m) => [m, Object.fromEntries(conditions.map((c) => [c.id, pick(c.order, c.ii, m)]))]),
      );
    numbers.samples = samples;
    numbers.final = table((o, ii, m) => at(o, ii, m, last));
    numbers.untrained = table((o, ii, m) => at(o, ii, m, 0));
    numbers.curves = Object.fromEntries(
      METRICS.map((m) => [m, Object.fromEntries(conditions.map((c) => [c.id, perSeed(c.order, c.ii, m)]))]),
    );
    // Over the last 20% of training: relative for loss recovered and FVU, absolute for the dead fraction.
    const plateauChange = Object.fromEntries(
      METRICS.map((m) => [
        m,
        Object.fromEntries(
          conditions.map((c) => {
            const change = m === 'dead' ? absoluteChangeLast20 : relativeChangeLast20;
            return [c.id, change(samples, seedMeans(perSeed(c.order, c.ii, m)))];
          }),
        ),
      ]),
    );
    numbers.plateauChange = plateauChange;

    const setting = {
      sizes: `character model D = 128, block ${BLOCK + 1}'s MLP, TopK transcoder n = ${n}, k = ${k}, B = ${batchSize}, ${trainChars.toLocaleString('en-US')} training characters`,
      samplesSeen: samples[last],
      lr: `${sig(lr)} (2e-4 / sqrt(n / 2^14))`,
      seeds,
    };
    const [TIED, INDEPENDENT] = [0, 1];
    const reproduction: ReproductionRow[] = [
      {
        claim: 'Tied init leaves fewer dead latents than independent init, carried over to transcoders',
        source:
          'Gao et al. 2024 (arXiv:2406.04093), Sec. 2.2 and App. C.1 (shown for SAEs; for transcoders an open question)',
        published: 'shown for SAEs only; no transcoder number published',
        metric: `fraction of latents firing on none of ${heldOutChars.toLocaleString('en-US')} held-out characters (shuffled pairs)`,
        setting,
        ours: final('shuffled', TIED, 'dead'),
        comparison: final('shuffled', INDEPENDENT, 'dead'),
        comparisonLabel: 'independent init',
        baseline: untrained('shuffled', TIED, 'dead'),
        expect: { relation: 'less', than: 'comparison' },
        reason: `measured after ${samples[last].toLocaleString('en-US')} pairs: tied ${sigInterval(final('shuffled', TIED, 'dead'))}, independent ${sigInterval(final('shuffled', INDEPENDENT, 'dead'))}`,
      },
      {
        claim: 'Shuffled training pairs recover more loss than pairs in text order, for transcoders',
        source:
          "gensparse's seed specification (the shuffling buffer); SAELens and sparsify shuffle activations for the same reason",
        published: 'no number published: the claim is a direction',
        metric: `fraction of loss recovered against mean ablation, ${heldOutChars.toLocaleString('en-US')} held-out characters (tied init)`,
        setting,
        ours: final('shuffled', TIED, 'recovered'),
        comparison: final('text-order', TIED, 'recovered'),
        comparisonLabel: 'text order',
        baseline: untrained('shuffled', TIED, 'recovered'),
        expect: { relation: 'greater', than: 'comparison' },
        reason: `measured after ${samples[last].toLocaleString('en-US')} pairs: shuffled ${sigInterval(final('shuffled', TIED, 'recovered'))}, text order ${sigInterval(final('text-order', TIED, 'recovered'))}`,
      },
    ];

    const summary = [
      `TopK transcoders (n = ${n}, k = ${k}) on the MLP of the character model's block ${BLOCK + 1}, ${steps} steps of ` +
        `${batchSize} pairs (${samples[last].toLocaleString('en-US')} pairs seen) from ${trainChars.toLocaleString('en-US')} ` +
        `training characters, lr ${sig(lr)}, seeds ${seeds.join(', ')}; each order is one stack of tied and independent ` +
        `init on the same batches; held-out splice over ${heldOutChars.toLocaleString('en-US')} characters. Mean ` +
        '[95% interval] over seeds at the end, beside the untrained transcoder:',
      '',
      '| condition | loss recovered (mean ablation) | untrained | FVU of MLP output | untrained | dead fraction | untrained |',
      '|---|---|---|---|---|---|---|',
      ...conditions.map(
        (c) =>
          `| ${c.id} | ${sigInterval(final(c.order, c.ii, 'recovered'))} | ${sigInterval(untrained(c.order, c.ii, 'recovered'))} | ` +
          `${sigInterval(final(c.order, c.ii, 'fvu'))} | ${sigInterval(untrained(c.order, c.ii, 'fvu'))} | ` +
          `${sigInterval(final(c.order, c.ii, 'dead'))} | ${sigInterval(untrained(c.order, c.ii, 'dead'))} |`,
      ),
      '',
      `Relative change of the seed-mean loss recovered over the last 20% of training: ${conditions
        .map((c) => `${c.id} ${sig(plateauChange.recovered[c.id])}`)
        .join(', ')}.`,
    ].join('\n');
    return { summary, numbers, reproduction };
  },
};
