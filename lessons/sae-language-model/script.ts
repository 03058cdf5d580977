/**
 * Lesson 9 (Node): the page's experiment (experiment.ts: a TopK SAE, N = 512, k = 8, on the char
 * model's residual stream after block 1) trained with a splice evaluation every 50 steps; its
 * figures written as PNG; a dashboard and a steering example printed. Then what the page does not
 * train live: feature splitting across scales (TopK SAEs of width n, 2n, 4n on the same batches,
 * latents matched by decoder cosine, src/analysis/splitting.ts), the largest family printed as a
 * tree with each latent's top held-out contexts, and the serial correlation of the activation
 * stream (src/analysis/shuffling.ts), the reason SAE trainers shuffle.
 *
 *   npm run lesson -- sae-language-model [--quick]
 *
 * --quick trains 150 steps instead of 600 (the splitting SAEs the same).
 */
import * as path from 'node:path';
import { neighbourCosine } from '../../src/analysis/shuffling';
import { SPLIT_KINDS, bestParents, classifySplits } from '../../src/analysis/splitting';
import { writeChartPng } from '../../src/charts/node';
import { CHART_COLORS, type ChartSpec } from '../../src/charts/spec';
import { Rng } from '../../src/core/random';
import { CharLmActivations } from '../../src/data/lm/activations';
import { CharVocab } from '../../src/data/lm/vocab';
import { teeSource } from '../../src/data/source';
import { NODE_DATA, runExperiment, writeFigures, type LessonScriptOptions } from '../../src/lesson/node';
import { SaeTrainer, type TopKSae, createSae } from '../../src/sae';
import { type ContextExample, DashboardCollector } from '../../src/sae/eval/dashboards';
import { spliceEvaluate } from '../../src/sae/eval/splice';
import experiment, { LM, type LmRun, residualBlockSource } from './experiment';

/** Splitting: widths n, 2n, 4n, and the decoder-cosine threshold of a match (as experiments/splitting.ts). */
export const SPLITTING = { widths: [128, 256, 512], k: 8, tau: 0.5 } as const;

/** `left[x]right` with the activating character in brackets, newlines as '⏎'. */
function context(ex: ContextExample): string {
  const t = ex.text.replace(/\n/g, '⏎');
  return `${t.slice(0, ex.index)}[${t[ex.index]}]${t.slice(ex.index + 1)}`;
}

export default async function run(opts: LessonScriptOptions): Promise<Record<string, number>> {
  const steps = opts.quick ? 150 : 600;
  let live: LmRun | null = null;
  const capturing = {
    ...experiment,
    async create(ctx: Parameters<typeof experiment.create>[0]) {
      live = await experiment.create(ctx);
      await live.probes(); // step 0: the SAE as initialised
      return live;
    },
  };
  const result = await runExperiment(capturing, {
    settings: { seed: opts.seed },
    steps,
    log: opts.log,
    callbacks: [
      {
        async onLog() {
          const done = live?.step ?? 0;
          if (live && done % 50 === 0 && done < steps) await live.probes();
        },
      },
    ],
  });
  const r = result.run as LmRun;
  const out: Record<string, number> = { steps, nLatents: result.settings.nLatents, k: result.settings.k };
  try {
    await writeFigures(experiment, result, opts.outDir); // the last probe, at the final step
    const n = r.last;
    if (!n) throw new Error('sae-language-model: probes did not run');
    const s = n.splice;
    Object.assign(out, {
      cleanLoss: s.cleanLoss,
      splicedLoss: s.splicedLoss,
      zeroAblatedLoss: s.zeroAblatedLoss,
      meanAblatedLoss: s.meanAblatedLoss,
      lossRecovered: s.lossRecovered,
      lossRecoveredMeanAblation: s.lossRecoveredMeanAblation,
      klSpliced: s.klSpliced,
      heldOutFvu: s.fvu,
      heldOutL0: s.l0,
      deadFraction: s.deadFraction,
      initialLossRecovered: r.history[0].lossRecovered,
      initialSplicedLoss: r.history[0].splicedLoss,
      initialLossRecoveredMeanAblation: r.history[0].lossRecoveredMeanAblation,
      step50LossRecovered: r.history.find((p) => p.step === 50)?.lossRecovered ?? Number.NaN,
      minCosine: n.minCosine,
    });
    for (const o of n.opposing) {
      const t = String(-o.threshold).replace('.', '');
      out[`opposing${t}`] = o.trained;
      out[`opposingRandom${t}`] = o.random;
    }
    opts.log(
      `splice at step ${s.step} (${s.chars} held-out chars): clean ${s.cleanLoss.toFixed(3)}, spliced ${s.splicedLoss.toFixed(3)}, zero-ablated ${s.zeroAblatedLoss.toFixed(3)}, mean-ablated ${s.meanAblatedLoss.toFixed(3)} nats/char; recovered ${s.lossRecovered.toFixed(4)} (mean ablation ${s.lossRecoveredMeanAblation.toFixed(4)}); FVU ${s.fvu.toFixed(4)}, dead ${s.deadFraction.toFixed(3)}`,
    );
    opposingLog(n.opposing, n.minCosine, opts.log);

    // A dashboard and a steering example: the latent with the largest activation on the held-out text.
    const all = await r.dashboards();
    const best = all.reduce((a, b) => (b.maxActivation > a.maxActivation ? b : a));
    out.dashboardLatent = best.latent;
    out.dashboardDensity = best.density;
    opts.log(
      `latent #${best.latent}: density ${best.density.toFixed(4)}, max ${best.maxActivation.toFixed(2)}; top: ${best.top
        .slice(0, 4)
        .map(context)
        .join(' | ')}; promotes ${best.logitEffect.promoted.map((p) => JSON.stringify(p.char)).join(' ')}`,
    );
    const steer = await r.steer(best.latent, 1, 'the ship ', 1);
    let differ = 0;
    for (let i = 0; i < steer.plain.length; i++) if (steer.plain[i] !== steer.steered[i]) differ++;
    out.steerDifferingChars = differ;
    opts.log(`steer #${best.latent} (alpha ${steer.alpha.toFixed(2)}, seed 1): plain "${steer.plain}"`);
    opts.log(`                                   steered "${steer.steered}"`);
    const acts = await CharLmActivations.create(r.model, await NODE_DATA.charText!('heldOut'), {
      layer: LM.layer,
      maxTokens: LM.spliceChars,
    });
    const nc = neighbourCosine(acts.activations, acts.dim, 1, opts.seed);
    out.neighbourCosine = nc.neighbour;
    out.randomPairCosine = nc.random;
    opts.log(
      `consecutive activations: mean centred cosine ${nc.neighbour.toFixed(3)} (random pairs ${nc.random.toFixed(3)})`,
    );
  } finally {
    r.dispose();
  }
  Object.assign(out, await splitting(opts.seed, steps, opts.outDir, opts.log));
  return out;
}

function opposingLog(
  opposing: Array<{ threshold: number; trained: number; random: number }>,
  minCosine: number,
  log: (l: string) => void,
): void {
  log(
    `opposing directions (most negative cosine ${minCosine.toFixed(3)}): ${opposing
      .map((o) => `< ${o.threshold}: ${o.trained} (random ${o.random.toExponential(2)})`)
      .join(', ')}`,
  );
}

/**
 * Feature splitting: TopK SAEs of widths n, 2n, 4n trained on the same streamed batches; each
 * latent of a wider SAE matched to the narrower one's by decoder cosine (match / split / new);
 * the largest family as a tree with top held-out contexts; a bar chart of the fractions.
 */
export async function splitting(
  seed: number,
  steps: number,
  outDir: string,
  log: (l: string) => void,
): Promise<Record<string, number>> {
  const model = await NODE_DATA.charLm!();
  const vocab = new CharVocab();
  const trainTokens = vocab.encode(await NODE_DATA.charText!('train'));
  const heldOutTokens = vocab.encode(await NODE_DATA.charText!('heldOut'));
  const T = model.config.contextLength;
  const D = model.dModel;
  const rowsPerStep = LM.windowsPerStep * (T - LM.minContext);
  const rng = new Rng(seed + 7);
  // Every width reads the same batches: one model run per step, tee'd to the trainers.
  const stream = residualBlockSource(model, trainTokens, LM.windowsPerStep, rng);
  const streams = teeSource(stream, SPLITTING.widths.length);
  const saes: TopKSae[] = [];
  const trainers: SaeTrainer[] = [];
  const out: Record<string, number> = {};
  try {
    for (const [w, n] of SPLITTING.widths.entries()) {
      // A seed per width: with one seed, the first n decoder rows of every width would start identical.
      const sae = createSae({ architecture: 'topk', dIn: D, nLatents: n, k: SPLITTING.k, seed: seed * 16 + w + 1 });
      saes.push(sae);
      trainers.push(
        new SaeTrainer(sae, streams[w], {
          steps,
          batchSize: rowsPerStep,
          lr: LM.lr,
          normalizeInput: true,
          initSamples: LM.initWindows * (T - LM.minContext),
        }),
      );
    }
    await stream.fill(LM.initWindows * (T - LM.minContext));
    for (const t of trainers) await t.initialise();
    for (let i = 0; i < steps; i++) {
      await stream.fill(rowsPerStep);
      for (const t of trainers) {
        const res = await t.step();
        for (const v of Object.values(res)) if (typeof v !== 'number') v.dispose();
      }
    }
    // Top contexts of every latent of every width, on the held-out text.
    const collectors: DashboardCollector[] = [];
    for (const sae of saes) {
      const c = new DashboardCollector(sae.nLatents, vocab.decode(heldOutTokens), { topK: 3, left: 16, right: 3 });
      const res = await spliceEvaluate(model, sae, heldOutTokens, {
        layer: LM.layer,
        maxChars: LM.spliceChars,
        onBatch: (b) => c.add(b),
      });
      collectors.push(c);
      out[`splitFvu${sae.nLatents}`] = res.reconstruction.fvu;
    }
    const decoders = await Promise.all(
      saes.map(async (s) => ({ rows: (await s.wDecND.data()) as Float32Array, n: s.nLatents })),
    );
    const links = decoders
      .slice(1)
      .map((child, l) => classifySplits(bestParents(child, decoders[l], D), SPLITTING.tau));
    links.forEach((link, l) => {
      const [a, b] = [SPLITTING.widths[l], SPLITTING.widths[l + 1]];
      for (const kind of SPLIT_KINDS) out[`${kind}${a}to${b}`] = link.fractions[kind];
      log(
        `n = ${a} -> ${b}: match ${link.fractions.match.toFixed(3)}, split ${link.fractions.split.toFixed(3)}, new ${link.fractions.new.toFixed(3)}`,
      );
    });
    // The largest family: the narrowest latent with the most descendants over both links.
    const descendants = (level: number, i: number): number =>
      level >= links.length
        ? 0
        : (links[level].childrenOf.get(i) ?? []).reduce((s, c) => s + 1 + descendants(level + 1, c), 0);
    let root = 0;
    for (let i = 1; i < SPLITTING.widths[0]; i++) if (descendants(0, i) > descendants(0, root)) root = i;
    out.familyRoot = root;
    out.familySize = 1 + descendants(0, root);
    const top = (level: number, i: number) =>
      collectors[level]
        .dashboards(null, [i])[0]
        .top.map((e) => `"${context(e)}"`)
        .join(' ');
    const walk = (level: number, i: number, indent: string, cos: number | null): void => {
      const kind = level === 0 ? '' : ` ${links[level - 1].kind[i]}, cos ${cos?.toFixed(2)}`;
      log(`${indent}n=${SPLITTING.widths[level]} #${i}${kind}: ${top(level, i)}`);
      if (level >= links.length) return;
      const parents = bestParents(decoders[level + 1], decoders[level], D);
      for (const c of links[level].childrenOf.get(i) ?? []) walk(level + 1, c, `${indent}  `, parents.cosine[c]);
    };
    log(`the largest family (${out.familySize} latents):`);
    walk(0, root, '  ', null);
    const chart: ChartSpec = {
      title: `Latents of the wider SAE against the narrower (decoder cosine ≥ ${SPLITTING.tau})`,
      kind: 'bar',
      x: { title: 'widths', categories: links.map((_, l) => `${SPLITTING.widths[l]} → ${SPLITTING.widths[l + 1]}`) },
      y: { title: 'fraction of the wider SAE’s latents', min: 0, max: 1 },
      series: SPLIT_KINDS.map((kind, j) => ({
        name: kind,
        kind: 'bar' as const,
        color: CHART_COLORS[j],
        points: links.map((link, l) => [l, link.fractions[kind]] as [number, number]),
      })),
    };
    writeChartPng(path.join(outDir, 'splitting.png'), chart);
  } finally {
    for (const t of trainers) t.dispose();
    for (const s of saes) s.dispose();
    model.dispose();
  }
  return out;
}
