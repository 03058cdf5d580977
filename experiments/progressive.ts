/**
 * progressive: what does training once cost? A Multi-TopK SAE (L = FVU(k) + FVU(4k)/8, Gao et
 * al. 2024 Sec. 5.3) read at k/4 ... 4k, against one TopK SAE trained for each of those k, and
 * against a plain TopK SAE (trained at k) read at the same k'. Plus the distribution of the
 * (k+1)-th activation over the k-th (src/analysis/progressive.ts).
 */
import { fvuAtK, progressiveRatios } from '../src/analysis/progressive';
import { histogramPoints } from '../src/charts';
import { TopKSae } from '../src/sae';
import { charResiduals, mean, shuffledRows, sig, trainWithProgress } from './common';
import type { Study } from './study';

export const progressive: Study = {
  name: 'progressive',
  title: 'Progressive codes: Multi-TopK read at any k',
  question:
    'How much reconstruction does one Multi-TopK SAE read at k/4 ... 4k give up against SAEs trained for each k, ' +
    'and how large is the (k+1)-th activation relative to the k-th?',
  async run(ctx) {
    const q = ctx.quick;
    const n = q ? 64 : 512;
    const k = q ? 4 : 16;
    const reads = [k / 4, k / 2, k, 2 * k, 4 * k];
    const steps = q ? 10 : 150;
    const batchSize = q ? 64 : 128;
    const train = await charResiduals('train', q ? 1024 : 8192);
    const heldOut = await charResiduals('heldOut', q ? 512 : 2048);
    const D = train.dim;
    const trainConfig = {
      steps,
      batchSize,
      lr: 2e-3,
      deadWindow: 25 * batchSize,
      normalizeInput: true,
      initSamples: Math.min(2048, train.length),
    };
    const trainTopK = async (label: string, kTrain: number, multiTopK: boolean) => {
      const sae = new TopKSae({ architecture: 'topk', dIn: D, nLatents: n, k: kTrain, multiTopK, seed: ctx.seed });
      await trainWithProgress(ctx, label, sae, shuffledRows(train.activations, D, ctx.seed), trainConfig);
      return sae;
    };

    const multi = await trainTopK(`multi-topk k=${k}`, k, true);
    const plain = await trainTopK(`topk k=${k}`, k, false);
    try {
      const multiFvu: number[] = [];
      const plainFvu: number[] = [];
      const dedicatedFvu: number[] = [];
      for (const kr of reads) {
        multiFvu.push(await fvuAtK(multi, heldOut.activations, kr));
        plainFvu.push(await fvuAtK(plain, heldOut.activations, kr));
        if (kr === k) dedicatedFvu.push(plainFvu[plainFvu.length - 1]);
        else {
          const own = await trainTopK(`topk k=${kr}`, kr, false);
          dedicatedFvu.push(await fvuAtK(own, heldOut.activations, kr));
          own.dispose();
        }
      }
      const multiRatios = await progressiveRatios(multi, heldOut.activations, k);
      const plainRatios = await progressiveRatios(plain, heldOut.activations, k);
      const quantile = (v: Float64Array, p: number) => {
        const s = Array.from(v).sort((a, b) => a - b);
        return s[Math.min(s.length - 1, Math.floor(p * s.length))];
      };

      ctx.figure(
        'fvu-vs-k.png',
        {
          title: `Held-out FVU read at k' (trained at k = ${k}, n = ${n})`,
          kind: 'line',
          x: { title: "k' (active latents at inference)", log: true },
          y: { title: 'fraction of variance unexplained', log: true },
          series: [
            { name: `Multi-TopK (trained once at k = ${k})`, points: reads.map((kr, i) => [kr, multiFvu[i]]) },
            { name: `TopK trained at k = ${k}`, points: reads.map((kr, i) => [kr, plainFvu[i]]) },
            { name: "TopK trained at each k'", points: reads.map((kr, i) => [kr, dedicatedFvu[i]]), dashed: true },
          ],
        },
        "The dashed curve is the cost of training one SAE per k'; the gap above it is what reading a single SAE at another k costs.",
      );
      ctx.figure(
        'next-activation-ratio.png',
        {
          title: `(k+1)-th activation over the k-th (k = ${k}), held-out inputs`,
          kind: 'histogram',
          x: { title: 'a_(k+1) / a_(k)' },
          y: { title: 'inputs' },
          series: [
            { name: 'Multi-TopK', points: histogramPoints(multiRatios, 25, [0, 1]) },
            { name: 'TopK', points: histogramPoints(plainRatios, 25, [0, 1]) },
          ],
        },
        'Mass near 1: the cut at k falls inside a run of similar activations; near 0: the k-th latent is the last that matters.',
      );

      const numbers = {
        nLatents: n,
        k,
        reads,
        steps,
        batchSize,
        multiTopKFvu: multiFvu,
        topkFvu: plainFvu,
        dedicatedFvu,
        multiTopKCostRatio: multiFvu.map((f, i) => f / dedicatedFvu[i]),
        topkCostRatio: plainFvu.map((f, i) => f / dedicatedFvu[i]),
        nextRatio: {
          multiTopKMean: mean(multiRatios),
          multiTopKMedian: quantile(multiRatios, 0.5),
          topkMean: mean(plainRatios),
          topkMedian: quantile(plainRatios, 0.5),
        },
      };
      const rows = reads.map(
        (kr, i) =>
          `| ${kr} | ${sig(multiFvu[i])} | ${sig(plainFvu[i])} | ${sig(dedicatedFvu[i])} | ${sig(numbers.multiTopKCostRatio[i])} |`,
      );
      const summary = [
        `SAEs with n = ${n} latents on the character model's residual stream (D = ${D}), ${steps} steps of ${batchSize} each. ` +
          `Held-out FVU when read at k' (${heldOut.length} held-out characters):`,
        '',
        `| k' | Multi-TopK (k = ${k}) | TopK (k = ${k}) | TopK trained at k' | Multi-TopK / dedicated |`,
        '|---|---|---|---|---|',
        ...rows,
        '',
        `Reading the Multi-TopK SAE at 4k gives FVU ${sig(multiFvu[4])} against ${sig(dedicatedFvu[4])} for an SAE trained ` +
          `at 4k and ${sig(plainFvu[4])} for the plain TopK SAE read there; at k/4 it gives ${sig(multiFvu[0])} against ` +
          `${sig(dedicatedFvu[0])} (dedicated) and ${sig(plainFvu[0])} (plain TopK).`,
        '',
        `The (k+1)-th activation is on average ${sig(numbers.nextRatio.multiTopKMean)} of the k-th for Multi-TopK ` +
          `(median ${sig(numbers.nextRatio.multiTopKMedian)}) and ${sig(numbers.nextRatio.topkMean)} for TopK ` +
          `(median ${sig(numbers.nextRatio.topkMedian)}).`,
      ].join('\n');
      return { summary, numbers };
    } finally {
      multi.dispose();
      plain.dispose();
    }
  },
};
