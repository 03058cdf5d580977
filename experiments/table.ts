/**
 * The README's table of experiments: one row per experiment with its headline numbers, the
 * command of its committed full run and the wall time, read from experiments/reports/<name>/report.json.
 * `npm run experiment -- --table` prints it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ReproductionRow, reproductionMarkdown } from '../src/analysis/reproduction';
import { sig } from './common';
import { STUDIES } from './index';
import { type StudyReport, readReport } from './report';

// biome-ignore lint/suspicious/noExplicitAny: report numbers are a free-form tree, read by name here
type N = Record<string, any>;

/** One sentence of headline numbers per experiment, from its report's numbers. */
const HEADLINES: Record<string, (n: N) => string> = {
  frontier: (n) => {
    const fam = ['ReLU+L1', 'JumpReLU', 'TopK', 'BatchTopK', 'Matryoshka', 'Multi-TopK'];
    const best = (d: N) => d.score.reduce((b: number, v: number, i: number) => (v > d.score[b] ? i : b), 0);
    const t = best(n.truth);
    const c = best(n.char);
    return (
      `best F1 ${sig(n.truth.score[t])} (${fam[n.truth.family[t]]}, L0 ${sig(n.truth.l0[t])}); most loss recovered ` +
      `${sig(n.char.score[c])} (${fam[n.char.family[c]]}, L0 ${sig(n.char.l0[c])}); FVU-optimal runs also F1-optimal: ` +
      `${sig(100 * n.truth.frontAgreement, 2)}%`
    );
  },
  'dead-latents': (n) => {
    const w = n.widths.length - 1;
    return `dead at the end, n = ${n.widths[w]}: ${Object.entries(n.finalDeadFractionMean as Record<string, number[]>)
      .map(([id, v]) => `${id} ${sig(v[w])}`)
      .join(', ')}`;
  },
  'opposing-directions': (n) =>
    `${n.trainedCount[0]} / ${n.trainedCount[1]} of ${n.nLatents} latents below -0.9 / -0.7 (random: ` +
    `${sig(n.randomExpectedCount[0])} / ${sig(n.randomExpectedCount[1])} expected); ${n.big.nLatents} latents in blocks: ${sig(n.big.seconds)} s`,
  shuffling: (n) => {
    const mean = (v: number[]) => sig(v.reduce((t, x) => t + x, 0) / v.length);
    return (
      `neighbour cosine ${sig(n.neighbourCosine)}; tokens to FVU ${sig(n.targetFvu)}, sequential / shuffled: ` +
      `${mean(n.tokenRatio)} (mean over ${n.seeds.length} seeds); final FVU ${mean(n.finalFvu.sequential)} vs ${mean(n.finalFvu.shuffled)}`
    );
  },
  splitting: (n) => {
    const last = n.synth.final.length - 1;
    const share = (fs: N[]) => sig(fs.reduce((t: number, f: N) => t + f.match + f.split, 0) / fs.length);
    return (
      `match + split, known truth ${n.synth.widths[last]} -> ${n.synth.widths[last + 1]}: ${share(n.synth.final[last])} ` +
      `(untrained ${share(n.synth.untrained[last])}); character model: ${share(n.char.final[last])} ` +
      `(untrained ${share(n.char.untrained[last])}); means over ${n.synth.seeds.length} seeds`
    );
  },
  progressive: (n) =>
    `Multi-TopK read at 4k: FVU ${sig(n.multiTopKFvu[4])} (trained at 4k: ${sig(n.dedicatedFvu[4])}, TopK read there: ` +
    `${sig(n.topkFvu[4])}); at k/4: ${sig(n.multiTopKFvu[0])} (${sig(n.dedicatedFvu[0])}); a(k+1)/a(k) median ${sig(n.nextRatio.multiTopKMedian)}`,
  absorption: (n) => {
    const at = (d: N) => {
      const ki = 0;
      const mean = (v: number[]) => sig(v.reduce((t, x) => t + x, 0) / v.length);
      return `k = ${d.ks[ki]}: ${Object.entries(d.finalAbsorption as Record<string, number[][]>)
        .map(([a, v]) => `${a} ${mean(v[ki])}`)
        .join(', ')}`;
    };
    return `absorption, toy ${at(n.toy)}; character model ${at(n.char)} (means over seeds)`;
  },
  'threshold-gradients': (n) => {
    const mean = (v: number[]) => sig(v.reduce((t, x) => t + x, 0) / v.length);
    const l0s = (r: N) => r.finalL0.map((perSeed: number[]) => mean(perSeed)).join(' / ');
    return (
      `held-out L0 at lambda = ${n.lambdas.join(' / ')}: ${l0s(n.long)} after ${n.long.steps} steps, ` +
      `${l0s(n.short)} after ${n.short.steps}; theta-gradient variance x${sig(n.varianceRatio[n.windows.indexOf(8)] ?? Number.NaN)} at W = 8`
    );
  },
  'batchtopk-threshold': (n) =>
    `inference L0 / k over k = ${n.ks.join(', ')}: global threshold ${n.l0.global.map((v: number, i: number) => sig(v / n.ks[i], 2)).join(', ')}; ` +
    `per-latent ${n.l0.perLatent.map((v: number, i: number) => sig(v / n.ks[i], 2)).join(', ')}`,
};

/** The markdown table (experiments without a committed full run say so). */
export function experimentsTable(reportsDir = path.join(__dirname, 'reports')): string {
  const rows = STUDIES.map((e) => {
    const file = path.join(reportsDir, e.name, 'report.json');
    if (!fs.existsSync(file)) return `| ${e.name} | no committed full run | \`npm run experiment -- ${e.name}\` | - |`;
    const r: StudyReport = readReport(file);
    const headline = HEADLINES[e.name]?.(r.numbers as N) ?? '';
    return `| [${e.name}](experiments/reports/${e.name}/summary.md) | ${headline} | \`${r.command}\` | ${Math.round(r.wallSeconds)} s |`;
  });
  return ['| experiment | headline numbers (full run) | command | wall time |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** Every reproduction row of the committed reports, in experiment order. */
export function reproductionRows(reportsDir = path.join(__dirname, 'reports')): ReproductionRow[] {
  return STUDIES.flatMap((e) => {
    const file = path.join(reportsDir, e.name, 'report.json');
    return fs.existsSync(file) ? (readReport(file).reproduction ?? []) : [];
  });
}

/** The README's reproduction table (src/analysis/reproduction.ts), or a line saying no report has rows yet. */
export function reproductionTable(reportsDir = path.join(__dirname, 'reports')): string {
  const rows = reproductionRows(reportsDir);
  return rows.length === 0 ? 'No committed report has reproduction rows yet.' : reproductionMarkdown(rows);
}
