/**
 * shuffling: the same training tokens in text order (neighbouring characters correlated)
 * and through the shuffling buffer (src/data/buffer.ts), each with its own best learning
 * rate and batch size from a small grid. Held-out FVU is read at fixed token counts; the
 * efficiency loss is the ratio of tokens each order's best run needs to reach a target FVU
 * (src/analysis/shuffling.ts), and the final FVUs say whether the ordered run ends in the same place.
 */
import { neighbourCosine, tokensToReach } from '../src/analysis/shuffling';
import { ActivationBuffer, ArraySource } from '../src/data';
import { TopKSae } from '../src/sae';
import { charResiduals, evaluateOn, sig, trainWithProgress } from './common';
import type { Study } from './study';

export const SHUFFLING_ORDERS = ['sequential', 'shuffled'] as const;
type Order = (typeof SHUFFLING_ORDERS)[number];

interface Run {
  order: Order;
  lr: number;
  batchSize: number;
  curve: Array<[number, number]>;
  final: number;
}

export const shuffling: Study = {
  name: 'shuffling',
  title: 'Shuffled against sequential activations',
  question:
    'How many more tokens does an SAE need when neighbouring (correlated) activations arrive in text order instead ' +
    'of through a shuffling buffer, each with its learning rate and batch size tuned, and does it end in the same place?',
  async run(ctx) {
    const q = ctx.quick;
    const n = q ? 64 : 256;
    const k = 8;
    const lrs = q ? [2e-3] : [1e-3, 3e-3];
    const batchSizes = q ? [32, 64] : [32, 128];
    const budget = q ? 1024 : 16384;
    const evaluations = q ? 4 : 8;
    const capacity = q ? 256 : 4096;
    const train = await charResiduals('train', q ? 1024 : 8192);
    const heldOut = await charResiduals('heldOut', q ? 512 : 1024);
    const D = train.dim;
    const correlation = neighbourCosine(train.activations, D, 1, ctx.seed);

    const runs: Run[] = [];
    for (const order of SHUFFLING_ORDERS) {
      for (const lr of lrs) {
        for (const batchSize of batchSizes) {
          const steps = budget / batchSize;
          const logEvery = Math.max(1, Math.round(steps / evaluations));
          const inOrder = new ArraySource(train.activations, D);
          const source =
            order === 'sequential'
              ? inOrder
              : new ActivationBuffer({ source: inOrder, capacity, shuffle: true, seed: ctx.seed });
          const sae = new TopKSae({ architecture: 'topk', dIn: D, nLatents: n, k, seed: ctx.seed });
          const curve: Array<[number, number]> = [];
          try {
            await trainWithProgress(ctx, `${order} lr=${lr} B=${batchSize}`, sae, source, {
              steps,
              batchSize,
              lr,
              logEvery,
              deadWindow: 25 * batchSize,
              normalizeInput: true,
              // b_dec and the input scale from a sample of the same stream (for the ordered run: its first rows).
              initSamples: Math.min(1024, budget),
              callbacks: {
                onLog: async (step) => {
                  curve.push([(step + 1) * batchSize, (await evaluateOn(sae, heldOut.activations)).fvu]);
                },
              },
            });
          } finally {
            sae.dispose();
          }
          runs.push({ order, lr, batchSize, curve, final: curve[curve.length - 1][1] });
        }
      }
    }

    const best = Object.fromEntries(
      SHUFFLING_ORDERS.map((o) => [o, runs.filter((r) => r.order === o).reduce((a, b) => (b.final < a.final ? b : a))]),
    ) as Record<Order, Run>;
    // Target: 5% above the worse of the two tuned finals, so both can reach it.
    const target = 1.05 * Math.max(best.sequential.final, best.shuffled.final);
    const reach = Object.fromEntries(SHUFFLING_ORDERS.map((o) => [o, tokensToReach(best[o].curve, target)])) as Record<
      Order,
      number | null
    >;
    const efficiency = reach.sequential !== null && reach.shuffled !== null ? reach.sequential / reach.shuffled : null;

    ctx.figure(
      'heldout-fvu.png',
      {
        title: 'Held-out FVU against training tokens',
        kind: 'line',
        x: { title: 'training tokens (activations seen)' },
        y: { title: 'held-out fraction of variance unexplained', log: true },
        series: [
          ...runs.map((r) => ({
            name: `${r.order} lr=${r.lr} B=${r.batchSize}`,
            points: r.curve,
            ghost: r !== best[r.order],
            color: r.order === 'sequential' ? '#D55E00' : '#0072B2',
          })),
          {
            name: `target ${sig(target)}`,
            points: [
              [0, target],
              [budget, target],
            ] as Array<[number, number]>,
            dashed: true,
            color: '#000000',
          },
        ],
      },
      'Bold: each order with its best learning rate and batch size; faded: the other settings of the grid. Dashed: the target FVU.',
    );

    const numbers = {
      nLatents: n,
      k,
      budgetTokens: budget,
      bufferCapacity: capacity,
      lrs,
      batchSizes,
      neighbourCosine: correlation.neighbour,
      randomPairCosine: correlation.random,
      finalFvu: Object.fromEntries(
        SHUFFLING_ORDERS.map((o) => [o, runs.filter((r) => r.order === o).map((r) => r.final)]),
      ),
      best: Object.fromEntries(
        SHUFFLING_ORDERS.map((o) => [o, { lr: best[o].lr, batchSize: best[o].batchSize, finalFvu: best[o].final }]),
      ),
      targetFvu: target,
      reached: Object.fromEntries(SHUFFLING_ORDERS.map((o) => [o, reach[o] === null ? 0 : 1])),
      tokensToTarget: Object.fromEntries(SHUFFLING_ORDERS.map((o) => [o, reach[o] ?? budget])),
      ...(efficiency === null ? {} : { tokenRatio: efficiency }),
    };
    const runRows = runs.map((r) => `| ${r.order} | ${r.lr} | ${r.batchSize} | ${sig(r.final)} |`);
    const reachText = (o: Order) =>
      reach[o] === null ? `not within ${budget} tokens` : `${Math.round(reach[o]!)} tokens`;
    const summary = [
      `TopK SAEs (n = ${n}, k = ${k}) on the character model's residual stream (D = ${D}), ${budget} training tokens each, ` +
        `in text order or through a shuffling buffer of ${capacity}. Consecutive activations have mean centred cosine ` +
        `${sig(correlation.neighbour)} (random pairs: ${sig(correlation.random)}).`,
      '',
      '| order | lr | batch | final held-out FVU |',
      '|---|---|---|---|',
      ...runRows,
      '',
      `Tuned: sequential lr ${best.sequential.lr}, B ${best.sequential.batchSize} (final FVU ${sig(best.sequential.final)}); ` +
        `shuffled lr ${best.shuffled.lr}, B ${best.shuffled.batchSize} (final FVU ${sig(best.shuffled.final)}). ` +
        `To reach FVU ${sig(target)}: sequential ${reachText('sequential')}, shuffled ${reachText('shuffled')}` +
        (efficiency === null ? '.' : ` (the ordered stream needs ${sig(efficiency)}x the tokens).`) +
        ` The ordered run ends ${sig((best.sequential.final / best.shuffled.final - 1) * 100, 2)}% ` +
        `${best.sequential.final >= best.shuffled.final ? 'above' : 'below'} the shuffled one.`,
    ].join('\n');
    return { summary, numbers };
  },
};
