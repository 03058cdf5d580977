/**
 * splitting (and stitching): TopK SAEs of width n, 2n, 4n, 8n on the same data; each latent of
 * a wider SAE matched to the next narrower one by decoder cosine and classified as a match, a
 * split or new (src/analysis/splitting.ts); the fractions per width and a few families as trees.
 * Then a stitched dictionary assembled from all widths is scored against each single-width SAE
 * on the known-truth benchmark (F1 and MCC from src/sae/eval/truth.ts) at the same k.
 */
import * as tf from '@tensorflow/tfjs';
import { SPLIT_KINDS, bestParents, classifySplits, stitch, type Decoder } from '../src/analysis/splitting';
import { SynthBench } from '../src/data/synth-bench';
import type { ActivationSource } from '../src/data/source';
import { TopKSae } from '../src/sae';
import { decoderDirections } from '../src/sae/eval/latent-rows';
import { type KnownTruthMetrics, evaluateKnownTruth } from '../src/sae/eval/truth';
import { charResiduals, shuffledRows, sig, trainWithProgress } from './common';
import type { Study, StudyContext } from './study';

const TAU = 0.5; // match threshold on decoder cosine
const DISTINCT = 0.5; // children whose pairwise cosines are all below this replace their parent

/** Trains one TopK SAE per width on `source()`. */
async function trainWidths(
  ctx: StudyContext,
  label: string,
  D: number,
  widths: number[],
  k: number,
  source: () => ActivationSource,
) {
  const q = ctx.quick;
  const saes: TopKSae[] = [];
  for (const [w, n] of widths.entries()) {
    // A seed per width: with one seed, the first n decoder rows of every width would start identical.
    const sae = new TopKSae({ architecture: 'topk', dIn: D, nLatents: n, k, seed: ctx.seed * 16 + w + 1 });
    saes.push(sae);
    await trainWithProgress(ctx, `${label} n=${n}`, sae, source(), {
      steps: q ? 8 : 400,
      batchSize: q ? 64 : 128,
      lr: 2e-3,
      deadWindow: 20 * (q ? 64 : 128),
      normalizeInput: true,
      initSamples: q ? 512 : 2048,
    });
  }
  return saes;
}

/** The stitched dictionary as a TopK SAE: the chosen latents' encoder columns, biases and decoder rows. */
async function stitchedSae(
  saes: TopKSae[],
  chosen: Array<{ level: number; index: number }>,
  k: number,
): Promise<TopKSae> {
  const D = saes[0].dIn;
  const weights = saes.map((s) => s.foldedWeights());
  const enc = await Promise.all(weights.map((w) => w.W_enc.data()));
  const bEnc = await Promise.all(weights.map((w) => w.b_enc.data()));
  const dec = await Promise.all(weights.map((w) => w.W_dec.data()));
  const M = chosen.length;
  const wEnc = new Float32Array(D * M);
  const wDec = new Float32Array(M * D);
  const b = new Float32Array(M);
  chosen.forEach(({ level, index }, m) => {
    const n = saes[level].nLatents;
    for (let c = 0; c < D; c++) {
      wEnc[c * M + m] = enc[level][c * n + index];
      wDec[m * D + c] = dec[level][index * D + c];
    }
    b[m] = bEnc[level][index];
  });
  const out = new TopKSae({ architecture: 'topk', dIn: D, nLatents: M, k: Math.min(k, M) });
  const loaded = {
    W_enc: tf.tensor2d(wEnc, [D, M]),
    b_enc: tf.tensor1d(b),
    W_dec: tf.tensor2d(wDec, [M, D]),
    // The widest SAE's decoder bias (every width started from the geometric median of the same data).
    b_dec: weights[weights.length - 1].b_dec.clone(),
  };
  out.loadWeights(loaded);
  tf.dispose([...Object.values(loaded), ...weights.flatMap((w) => Object.values(w))]);
  return out;
}

/** Split fractions of each wider SAE against the next narrower one, and a few families as markdown trees. */
async function splitAnalysis(saes: TopKSae[], D: number, treeCount: number) {
  const decoders: Decoder[] = [];
  for (const s of saes) decoders.push({ rows: await decoderDirections(s), n: s.nLatents });
  const links = decoders.slice(1).map((d, l) => {
    const match = bestParents(d, decoders[l], D);
    return { match, ...classifySplits(match, TAU) };
  });
  const fractions = links.map((l) => l.fractions);
  // Families: roots of the narrowest SAE with the most descendants, drawn down every width.
  const subtree = (level: number, index: number, depth: number): string[] => {
    const kids = level < links.length ? (links[level].childrenOf.get(index) ?? []) : [];
    return kids.flatMap((c) => [
      `${'  '.repeat(depth)}- n=${decoders[level + 1].n} #${c} (cos ${sig(links[level].match.cosine[c], 2)}, ${links[level].kind[c]})`,
      ...subtree(level + 1, c, depth + 1),
    ]);
  };
  const roots = Array.from({ length: decoders[0].n }, (_, i) => i)
    .map((i) => ({ i, lines: subtree(0, i, 1) }))
    .sort((a, b) => b.lines.length - a.lines.length)
    .slice(0, treeCount);
  const trees = roots.map((r) => [`- n=${decoders[0].n} #${r.i}`, ...r.lines].join('\n'));
  return { decoders, fractions, trees };
}

export const splitting: Study = {
  name: 'splitting',
  title: 'Feature splitting across widths, and stitching',
  question:
    'When an SAE is made wider, which of its latents match, split or are new against the narrower one, and does a ' +
    'dictionary stitched from several widths recover the known features better than any single width?',
  async run(ctx) {
    const q = ctx.quick;
    const base = q ? 16 : 32;
    const widths = [base, 2 * base, 4 * base, 8 * base];
    const k = q ? 4 : 8;

    const bench = new SynthBench({
      seed: ctx.seed,
      ...(q ? { numFeatures: 256, dim: 32, hierarchy: { roots: 8, branching: 3, depth: 2 } } : {}),
    });
    const synthSaes = await trainWidths(ctx, 'synth', bench.dim, widths, k, () => bench);
    const train = await charResiduals('train', q ? 1024 : 8192);
    const charSaes = await trainWidths(ctx, 'char', train.dim, widths, k, () =>
      shuffledRows(train.activations, train.dim, ctx.seed),
    );
    try {
      const synth = await splitAnalysis(synthSaes, bench.dim, 3);
      const char = await splitAnalysis(charSaes, train.dim, 3);

      // Stitching on the known-truth benchmark, every dictionary read at the same k.
      const chosen = stitch(synth.decoders, bench.dim, TAU, DISTINCT);
      const stitched = await stitchedSae(synthSaes, chosen, k);
      const samples = q ? 1024 : 4096;
      const single: KnownTruthMetrics[] = [];
      for (const s of synthSaes) single.push(await evaluateKnownTruth(s, bench, { samples }));
      const stitchedMetrics = await evaluateKnownTruth(stitched, bench, { samples });
      stitched.dispose();
      const fromLevel = widths.map((_, l) => chosen.filter((c) => c.level === l).length);

      const bars = (fr: Array<Record<string, number>>) =>
        SPLIT_KINDS.map((kind) => ({ name: kind, points: fr.map((f, i) => [i, f[kind]] as [number, number]) }));
      const categories = widths.slice(1).map((n, i) => `${widths[i]} -> ${n}`);
      ctx.figure(
        'split-fractions-synth.png',
        {
          title: `Latents of each wider SAE against the narrower one (known truth, ${bench.numFeatures} features)`,
          kind: 'bar',
          x: { title: 'width step', categories },
          y: { title: "fraction of the wider SAE's latents", min: 0, max: 1 },
          series: bars(synth.fractions),
        },
        `Match: its best narrower latent has decoder cosine >= ${TAU} and no other wide latent claims it; split: several do; new: cosine < ${TAU}.`,
      );
      ctx.figure(
        'split-fractions-char.png',
        {
          title: 'Latents of each wider SAE against the narrower one (character model)',
          kind: 'bar',
          x: { title: 'width step', categories },
          y: { title: "fraction of the wider SAE's latents", min: 0, max: 1 },
          series: bars(char.fractions),
        },
        'The same classification on the residual stream of the character model.',
      );
      ctx.figure(
        'stitching-f1.png',
        {
          title: `F1 against the true features at k = ${k}`,
          kind: 'bar',
          x: { title: 'dictionary', categories: [...widths.map((n) => `n = ${n}`), `stitched (${chosen.length})`] },
          y: { title: 'F1 (latent firing vs its best true feature)', min: 0 },
          series: [
            {
              name: 'F1',
              points: [...single.map((m) => m.f1), stitchedMetrics.f1].map((v, i) => [i, v] as [number, number]),
            },
            {
              name: 'MCC',
              points: [...single.map((m) => m.mcc), stitchedMetrics.mcc].map((v, i) => [i, v] as [number, number]),
            },
          ],
        },
        'Every dictionary is read with TopK at the same k, so L0 is matched.',
      );

      const metricsOf = (m: (typeof single)[number]) => ({
        f1: m.f1,
        mcc: m.mcc,
        explainedVariance: m.explainedVariance,
        l0: m.saeL0,
      });
      const numbers = {
        widths,
        k,
        tau: TAU,
        distinctCos: DISTINCT,
        synthFractions: synth.fractions.map((f) => ({ ...f })),
        charFractions: char.fractions.map((f) => ({ ...f })),
        stitchedSize: chosen.length,
        stitchedFromWidth: fromLevel,
        single: single.map(metricsOf),
        stitched: metricsOf(stitchedMetrics),
      };
      const fracRows = (fr: Array<Record<string, number>>) =>
        fr.map((f, i) => `| ${categories[i]} | ${sig(f.match)} | ${sig(f.split)} | ${sig(f.new)} |`);
      const bestSingle = single.reduce((a, b, i) => (b.f1 > single[a].f1 ? i : a), 0);
      const summary = [
        `TopK SAEs (k = ${k}) of widths ${widths.join(', ')}, ${q ? 8 : 400} steps each, on the known-truth benchmark ` +
          `(${bench.numFeatures} features in d = ${bench.dim}) and on the character model's residual stream. ` +
          `Each latent of a wider SAE against the next narrower one (decoder cosine, threshold ${TAU}):`,
        '',
        '| known truth | match | split | new |',
        '|---|---|---|---|',
        ...fracRows(synth.fractions),
        '',
        '| character model | match | split | new |',
        '|---|---|---|---|',
        ...fracRows(char.fractions),
        '',
        'Bussmann & Leask report ~65% match or split and ~35% new in a larger SAE.',
        '',
        'Largest families (known truth), from the narrowest SAE down:',
        '',
        ...synth.trees,
        '',
        'Largest families (character model):',
        '',
        ...char.trees,
        '',
        `**Stitching**: ${chosen.length} latents (${fromLevel.map((c, l) => `${c} from n = ${widths[l]}`).join(', ')}). ` +
          `F1 / MCC at k = ${k}: ${single.map((m, i) => `n = ${widths[i]}: ${sig(m.f1)} / ${sig(m.mcc)}`).join('; ')}; ` +
          `stitched: ${sig(stitchedMetrics.f1)} / ${sig(stitchedMetrics.mcc)}. The best single width by F1 is n = ${widths[bestSingle]}` +
          (stitchedMetrics.f1 > single[bestSingle].f1
            ? '; the stitched dictionary beats it.'
            : '; the stitched dictionary does not beat it.'),
      ].join('\n');
      return { summary, numbers };
    } finally {
      for (const s of [...synthSaes, ...charSaes]) s.dispose();
    }
  },
};
