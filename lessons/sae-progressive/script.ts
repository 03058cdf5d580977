/**
 * Lesson 7 (Node): the page's experiment (experiment.ts) with its default settings (k = 4),
 * trained for its full run, then its probes written as PNG and its numbers returned.
 *
 *   npm run lesson -- sae-progressive [--quick]
 *
 * Writes into outDir: curves.png (training FVU), frontier.png (Multi-TopK read at k' = 1..16
 * against TopK SAEs trained at k = 2, 4, 8), nextActivation.png (a(k+1) / a(k) at k' = 4),
 * batchTopk.png (BatchTopK's held-out L0 under the batch rule and the two thresholds).
 * --quick trains 300 steps instead of 600.
 */
import { runExperiment, writeFigures, type LessonScriptOptions } from '../../src/lesson/node';
import experiment, { type ProgressiveRun } from './experiment';

export default async function run(opts: LessonScriptOptions): Promise<Record<string, number>> {
  const steps = opts.quick ? 300 : 600;
  const result = await runExperiment(experiment, { settings: { seed: opts.seed }, steps, log: opts.log });
  const run = result.run as ProgressiveRun;
  try {
    await writeFigures(experiment, result, opts.outDir);
    const n = run.last;
    if (!n) throw new Error('sae-progressive: probes did not run');
    const k = result.settings.k;
    const ratios = Array.from(n.ratios).sort((a, b) => a - b);
    const median = ratios[Math.floor(ratios.length / 2)];
    const aboveTenth = ratios.filter((r) => r > 0.1).length / ratios.length;
    const out: Record<string, number> = { steps, k };
    n.fixedK.forEach((kf, i) => {
      out[`fixedFvuK${kf}`] = n.fixedFvu[i];
      out[`multiFvuK${kf}`] = n.multiAtFixed[i];
      out[`multiOverFixedK${kf}`] = n.multiAtFixed[i] / n.fixedFvu[i];
      opts.log(
        `k' = ${kf}: Multi-TopK FVU ${n.multiAtFixed[i].toFixed(4)}, TopK trained at ${kf}: ${n.fixedFvu[i].toFixed(4)} (ratio ${(n.multiAtFixed[i] / n.fixedFvu[i]).toFixed(3)})`,
      );
    });
    out.plainFvuAt4k = n.plainFvu[4 * k - 1];
    out.multiFvuAt4k = n.multiFvu[4 * k - 1];
    out.plainFvuAt1 = n.plainFvu[0];
    out.multiFvuAt1 = n.multiFvu[0];
    out.nextRatioMedian = median;
    out.nextRatioAboveTenth = aboveTenth;
    out.batchRuleL0 = n.batch.l0;
    out.batchRuleFvu = n.batch.fvu;
    out.globalThresholdL0 = n.global.l0;
    out.globalThresholdFvu = n.global.fvu;
    out.perLatentL0 = n.perLatent.l0;
    out.perLatentFvu = n.perLatent.fvu;
    out.globalThreshold = n.globalThreshold;
    opts.log(
      `TopK (k = ${k}) read at 4k: FVU ${out.plainFvuAt4k.toFixed(4)}; Multi-TopK at 4k: ${out.multiFvuAt4k.toFixed(4)}`,
    );
    opts.log(`a(k+1)/a(k): median ${median.toFixed(3)}, above 0.1 on ${(100 * aboveTenth).toFixed(1)}% of inputs`);
    opts.log(
      `BatchTopK L0 (k = ${k}): batch rule ${n.batch.l0.toFixed(2)}, global threshold ${n.global.l0.toFixed(2)}, per-latent ${n.perLatent.l0.toFixed(2)}; FVU ${n.batch.fvu.toFixed(4)} / ${n.global.fvu.toFixed(4)} / ${n.perLatent.fvu.toFixed(4)}`,
    );
    return out;
  } finally {
    run.dispose();
  }
}
